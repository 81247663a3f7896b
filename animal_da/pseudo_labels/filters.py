"""Pseudo-label filters: each turns scores or losses into a keep-mask.

Registered in mmpose's ``MODELS`` registry so configs can name them.
"""
from typing import Optional, Union

import numpy as np
import torch
from mmpose.registry import MODELS

Array = Union[np.ndarray, torch.Tensor]


@MODELS.register_module()
class GlobalPercentileFilter:
    """Keep keypoints whose confidence is above a global percentile.

    UDA-Animal-Pose (p=0.6) and ScarceNet (p=0.4): pool every keypoint's
    confidence plus a dummy 0, sort, take ``thr = sorted[int(p * N)]`` and
    keep ``conf > thr``, about the top ``1 - p`` of keypoints.

    Args:
        percentile (float): The fraction ``p`` in [0, 1).
    """

    def __init__(self, percentile: float = 0.4):
        if not 0 <= percentile < 1:
            raise ValueError(f'percentile must be in [0, 1), got '
                             f'{percentile}')
        self.percentile = percentile

    def threshold(self, scores: np.ndarray) -> float:
        """The confidence threshold for ``scores`` of any shape."""
        pool = np.sort(np.concatenate([np.asarray(scores).reshape(-1),
                                       [0.]]))
        return float(pool[int(self.percentile * len(pool))])

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores)
        return scores > self.threshold(scores)


@MODELS.register_module()
class SmallLossFilter:
    """Keep the ``rate`` fraction of valid keypoints with the smallest loss.

    ScarceNet's small-loss trick: one pool over the whole batch (labelled and
    unlabelled keypoints compete), ``K = floor(rate * #valid)``. ``rate`` is
    usually set each epoch by ``ScheduledValuesHook``.

    Args:
        rate (float): Fraction of valid keypoints kept.
    """

    def __init__(self, rate: float = 1.0):
        self.rate = rate

    def __call__(self, losses: torch.Tensor,
                 valid: torch.Tensor) -> torch.Tensor:
        """Args: losses (B, K), valid (B, K) bool. Returns a (B, K) mask."""
        n_keep = int(self.rate * int(valid.sum()))
        mask = torch.zeros_like(valid, dtype=torch.bool)
        if n_keep <= 0:
            return mask
        # invalid keypoints rank last (ScarceNet gives them max(loss))
        ranked = torch.where(valid, losses, losses.new_tensor(float('inf')))
        idx = ranked.flatten().topk(n_keep, largest=False).indices
        mask.view(-1)[idx] = True
        return mask & valid


@MODELS.register_module()
class AgreementFilter:
    """Keep keypoints whose predictions on two views agree.

    ScarceNet's reusable-sample check: the distance between the argmax on the
    weak view and the clean-view argmax mapped into the weak view must be
    below ``dist_thr`` heatmap pixels. The original adds 0.5 to the mapped
    location (``offset=0.5``, the paper-parity value), which puts two
    identical predictions 0.707 px apart; ``offset=0`` is the corrected
    variant.

    Args:
        dist_thr (float): Distance threshold in heatmap pixels.
        offset (float): Added to the mapped location (parity quirk).
    """

    def __init__(self, dist_thr: float = 0.6, offset: float = 0.5):
        self.dist_thr = dist_thr
        self.offset = offset

    def __call__(self, loc_a: torch.Tensor, loc_b: torch.Tensor,
                 valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args: loc_a, loc_b (B, K, 2) heatmap pixels; loc_b is the mapped
        one. Returns a (B, K) mask."""
        dist = (loc_a - (loc_b + self.offset)).norm(dim=-1)
        mask = dist < self.dist_thr
        return mask if valid is None else mask & valid


def build_filter(cfg: Union[dict, object]):
    """Build a filter from a config dict (or pass an instance through)."""
    if isinstance(cfg, dict):
        return MODELS.build(cfg)
    return cfg
