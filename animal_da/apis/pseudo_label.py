"""Offline pseudo labels by test-time augmentation (METHODS.md 1.5, 2.5).

For each unlabelled instance: T views (the identity crop and T-1 random
scale/rotation crops about the box centre), each predicted with and without
flip; heatmaps are warped back to the identity crop, averaged, and decoded
(integer argmax, confidence = maximum). The result is a COCO keypoint results
file with per-keypoint scores and the annotation ``id`` it labels.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar

from ..models.pseudo_labels import (build_filter, decode_argmax,
                                    load_pseudo_labels, warp_heatmaps)
from ..utils import dump_json_atomic


def _tta_params(seed: int, ann_id: int, num: int, scale_std: float,
                rot_std: float) -> np.ndarray:
    """(num, 2) scale multipliers and rotations; row 0 is the identity."""
    rng = np.random.default_rng([seed, int(ann_id)])
    params = np.zeros((num, 2))
    params[0] = (1., 0.)
    if num > 1:
        params[1:, 0] = np.clip(rng.normal(1, scale_std, num - 1),
                                1 - scale_std, 1 + scale_std)
        params[1:, 1] = np.clip(rng.normal(0, rot_std, num - 1),
                                -2 * rot_std, 2 * rot_std)
    return params


def _pseudo_label_dataset(cfg: Config, dataset_cfg: Optional[dict]):
    from mmpose.registry import DATASETS
    ds = dataset_cfg or cfg.get('pseudo_label_dataset')
    if ds is None:
        ds = dict(cfg.train_dataloader.dataset, type='SemiPoseDataset',
                  role='unlabelled')
    ds = dict(ds)
    ds['pipeline'] = [dict(type='LoadImage'),
                      dict(type='GetBBoxCenterScale')]
    ds['test_mode'] = True
    return DATASETS.build(ds)


@torch.no_grad()
def generate_pseudo_labels(config: str,
                           checkpoint: str,
                           out_file: str,
                           dataset_cfg: Optional[dict] = None,
                           num_transforms: int = 5,
                           scale_std: float = 0.25,
                           rot_std: float = 30.,
                           flip: bool = True,
                           batch_size: int = 16,
                           seed: int = 0,
                           device: str = 'cpu',
                           save_every: int = 20,
                           show_progress: bool = True) -> str:
    """Write TTA pseudo labels for the unlabelled instances of a dataset.

    Resumable: progress is saved every ``save_every`` batches to
    ``out_file + '.partial'``; a rerun continues from there. The final file
    is written atomically.

    Args:
        config (str): Config of a plain top-down model; its
            ``pseudo_label_dataset`` (or its train dataset, as unlabelled)
            says which instances to label.
        checkpoint (str): The model's checkpoint.
        out_file (str): Output JSON.
        dataset_cfg (dict, optional): Dataset to label instead.
        num_transforms (int): T, the identity included (paper: 5).
        scale_std (float): Scale std (paper: 0.25, clipped to +-1 std).
        rot_std (float): Rotation std in degrees (paper: 30, clipped to 2 std).
        flip (bool): Average each view with its flipped prediction.
        batch_size (int): Instances per forward (times T views).
        seed (int): Seed of the random views (per annotation id).
        device (str): Inference device.
        save_every (int): Batches between progress saves.
        show_progress (bool): Show a progress bar.

    Returns:
        str: ``out_file``.
    """
    from mmpose.apis import init_model
    from mmpose.models.utils.tta import flip_heatmaps
    from mmpose.structures import PoseDataSample
    from mmpose.structures.bbox import get_warp_matrix
    from mmengine.runner.checkpoint import load_checkpoint
    cfg = Config.fromfile(config)
    model = init_model(cfg, None, device=device)
    # strict: a model that does not match its checkpoint must not label data
    load_checkpoint(model, checkpoint, map_location=device, strict=True,
                    logger='current')
    dataset = _pseudo_label_dataset(cfg, dataset_cfg)
    decoder = model.head.decoder
    in_w, in_h = (int(v) for v in decoder.input_size)
    hm_w, hm_h = (int(v) for v in decoder.heatmap_size)
    stride = np.array([in_w / hm_w, in_h / hm_h])
    to_hm = np.diag([1 / stride[0], 1 / stride[1], 1.])
    flip_indices = dataset.metainfo['flip_indices']

    partial = out_file + '.partial'
    entries: List[dict] = []
    if osp.isfile(partial):
        with open(partial) as f:
            entries = json.load(f)['annotations']
    done = {e['id'] for e in entries}
    # fixed chunks of the dataset order: a resumed run forms the same batches
    # as an uninterrupted one, so its output is identical
    ids = [int(dataset.get_data_info(i)['id']) for i in range(len(dataset))]
    chunks = [list(range(s, min(s + batch_size, len(ids))))
              for s in range(0, len(ids), batch_size)]
    chunks = [c for c in chunks if not all(ids[i] in done for i in c)]
    logger = MMLogger.get_current_instance()
    logger.info(f'pseudo labels: {len(dataset)} instances, {len(done)} '
                f'already done, T={num_transforms}, flip={flip}')
    bar = ProgressBar(sum(map(len, chunks))) \
        if show_progress and chunks else None
    for b, chunk in enumerate(chunks):
        crops, mats, infos = [], [], []
        for i in chunk:
            if ids[i] in done:
                continue
            res = dataset.prepare_data(i)
            center, scale = res['bbox_center'][0], res['bbox_scale'][0]
            # square crops like TopdownAffine (fixed aspect ratio)
            scale = np.array([max(scale[0], scale[1] * in_w / in_h)] * 2)
            scale[1] = scale[0] * in_h / in_w
            per = []
            for s, r in _tta_params(seed, res['id'], num_transforms,
                                    scale_std, rot_std):
                m = get_warp_matrix(center, scale * s, r, (in_w, in_h))
                crops.append(cv2.warpAffine(res['img'], m, (in_w, in_h),
                                            flags=cv2.INTER_LINEAR))
                per.append(np.concatenate([m, [[0, 0, 1]]]))
            mats.append(per)
            infos.append(res)
        inputs = [torch.from_numpy(c).permute(2, 0, 1) for c in crops]
        x = model.data_preprocessor(
            dict(inputs=inputs,
                 data_samples=[PoseDataSample() for _ in inputs]),
            False)['inputs']
        heat = model.head.forward(model.extract_feat(x))
        if flip:
            heat_f = model.head.forward(model.extract_feat(x.flip(-1)))
            heat = 0.5 * (heat + flip_heatmaps(
                heat_f, flip_mode='heatmap', flip_indices=flip_indices,
                shift_heatmap=False))
        # warp every view's heatmaps into the identity view, then average
        t2id = []
        for per in mats:
            for m in per:
                a = to_hm @ per[0] @ np.linalg.inv(m) @ np.linalg.inv(to_hm)
                t2id.append(a[:2])
        heat = warp_heatmaps(heat, torch.as_tensor(
            np.stack(t2id), dtype=heat.dtype, device=heat.device))
        heat = heat.view(len(infos), num_transforms, *heat.shape[1:]).mean(1)
        loc, conf = decode_argmax(heat)
        for res, per, xy, c in zip(infos, mats, loc.cpu().numpy(),
                                   conf.cpu().numpy()):
            inv = np.linalg.inv(per[0])
            pts = np.concatenate([xy * stride, np.ones((len(xy), 1))], 1)
            img_xy = (pts @ inv.T)[:, :2]
            kps = [v for (x, y), sc in zip(img_xy, c)
                   for v in (round(float(x), 2), round(float(y), 2),
                             float(f'{sc:.6g}'))]
            entries.append(dict(
                id=int(res['id']), image_id=int(res['img_id']),
                category_id=int(res['category_id']), keypoints=kps,
                score=float(c.mean())))
            if bar:
                bar.update()
        if save_every and (b + 1) % save_every == 0:
            dump_json_atomic(dict(annotations=entries), partial)
    dump_json_atomic(dict(
        info=dict(description='animal_da TTA pseudo labels', config=config,
                  checkpoint=osp.basename(checkpoint),
                  num_transforms=num_transforms, flip=flip, seed=seed),
        annotations=sorted(entries, key=lambda e: e['id'])), out_file)
    if osp.isfile(partial):
        os.remove(partial)
    return out_file


def pseudo_label_quality(pl_file: str, dataset, filter_cfg: dict,
                         thr: float = 0.05) -> Dict[str, float]:
    """Precision and recall of filtered pseudo labels against the hidden
    labels of an unlabelled view (only possible on data that has them).

    A kept keypoint is correct within ``thr`` times the instance's crop side
    (1.25 x the longer box side).

    Args:
        pl_file (str): Pseudo-label file.
        dataset: A ``SemiPoseDataset`` whose unlabelled instances keep
            ``hidden_keypoints``.
        filter_cfg (dict): The filter that turns scores into kept keypoints.
        thr (float): Distance threshold.

    Returns:
        dict: ``precision``, ``recall`` and ``kept`` (fraction of keypoints),
        in percent.
    """
    labels = load_pseudo_labels(pl_file)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    infos = [i for i in infos if 'hidden_keypoints' in i and
             int(i['id']) in labels]
    if not infos:
        raise ValueError(f'no unlabelled instances of {pl_file} have hidden '
                         'labels to compare with')
    pl = np.stack([labels[int(i['id'])] for i in infos])
    keep = build_filter(filter_cfg)(pl[..., 2])
    gt = np.stack([i['hidden_keypoints'][0] for i in infos])
    vis = np.stack([i['hidden_keypoints_visible'][0] for i in infos]) > 0
    side = np.array([1.25 * np.max(i['bbox'][0][2:] - i['bbox'][0][:2])
                     for i in infos])
    close = np.linalg.norm(pl[..., :2] - gt, axis=-1) < thr * side[:, None]
    correct = keep & vis & close
    return dict(precision=100 * correct.sum() / max(1, keep.sum()),
                recall=100 * correct.sum() / max(1, vis.sum()),
                kept=100 * keep.mean())
