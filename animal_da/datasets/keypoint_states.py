"""The state of every keypoint of every instance.

mmpose keeps one visibility weight per keypoint, so "this dataset does not
define the joint", "the annotator marked it occluded" and "visible" look
alike once loaded. Here each keypoint carries a state code:

- :data:`NOT_ANNOTATED` (0): no label (the joint is not in its dataset's
  keypoint set, or the annotation left it out); no loss, never counted by a
  metric; a pseudo label may fill it.
- :data:`OCCLUDED` (1): annotated as occluded (COCO ``v=1``); trained as
  mmpose trains ``visible=1``.
- :data:`VISIBLE` (2): annotated as visible (COCO ``v=2``), or a kept
  pseudo label.
- :data:`FILTERED` (3): a pseudo label that its filter dropped.

In a pipeline the state rides as a third channel of ``keypoints_visible``,
``(N, K, 3) = (visibility weight, annotated in its dataset, state)``: the
first two channels are mmpose's own ``KeypointConverter`` output, so
mmpose's flips and half-body crops carry all three. ``PopKeypointStates``
splits it off before ``GenerateTarget`` and packs it as ``keypoints_state``.
"""
from typing import Optional

import numpy as np

NOT_ANNOTATED, OCCLUDED, VISIBLE, FILTERED = 0, 1, 2, 3
STATE_NAMES = ('not_annotated', 'occluded', 'visible', 'filtered')


def initial_states(visible: np.ndarray, raw_visibility: Optional[np.ndarray]
                   = None, pseudo: bool = False) -> np.ndarray:
    """States of loaded keypoints.

    Args:
        visible (np.ndarray): (N, K) mmpose visibility weights.
        raw_visibility (np.ndarray, optional): (N, K) COCO codes of the
            annotation file (0, 1, 2), telling occluded from visible.
        pseudo (bool): The keypoints are pseudo labels: a zero weight means
            filtered out.

    Returns:
        np.ndarray: (N, K) uint8 states.
    """
    labelled = visible > 0
    if pseudo:
        return np.where(labelled, VISIBLE, FILTERED).astype(np.uint8)
    seen = VISIBLE if raw_visibility is None else np.where(
        raw_visibility == 1, OCCLUDED, VISIBLE)
    return np.where(labelled, seen, NOT_ANNOTATED).astype(np.uint8)


def raw_visibility_of(results: dict, num_keypoints: int
                      ) -> Optional[np.ndarray]:
    """COCO visibility codes of a top-down instance from its
    ``raw_ann_info`` (None when absent or of another keypoint count)."""
    ann = results.get('raw_ann_info')
    if isinstance(ann, list):
        ann = ann[0] if len(ann) == 1 else None
    if not isinstance(ann, dict) or 'keypoints' not in ann:
        return None
    kps = np.asarray(ann['keypoints'], dtype=np.float32).reshape(-1, 3)
    if len(kps) != num_keypoints:
        return None
    return kps[None, :, 2]
