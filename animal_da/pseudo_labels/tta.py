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
from typing import List, Optional, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar

from ..utils import dump_json_atomic
from .geometry import decode_argmax, view_to_view_affine, warp_heatmaps
from .temporal import temporal_check


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


class TTAPseudoLabeler:
    """Label instances of a top-down dataset by test-time augmentation.

    Args:
        model: A ``TopdownPoseEstimator`` (in eval mode while labelling).
        num_transforms (int): T, the identity included (paper: 5).
        scale_std (float): Scale std (paper: 0.25, clipped to +-1 std).
        rot_std (float): Rotation std in degrees (paper: 30, clipped to
            2 std).
        flip (bool): Average each view with its flipped prediction (pair
            swap; shifted only with ``flip_shift``).
        flip_shift (bool): Shift the flipped heatmaps one pixel right, as
            mmpose's flip test does (``shift_heatmap``). Paper: False; the
            flipped prediction then sits 3/4 heatmap pixel left of the
            unflipped one (the input flip is ``x -> W_in - 1 - x``, the
            heatmap flip ``u -> W_hm - 1 - u``), which biases labels left.
        seed (int): Seed of the random views (per annotation id).
        subpixel (bool): Move each location a quarter heatmap pixel towards
            the larger neighbour, as mmpose decodes test predictions (paper:
            False, integer argmax; at small heatmaps the integer grid costs
            up to half a heatmap pixel).
    """

    def __init__(self, model, num_transforms: int = 5,
                 scale_std: float = 0.25, rot_std: float = 30.,
                 flip: bool = True, seed: int = 0, subpixel: bool = False,
                 flip_shift: bool = False):
        self.model, self.subpixel = model, subpixel
        self.flip_shift = flip_shift
        self.num_transforms, self.flip, self.seed = num_transforms, flip, seed
        self.scale_std, self.rot_std = scale_std, rot_std
        decoder = model.head.decoder
        self.in_size = tuple(int(v) for v in decoder.input_size)
        hm = tuple(int(v) for v in decoder.heatmap_size)
        self.stride = np.array([self.in_size[0] / hm[0],
                                self.in_size[1] / hm[1]])

    def _crops(self, res: dict) -> tuple:
        """The T warped crops of one loaded instance and their matrices."""
        from mmpose.structures.bbox import get_warp_matrix
        in_w, in_h = self.in_size
        center, scale = res['bbox_center'][0], res['bbox_scale'][0]
        # square crops like TopdownAffine (fixed aspect ratio)
        scale = np.array([max(scale[0], scale[1] * in_w / in_h)] * 2)
        scale[1] = scale[0] * in_h / in_w
        crops, mats = [], []
        for s, r in _tta_params(self.seed, res['id'], self.num_transforms,
                                self.scale_std, self.rot_std):
            m = get_warp_matrix(center, scale * s, r, (in_w, in_h))
            crops.append(cv2.warpAffine(res['img'], m, (in_w, in_h),
                                        flags=cv2.INTER_LINEAR))
            mats.append(np.concatenate([m, [[0, 0, 1]]]))
        return crops, mats

    @torch.no_grad()
    def __call__(self, loaded: List[dict], flip_indices) -> List[dict]:
        """Pseudo labels of loaded instances (``LoadImage`` and
        ``GetBBoxCenterScale`` applied) as COCO result entries."""
        from mmpose.models.utils.tta import flip_heatmaps
        from mmpose.structures import PoseDataSample
        model, T = self.model, self.num_transforms
        crops, mats = [], []
        for res in loaded:
            c, m = self._crops(res)
            crops += c
            mats.append(m)
        inputs = [torch.from_numpy(c).permute(2, 0, 1) for c in crops]
        x = model.data_preprocessor(
            dict(inputs=inputs,
                 data_samples=[PoseDataSample() for _ in inputs]),
            False)['inputs']
        heat = model.head.forward(model.extract_feat(x))
        if self.flip:
            heat_f = model.head.forward(model.extract_feat(x.flip(-1)))
            heat = 0.5 * (heat + flip_heatmaps(
                heat_f, flip_mode='heatmap', flip_indices=flip_indices,
                shift_heatmap=self.flip_shift))
        # warp every view's heatmaps into the identity view, then average
        views = torch.as_tensor(np.stack([m[:2] for per in mats
                                          for m in per]), dtype=torch.float64)
        ident = torch.as_tensor(np.stack([per[0][:2] for per in mats
                                          for _ in per]), dtype=torch.float64)
        t2id = view_to_view_affine(views, ident, tuple(self.stride))
        heat = warp_heatmaps(heat, t2id.to(heat))
        heat = heat.reshape(len(loaded), T, *heat.shape[1:]).mean(1)
        loc, conf = decode_argmax(heat)
        loc = loc.cpu().numpy()
        if self.subpixel:
            from mmpose.codecs.utils import refine_keypoints
            loc = np.stack([refine_keypoints(xy[None], h)[0]
                            for xy, h in zip(loc, heat.cpu().numpy())])
        entries = []
        for res, per, xy, c in zip(loaded, mats, loc, conf.cpu().numpy()):
            pts = np.concatenate([xy * self.stride, np.ones((len(xy), 1))], 1)
            img_xy = (pts @ np.linalg.inv(per[0]).T)[:, :2]
            kps = [v for (x, y), sc in zip(img_xy, c)
                   for v in (round(float(x), 2), round(float(y), 2),
                             float(f'{sc:.6g}'))]
            entries.append(dict(
                id=int(res['id']), image_id=int(res['img_id']),
                category_id=int(res['category_id']), keypoints=kps,
                score=float(c.mean())))
        return entries

    def label_dataset(self, dataset, batch_size: int = 16,
                      done: Optional[set] = None, on_batch=None,
                      show_progress: bool = True,
                      indices: Optional[List[int]] = None) -> List[dict]:
        """Label every instance of ``dataset`` (or of ``indices``) not in
        ``done``.

        Batches are fixed chunks of the dataset order, so a resumed run
        forms the same batches as an uninterrupted one (identical output).

        Args:
            dataset: Dataset whose pipeline is ``LoadImage`` and
                ``GetBBoxCenterScale``.
            batch_size (int): Instances per forward (times T views).
            done (set, optional): Annotation ids to skip.
            indices (list[int], optional): Dataset indices to label
                (default: all).
            on_batch (callable, optional): Called with the new entries after
                each batch (progress saving).
            show_progress (bool): Show a progress bar.

        Returns:
            list[dict]: The new entries.
        """
        done = done or set()
        order = list(range(len(dataset))) if indices is None else \
            list(indices)
        ids = [int(dataset.get_data_info(i)['id']) for i in order]
        chunks = [[order[j] for j in range(s, min(s + batch_size, len(ids)))
                   if ids[j] not in done]
                  for s in range(0, len(ids), batch_size)]
        chunks = [c for c in chunks if c]
        bar = ProgressBar(sum(map(len, chunks))) \
            if show_progress and chunks else None
        flip_indices = dataset.metainfo['flip_indices']
        entries = []
        for chunk in chunks:
            new = self([dataset.prepare_data(i) for i in chunk],
                       flip_indices)
            entries += new
            if bar:
                for _ in new:
                    bar.update()
            if on_batch:
                on_batch(new)
        return entries


