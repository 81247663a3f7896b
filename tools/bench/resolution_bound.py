"""The AP a perfect heatmap model could reach at a config's resolution.

Every instance of a split is cropped as the config's test pipeline crops it,
its ground-truth keypoints are encoded into heatmaps by the config's codec
(input size, heatmap size, sigma) and decoded back by the same codec, and
the decoded keypoints are scored by the config's COCO metric against the
ground truth. What is lost is the codec's quantisation alone: an upper bound
of the AP any model of that resolution reaches. Writes
``docs/benchmarks/resolution_bound.json``.

Example:
    python tools/bench/resolution_bound.py --split target_val
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402

from animal_da.utils import dump_json_atomic  # noqa: E402

CONFIG = 'configs/baselines/td-hm_res18_synanimal-oracle_96x96_demo.py'


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--split', default='target_val')
    parser.add_argument('--out', default=osp.join(
        REPO, 'docs', 'benchmarks', 'resolution_bound.json'))
    args = parser.parse_args(argv)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, KEYPOINT_CODECS, METRICS
    from mmpose.structures import PoseDataSample

    init_default_scope('mmpose')
    cfg = Config.fromfile(osp.join(REPO, args.config))
    ds_cfg = dict(cfg.val_dataloader.dataset,
                  data_root=args.data.rstrip('/') + '/',
                  ann_file=f'annotations/{args.split}.json')
    dataset = DATASETS.build(ds_cfg)
    codec_cfg = cfg.model.head.decoder
    codec = KEYPOINT_CODECS.build(codec_cfg)
    metric = METRICS.build(dict(type='CocoMetric', ann_file=None))
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        data = dataset[i]
        sample: PoseDataSample = data['data_samples']
        inst = dataset.get_data_info(i)
        kpts = inst['keypoints']  # image coordinates, (1, K, 2)
        vis = inst['keypoints_visible']
        center = sample.metainfo['input_center']
        scale = sample.metainfo['input_scale']
        w, h = codec_cfg.input_size
        # image -> crop coordinates, as TopdownAffine maps them
        crop = (kpts - center + 0.5 * scale) / scale * np.array([w, h])
        enc = codec.encode(crop, vis)
        dec, scores = codec.decode(enc['heatmaps'])
        img_xy = dec / np.array([w, h]) * scale + center - 0.5 * scale
        pred = dict(keypoints=img_xy, keypoint_scores=np.ones_like(
            scores) * (vis > 0) + 1e-3, bbox_scores=np.ones(1),
            bboxes=inst['bbox'])
        sample_dict = dict(
            id=inst['id'], img_id=inst['img_id'], category_id=inst.get(
                'category_id', 1), ori_shape=sample.metainfo['ori_shape'],
            raw_ann_info=inst.get('raw_ann_info'),
            gt_instances=dict(bboxes=inst['bbox'],
                              bbox_scores=np.ones(1),
                              keypoints=kpts, keypoints_visible=vis,
                              areas=np.array([inst.get('area', 0)])),
            pred_instances=pred)
        metric.process([], [sample_dict])
    res = metric.evaluate(len(dataset))
    result = dict(bench='resolution_bound', machine=machine(),
                  config=args.config, split=args.split,
                  input_size=list(codec_cfg.input_size),
                  heatmap_size=list(codec_cfg.heatmap_size),
                  sigma=codec_cfg.sigma,
                  ap=round(100 * float(res['coco/AP']), 2),
                  ap50=round(100 * float(res['coco/AP .5']), 2),
                  ap75=round(100 * float(res['coco/AP .75']), 2),
                  note='ground truth encoded and decoded by the codec: the '
                  'AP a perfect model of this resolution reaches')
    dump_json_atomic(result, args.out, indent=2)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
