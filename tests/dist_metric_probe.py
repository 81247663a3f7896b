"""JointSubsetMetric with ``group_by`` on 2 CPU processes: each rank gets
the samples a padded distributed sampler gives it (the last one a repeat of
the first sample), and rank 0 writes the metric's results.

Run by tests/test_keypoint_sets.py through ``torch.distributed.run``;
:func:`samples` and :func:`build` are shared with the single-process run it
is compared with.
"""
import json
import sys

import numpy as np

UNION = 'animal_union21'
N = 5  # samples; a 2-process sampler pads to 6


def build(ann_file: str):
    """The metric and the union's metainfo (as a dataset gives it)."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from mmpose.registry import METRICS

    import animal_da  # noqa: F401
    from animal_da.datasets.keypoint_sets import UNIONS
    meta = parse_pose_metainfo(dict(from_file=UNIONS[UNION]))
    meta['CLASSES'] = [dict(id=1, name='animal')]
    metric = METRICS.build(dict(
        type='JointSubsetMetric', subsets=UNION,
        metrics=[dict(type='CocoMetric', ann_file=None),
                 dict(type='PCKAccuracy', thr=0.05)],
        group_by=dict(ann_file=ann_file, field='from')))
    metric.dataset_meta = meta
    return metric, meta


def write_groups(ann_file: str) -> None:
    """Images 1-3 from AP-10K, 4-5 from AnimalPose."""
    with open(ann_file, 'w') as f:
        json.dump(dict(images=[dict(id=i, **{
            'from': 'ap_10k' if i <= 3 else 'animal_pose'})
            for i in range(1, N + 1)]), f)


def samples(meta: dict) -> list:
    """N predictions with their ground truth, worse on AnimalPose's."""
    rng = np.random.default_rng(3)
    out = []
    for i in range(1, N + 1):
        gt = rng.uniform(10, 90, (21, 2))
        pred = gt + rng.normal(0, 3 if i <= 3 else 12, gt.shape)
        kps = np.concatenate([gt, 2 * np.ones((21, 1))], -1)
        out.append(dict(
            id=i, img_id=i, category_id=1, ori_shape=(100, 100),
            raw_ann_info=dict(id=i, image_id=i, category_id=1,
                              keypoints=kps.reshape(-1).tolist(),
                              num_keypoints=21, bbox=[0., 0., 100., 100.],
                              area=10000., iscrowd=0),
            pred_instances=dict(keypoints=pred[None],
                                keypoint_scores=np.ones((1, 21))),
            gt_instances=dict(keypoints=gt[None],
                              keypoints_visible=np.ones((1, 21)),
                              bboxes=np.array([[0., 0., 100., 100.]]),
                              bbox_scales=np.array([[100., 100.]]))))
    return out


def main(ann_file: str, out_file: str) -> None:
    import torch.distributed as dist
    from mmengine.dist import get_rank, get_world_size
    dist.init_process_group('gloo')  # mmengine's init_dist wants CUDA
    rank, world = get_rank(), get_world_size()
    metric, meta = build(ann_file)
    data = samples(meta)
    padded = data + data[:(-len(data)) % world]  # as DefaultSampler pads
    metric.process({}, padded[rank::world])
    result = metric.evaluate(len(data))
    if rank == 0:
        with open(out_file, 'w') as f:
            json.dump(result, f)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
