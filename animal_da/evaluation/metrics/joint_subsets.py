"""Metrics on named subsets of a keypoint set (all, shared, exclusive and
per-source joints of a union), in one evaluation, optionally also per group
of images (e.g. per source dataset of a merged val file)."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine import fileio
from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.evaluator.metric import _to_cpu
from mmengine.logging import print_log
from mmpose.registry import METRICS

from ...datasets.keypoint_sets import joint_subsets

_META_PER_JOINT = ('sigmas', 'dataset_keypoint_weights', 'keypoint_colors')


def _slice_meta(meta: dict, joints: List[int]) -> dict:
    """Dataset metainfo restricted to ``joints`` (renumbered 0..n-1)."""
    out = copy.deepcopy(meta)
    pos = {j: i for i, j in enumerate(joints)}
    for key in _META_PER_JOINT:
        if key in out and out[key] is not None:
            out[key] = np.asarray(out[key])[joints]
    out['num_keypoints'] = len(joints)
    if 'keypoint_id2name' in out:
        out['keypoint_id2name'] = {pos[j]: meta['keypoint_id2name'][j]
                                   for j in joints}
        out['keypoint_name2id'] = {n: i for i, n in
                                   out['keypoint_id2name'].items()}
    if 'flip_indices' in out:  # a partner outside the subset maps to itself
        out['flip_indices'] = [pos.get(meta['flip_indices'][j], i)
                               for i, j in enumerate(joints)]
    for key in ('upper_body_ids', 'lower_body_ids'):
        if key in out:
            out[key] = [pos[j] for j in meta[key] if j in pos]
    out['skeleton_links'] = [(pos[a], pos[b]) for a, b in
                             meta.get('skeleton_links', [])
                             if a in pos and b in pos]
    out['num_skeleton_links'] = len(out['skeleton_links'])
    out.pop('skeleton_link_colors', None)
    out.pop('flip_pairs', None)
    return out


def _slice_ann(ann: dict, joints: List[int]) -> dict:
    """A raw COCO annotation with only ``joints``."""
    ann = dict(ann)
    if 'keypoints' in ann:
        kps = np.asarray(ann['keypoints'], dtype=np.float64).reshape(-1, 3)
        kps = kps[joints]
        ann['keypoints'] = kps.reshape(-1).tolist()
        ann['num_keypoints'] = int((kps[:, 2] > 0).sum())
    return ann


def _slice_instances(inst, joints: List[int]):
    """``pred_instances`` / ``gt_instances`` (dict or InstanceData) with
    per-keypoint fields restricted to ``joints``."""
    out = {}
    keys = inst.keys() if hasattr(inst, 'keys') else []
    for key in keys:
        val = inst[key]
        if key in ('keypoints', 'keypoint_scores', 'keypoints_visible',
                   'keypoints_state', 'keypoints_visible_weights',
                   'transformed_keypoints'):
            val = np.asarray(val)[:, joints]
        out[key] = val
    return out


def _slice_sample(sample: dict, joints: List[int]) -> dict:
    out = dict(sample)
    for key in ('pred_instances', 'gt_instances'):
        if key in sample:
            out[key] = _slice_instances(sample[key], joints)
    if 'raw_ann_info' in sample:
        anns = sample['raw_ann_info']
        out['raw_ann_info'] = ([_slice_ann(a, joints) for a in anns]
                               if isinstance(anns, list) else
                               _slice_ann(anns, joints))
    return out


def _prefixed(metric: BaseMetric, values: dict) -> dict:
    """A metric's keys under its prefix, as ``BaseMetric.evaluate`` names
    them."""
    return {'/'.join((metric.prefix, k)) if metric.prefix else k: v
            for k, v in values.items()}


@METRICS.register_module()
class JointSubsetMetric(BaseMetric):
    """Run mmpose metrics on named subsets of the keypoints.

    Every subset gets its own copy of each metric, fed predictions and
    ground truth restricted to the subset's joints (and metainfo sliced to
    match: sigmas, flip indices), so e.g. COCO AP on a union's shared joints
    uses those joints' sigmas only. Keys are ``<subset>/<metric key>``.
    Joints a sample does not annotate have zero visibility and are never
    counted, as in the wrapped metrics.

    Args:
        subsets (str | dict): Subset name -> joint indices, or a union name
            of :mod:`animal_da.datasets.keypoint_sets` for its
            :func:`~animal_da.datasets.keypoint_sets.joint_subsets` (all,
            shared, exclusive, per source, only_<source>).
        metrics (list[dict]): Metric configs, e.g. ``CocoMetric`` (with
            ``ann_file=None``: ground truth from the samples),
            ``PCKAccuracy``, ``CropPCKAccuracy``.
        sources (Sequence[str], optional): With a union name, the merged
            sources (default: all of the union's).
        subset_keys (Sequence[str], optional): The wrapped metrics' keys
            reported for subsets other than ``all`` (default: ``coco/AP``,
            ``PCK`` and ``crop/PCK``; None with ``all_keys=True``: every
            key). ``all`` reports every key.
        all_keys (bool): Report every key of every subset.
        group_by (dict, optional): Also evaluate each group of images
            apart: ``dict(ann_file=..., field='from')`` groups the
            evaluated images by that field of the COCO file's ``images``
            (FreeNet's union val file marks each image ``from`` its source
            dataset), so one evaluation gives every subset per source
            dataset too. Keys ``<group>/<subset>/<metric key>``, with
            ``subset_keys`` only. Images are matched by id, so the file is
            the evaluated one; it is read when the evaluator gets its
            dataset. A group's figures come from the whole set's gathered
            results (the sampler's padding dropped once, as for the whole
            set); images without the field count in the whole set only.
        collect_device (str): As for mmengine metrics.
        prefix (str, optional): Unused beyond mmengine's convention (each
            key carries its subset name).
    """
    default_prefix: Optional[str] = 'joints'

    def __init__(self, subsets: Union[str, Dict[str, Sequence[int]]],
                 metrics: List[dict],
                 sources: Optional[Sequence[str]] = None,
                 subset_keys: Sequence[str] = ('coco/AP', 'PCK', 'crop/PCK'),
                 all_keys: bool = False,
                 group_by: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(subsets, str):
            subsets = joint_subsets(subsets, sources)
        if not subsets:
            raise ValueError('JointSubsetMetric needs at least one subset')
        self.subsets = {k: [int(j) for j in v] for k, v in subsets.items()}
        self.subset_keys = None if all_keys else set(subset_keys)
        empty = [k for k, v in self.subsets.items() if not v]
        if empty:
            raise ValueError(f'joint subsets {empty} are empty')
        for cfg in metrics:
            if cfg.get('ann_file') and cfg['type'].endswith('CocoMetric'):
                raise ValueError(
                    'JointSubsetMetric slices the ground truth of the '
                    'samples: give its CocoMetric ann_file=None')

        self._metric_cfgs = [dict(cfg, collect_device=collect_device)
                             for cfg in metrics]
        self.metrics = self._build_metrics()
        if group_by and (set(group_by) - {'ann_file', 'field'}
                         or 'ann_file' not in group_by):
            raise ValueError("group_by takes dict(ann_file=..., field=...), "
                             f'got {group_by}')
        self.group_by = group_by
        # read when the evaluator gets its dataset (start of the val loop),
        # so that a config builds without its data
        self.image_groups: Dict[int, str] = {}
        # per group, copies of the wrapped metrics that compute the group's
        # figures from the whole set's gathered results (their own state:
        # CocoMetric keeps the ground truth it first saw)
        self.group_metrics: Dict[str, dict] = {}
        self._tags: List[Optional[str]] = []  # each processed sample's group

    def _build_metrics(self) -> Dict[str, list]:
        """One copy of every wrapped metric per subset."""
        return {name: [METRICS.build(copy.deepcopy(cfg))
                       for cfg in self._metric_cfgs]
                for name in self.subsets}

    @staticmethod
    def _read_groups(group_by: dict) -> Dict[int, str]:
        """Image id -> group, from ``group_by``'s COCO file and field."""
        field = group_by.get('field', 'from')
        images = fileio.load(group_by['ann_file']).get('images', [])
        groups = {int(im['id']): str(im[field]) for im in images
                  if field in im}
        if not groups:
            raise ValueError(f'no image of {group_by["ann_file"]} has the '
                             f'field {field!r} to group by')
        return groups

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: dict) -> None:
        self._dataset_meta = meta
        n = meta['num_keypoints']
        for name, joints in self.subsets.items():
            if max(joints) >= n:
                raise ValueError(f'joint subset {name} has index '
                                 f'{max(joints)}, but the dataset has {n} '
                                 'keypoints')
        if self.group_by and not self.group_metrics:
            self.image_groups = self._read_groups(self.group_by)
            self.group_metrics = {g: self._build_metrics() for g in
                                  sorted(set(self.image_groups.values()))}
        for metrics in [self.metrics, *self.group_metrics.values()]:
            self._set_meta(metrics)

    def _set_meta(self, metrics: Dict[str, list]) -> None:
        """Each subset's metrics get the metainfo sliced to its joints."""
        for name, joints in self.subsets.items():
            sliced = _slice_meta(self._dataset_meta, joints)
            for metric in metrics[name]:
                metric.dataset_meta = copy.deepcopy(sliced)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Feed each subset's metrics the sliced samples."""
        n = self._dataset_meta['num_keypoints']
        for s in data_samples:
            anns = s.get('raw_ann_info')
            for a in (anns if isinstance(anns, list) else [anns]):
                if isinstance(a, dict) and len(a.get('keypoints', [])) \
                        not in (0, 3 * n):
                    raise ValueError(
                        f'raw_ann_info of image {s.get("img_id")} has '
                        f'{len(a["keypoints"]) // 3} keypoints, the dataset '
                        f'{n}: evaluate on a file in the union\'s own order '
                        '(a converted source needs CocoMetric\'s '
                        'gt_converter, outside JointSubsetMetric)')
        for name, joints in self.subsets.items():
            sliced = [_slice_sample(s, joints) for s in data_samples]
            for metric in self.metrics[name]:
                metric.process(data_batch, sliced)
        if self.group_metrics:
            for s in data_samples:
                img_id = s.get('img_id')
                self._tags.append(None if img_id is None else
                                  self.image_groups.get(int(img_id)))

    @staticmethod
    def _gather(results: list, size: int, device: str = 'cpu',
                tmpdir: Optional[str] = None) -> list:
        """Every process's results in dataset order, the sampler's padding
        cut off (as ``BaseMetric.evaluate`` does; a tmpdir only on CPU)."""
        return collect_results(results, size, device,
                               tmpdir=tmpdir if device == 'cpu' else None)

    def _evaluate_grouped(self, size: int) -> dict:
        """The whole set and each group from one gathering per metric: a
        group's results are the whole set's of its samples, so the padding
        the sampler added is cut off once, by ``size``."""
        tags = self._gather(self._tags, size)
        out: dict = {}
        for name in self.subsets:
            for i, metric in enumerate(self.metrics[name]):
                results = self._gather(metric.results, size,
                                       metric.collect_device,
                                       getattr(metric, 'collect_dir', None))
                metric.results.clear()
                if not is_main_process():
                    continue
                results = _to_cpu(results)
                if len(results) != len(tags):
                    raise RuntimeError(
                        f'{type(metric).__name__} kept {len(results)} '
                        f'results for {len(tags)} samples: group_by needs '
                        'one result per sample')
                for key, val in _prefixed(
                        metric, metric.compute_metrics(results)).items():
                    if name == 'all' or self.subset_keys is None or \
                            key in self.subset_keys:
                        out[f'{name}/{key}'] = val
                for group, by_subset in self.group_metrics.items():
                    part = [r for r, t in zip(results, tags) if t == group]
                    if not part:
                        continue
                    copy_ = by_subset[name][i]
                    for key, val in _prefixed(
                            copy_, copy_.compute_metrics(part)).items():
                        if self.subset_keys is None or \
                                key in self.subset_keys:
                            out[f'{group}/{name}/{key}'] = val
        if is_main_process():
            missing = sum(t is None for t in tags)
            if missing:
                print_log(f'{missing} of {len(tags)} evaluated instances '
                          f'have no {self.group_by.get("field", "from")!r} '
                          f'in {self.group_by["ann_file"]}: they count in '
                          'the whole set only', logger='current',
                          level=logging.WARNING)
        self._tags = []
        box = [out]
        broadcast_object_list(box)
        return box[0]

    def compute_metrics(self, results: list) -> dict:
        """Not used: :meth:`evaluate` asks the wrapped metrics."""
        raise NotImplementedError

    def evaluate(self, size: int) -> dict:
        """Every wrapped metric's results, keys prefixed by subset (and
        with ``group_by``, by group and subset)."""
        if self.group_metrics:
            return self._evaluate_grouped(size)
        out = {}
        for name, metrics in self.metrics.items():
            for metric in metrics:
                for key, val in metric.evaluate(size).items():
                    if name == 'all' or self.subset_keys is None or \
                            key in self.subset_keys:
                        out[f'{name}/{key}'] = val
        return out
