"""Temporal consistency of video pseudo labels by optical flow
(UDA-Animal-Pose, from CC-SSL; METHODS.md 1.5 step 5)."""
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np


def temporal_check(entries: List[dict], frames: List[dict],
                   load_grey: Callable[[str], np.ndarray],
                   by_video: bool = True, ratio: float = 0.9,
                   max_motion: float = 15.0, window: int = 15,
                   levels: int = 2) -> Dict[str, int]:
    """Replace weak pseudo labels by ones flowed from the previous frame.

    Frames are taken in the order given (the loader order). For each frame
    with a predecessor, the previous frame's (already checked) keypoints are
    propagated by Lucas-Kanade optical flow (``window`` x ``window``,
    ``levels`` pyramid levels, 10 iterations, epsilon 0.03) on grey images;
    a point that moved more than ``max_motion`` px, or that LK lost, gets no
    flowed label. Where one exists and ``conf / conf_flow < ratio``, the
    keypoint moves to the flowed location with confidence
    ``ratio * conf_flow``.

    With ``by_video=True`` the predecessor must be the previous frame of the
    same video (``video_id``, consecutive ``frame_id``); ``False`` is the
    paper's quirk: the previous sample in order, even across clips.

    Args:
        entries (list[dict]): COCO keypoint results (``id``, ``keypoints``
            as flat x, y, score), changed in place.
        frames (list[dict]): Per entry, in the same order: ``img_path`` and,
            for ``by_video``, ``video_id`` and ``frame_id``.
        load_grey (callable): Image path to a uint8 grey image.
        by_video, ratio, max_motion, window, levels: See above.

    Returns:
        dict: ``checked`` keypoints (with a flowed candidate) and
        ``replaced`` ones.
    """
    if len(entries) != len(frames):
        raise ValueError('temporal_check needs one frame record per entry')
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.03)
    stats = dict(checked=0, replaced=0)
    prev: Optional[tuple] = None
    for entry, frame in zip(entries, frames):
        kpts = np.asarray(entry['keypoints'], np.float64).reshape(-1, 3)
        grey = load_grey(frame['img_path'])
        linked = prev is not None and (not by_video or (
            frame.get('video_id') is not None and
            frame.get('video_id') == prev[2].get('video_id') and
            frame.get('frame_id') == prev[2].get('frame_id', -2) + 1))
        if linked:
            p_grey, p_kpts, _ = prev
            pts = p_kpts[:, :2].astype(np.float32).reshape(-1, 1, 2)
            flowed, status, _ = cv2.calcOpticalFlowPyrLK(
                p_grey, grey, pts, None, winSize=(window, window),
                maxLevel=levels, criteria=criteria)
            flowed = flowed.reshape(-1, 2)
            moved = np.linalg.norm(flowed - p_kpts[:, :2], axis=1)
            conf_flow = np.where((status.reshape(-1) == 1) &
                                 (moved <= max_motion), p_kpts[:, 2], 0.)
            has = conf_flow > 0
            weak = has & (kpts[:, 2] < ratio * conf_flow)
            stats['checked'] += int(has.sum())
            stats['replaced'] += int(weak.sum())
            kpts[weak, :2] = flowed[weak]
            kpts[weak, 2] = ratio * conf_flow[weak]
            entry['keypoints'] = [round(float(v), 6)
                                  for v in kpts.reshape(-1)]
        prev = (grey, kpts, frame)
    return stats