def generate_pseudo_labels(config: Union[str, Config],
                           checkpoint: str,
                           out_file: str,
                           dataset_cfg: Optional[dict] = None,
                           num_transforms: int = 5,
                           scale_std: float = 0.25,
                           rot_std: float = 30.,
                           flip: bool = True,
                           batch_size: int = 16,
                           seed: int = 0,
                           device: Optional[str] = None,
                           save_every: int = 20,
                           show_progress: bool = True,
                           temporal: Optional[dict] = None,
                           subpixel: bool = False,
                           flip_shift: bool = False) -> str:
    """Write TTA pseudo labels for the unlabelled instances of a dataset.

    Resumable: progress is saved every ``save_every`` batches to
    ``out_file + '.partial'``; a rerun continues from there with the same
    batches, so the result equals an uninterrupted run. The final file is
    written atomically.

    Args:
        config (str or Config): Config of a plain top-down model; its
            ``pseudo_label_dataset`` (or its train dataset, as unlabelled)
            says which instances to label.
        checkpoint (str): The model's checkpoint (loaded strictly).
        out_file (str): Output JSON.
        dataset_cfg (dict, optional): Dataset to label instead.
        num_transforms, scale_std, rot_std, flip, seed, subpixel,
            flip_shift: As for :class:`TTAPseudoLabeler`.
        batch_size (int): Instances per forward (times T views).
        device (str, optional): Inference device (default: the GPU when
            there is one, as the Runner: ``mmengine.device.get_device``).
        save_every (int): Batches between progress saves.
        show_progress (bool): Show a progress bar.
        temporal (dict, optional): Apply the optical-flow temporal check
            (:func:`~animal_da.pseudo_labels.temporal_check`) with
            these arguments, e.g. ``dict(by_video=True)``, in dataset order.

    Returns:
        str: ``out_file``.
    """
    from mmengine.runner.checkpoint import load_checkpoint
    from mmpose.apis import init_model
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    device = device or get_device()  # mmengine's: the Runner's device
    model = init_model(cfg, None, device=device)
    # strict: a model that does not match its checkpoint must not label data
    load_checkpoint(model, checkpoint, map_location=device, strict=True,
                    logger='current')
    for hook in cfg.get('custom_hooks') or []:  # as the config trains/tests
        if hook.get('type') in ('MemoryFormatHook',
                                'animal_da.MemoryFormatHook'):
            model.to(memory_format=getattr(torch, hook.get(
                'memory_format', 'channels_last')))
    dataset = _pseudo_label_dataset(cfg, dataset_cfg)
    partial = out_file + '.partial'
    entries: List[dict] = []
    if osp.isfile(partial):
        with open(partial) as f:
            entries = json.load(f)['annotations']
    MMLogger.get_current_instance().info(
        f'pseudo labels: {len(dataset)} instances, {len(entries)} already '
        f'done, T={num_transforms}, flip={flip}, flip_shift={flip_shift}')
    batches = [0]

    def save_progress(new: List[dict]) -> None:
        entries.extend(new)
        batches[0] += 1
        if save_every and batches[0] % save_every == 0:
            dump_json_atomic(dict(annotations=entries), partial)

    labeler = TTAPseudoLabeler(model, num_transforms, scale_std, rot_std,
                               flip, seed, subpixel, flip_shift)
    labeler.label_dataset(dataset, batch_size, {e['id'] for e in entries},
                          on_batch=save_progress,
                          show_progress=show_progress)
    if temporal is not None:
        _apply_temporal_check(entries, dataset, temporal)
    dump_json_atomic(dict(
        info=dict(description='animal_da TTA pseudo labels',
                  config=config if isinstance(config, str) else
                  (config.filename or '<in-memory config>'),
                  checkpoint=osp.basename(checkpoint),
                  num_transforms=num_transforms, flip=flip, seed=seed,
                  subpixel=subpixel, flip_shift=flip_shift,
                  temporal_check=temporal),
        annotations=sorted(entries, key=lambda e: e['id'])), out_file)
    if osp.isfile(partial):
        os.remove(partial)
    return out_file


def _apply_temporal_check(entries: List[dict], dataset,
                          temporal: dict) -> None:
    """Run the temporal check over ``entries`` in dataset order."""
    infos = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        infos[int(info['id'])] = info
    position = {ann_id: i for i, ann_id in enumerate(infos)}
    order = sorted(entries, key=lambda e: position[e['id']])
    if temporal.get('by_video', True) and not all(
            'video_id' in infos[e['id']] for e in order):
        raise ValueError('the temporal check by video needs video_id and '
                         'frame_id in the image entries of the annotation '
                         'file (or by_video=False)')
    frames = [dict(img_path=infos[e['id']]['img_path'],
                   video_id=infos[e['id']].get('video_id'),
                   frame_id=infos[e['id']].get('frame_id')) for e in order]
    stats = temporal_check(
        order, frames, lambda p: cv2.imread(p, cv2.IMREAD_GRAYSCALE),
        **temporal)
    MMLogger.get_current_instance().info(
        f'temporal check: {stats["replaced"]} of {stats["checked"]} '
        'keypoints with a flowed label replaced')
