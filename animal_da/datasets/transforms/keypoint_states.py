"""Transforms that give keypoints their states and carry them to the model
(see :mod:`animal_da.datasets.keypoint_states`)."""
from typing import List, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import KeypointConverter, PackPoseInputs
from mmpose.registry import TRANSFORMS

from ..keypoint_sets import UNIONS, keypoint_names, union_mapping
from ..keypoint_states import NOT_ANNOTATED, initial_states, raw_visibility_of


def _with_states(results: dict) -> np.ndarray:
    """``keypoints_visible`` as (N, K, 3): weight, annotated, state."""
    vis = np.asarray(results['keypoints_visible'], dtype=np.float32)
    if vis.ndim == 3 and vis.shape[2] == 3:
        return vis
    if vis.ndim == 3 and vis.shape[2] == 2:  # mmpose's converter output
        weight, annotated = vis[..., 0], vis[..., 1]
    elif vis.ndim == 2:
        weight, annotated = vis, np.ones_like(vis)
    else:
        raise ValueError(f'keypoints_visible of shape {vis.shape}: expected '
                         '(N, K), (N, K, 2) or (N, K, 3)')
    state = results.get('keypoints_state')
    if state is None:
        state = initial_states(
            weight, raw_visibility_of(results, weight.shape[1]),
            pseudo=bool(results.get('has_pseudo_label')))
    state = np.where(annotated > 0, state, NOT_ANNOTATED)
    return np.stack([weight, annotated, state.astype(np.float32)], axis=-1)


@TRANSFORMS.register_module()
class SetKeypointStates(BaseTransform):
    """Give every keypoint its state (place it right after loading, before
    any geometry).

    The state comes from the instance's ``keypoints_state`` when a dataset
    set one, else from the annotation file's COCO codes (``raw_ann_info``:
    ``v=1`` occluded, ``v=2`` visible) and the visibility weight (zero: not
    annotated; for pseudo labels: filtered out). ``keypoints_visible``
    becomes (N, K, 3): weight, annotated in its dataset, state.

    Required Keys: keypoints_visible. Optional: raw_ann_info,
    keypoints_state, has_pseudo_label. Modified Keys: keypoints_visible.
    """

    def transform(self, results: dict) -> dict:
        results['keypoints_visible'] = _with_states(results)
        results.pop('keypoints_state', None)
        return results


@TRANSFORMS.register_module()
class UnionKeypointConverter(KeypointConverter):
    """mmpose's ``KeypointConverter`` that keeps keypoint states.

    mmpose's converter drops every visibility channel but the first, so the
    states would be lost; this one maps them with the same indices (joints
    the source lacks become :data:`NOT_ANNOTATED`). Give either ``mapping``
    or the ``source`` and ``union`` names of
    :mod:`animal_da.datasets.keypoint_sets` (the mapping is then derived by
    joint name).

    Args:
        num_keypoints (int, optional): Keypoints of the target set (default:
            the union's).
        mapping (list, optional): (source index, target index) pairs, as for
            mmpose's converter.
        source (str, optional): Source keypoint set, e.g. ``'animalpose'``.
        union (str, optional): Target union, e.g. ``'animal_union24'``.
    """

    def __init__(self, num_keypoints: Optional[int] = None,
                 mapping: Optional[List[Tuple[int, int]]] = None,
                 source: Optional[str] = None,
                 union: Optional[str] = None):
        if mapping is None:
            if source is None or union is None:
                raise ValueError('UnionKeypointConverter needs mapping, or '
                                 'source and union')
            mapping = union_mapping(source, union)
        if num_keypoints is None:
            if union is None:
                raise ValueError('UnionKeypointConverter needs '
                                 'num_keypoints when no union is named')
            num_keypoints = len(keypoint_names(UNIONS[union]))
        super().__init__(num_keypoints=num_keypoints, mapping=mapping)
        self.source, self.union = source, union

    def transform(self, results: dict) -> dict:
        vis = _with_states(results)
        n = len(vis)
        state = np.full((n, self.num_keypoints), NOT_ANNOTATED, np.float32)
        src_state = vis[..., 2]
        if self.interpolation:
            state[:, self.target_index] = np.minimum(
                src_state[:, self.source_index],
                src_state[:, self.source_index2])
        else:
            state[:, self.target_index] = src_state[:, self.source_index]
        results['keypoints_visible'] = vis[..., 0]
        results = super().transform(results)
        vis = results['keypoints_visible']  # (N, K, 2): weight, annotated
        state = np.where(vis[..., 1] > 0, state, NOT_ANNOTATED)
        results['keypoints_visible'] = np.concatenate(
            [vis, state[..., None]], axis=-1).astype(np.float32)
        return results


@TRANSFORMS.register_module()
class PopKeypointStates(BaseTransform):
    """Split the states off ``keypoints_visible`` before ``GenerateTarget``
    (which takes the (N, K, 2) form) and have ``PackPoseInputs`` pack them as
    ``gt_instances.keypoints_state`` (a uint8 array). ``GenerateTarget``
    keeps this packing table for mmpose's top-down codecs (MSRA, UDP,
    SimCC...); codecs with their own ``instance_mapping_table`` (lifting,
    EDPose) replace it.

    Required Keys: keypoints_visible (N, K, 3). Added Keys:
    keypoints_state, instance_mapping_table.
    """

    def transform(self, results: dict) -> dict:
        vis = _with_states(results)
        results['keypoints_visible'] = vis[..., :2]
        results['keypoints_state'] = vis[..., 2].astype(np.uint8)
        results['instance_mapping_table'] = dict(
            results.get('instance_mapping_table') or
            PackPoseInputs.instance_mapping_table,
            keypoints_state='keypoints_state')
        return results
