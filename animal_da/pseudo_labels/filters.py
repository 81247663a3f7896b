"""Pseudo-label filters: each turns scores or losses into a keep-mask.

Registered in mmpose's ``MODELS`` registry so configs can name them.
"""
from typing import Dict, Optional, Sequence, Union

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


@MODELS.register_module()
class GroupQuantileFilter:
    """FreeNet's body-part-aware pseudo-label masks (METHODS.md 3.4).

    Per part group, all confidences of the group's joints in the batch are
    sorted in descending order and ``tau_g = max(sorted[min(floor(N_g
    rho_g), N_g - 1)], floor)``; a joint is kept when its confidence is at
    least its group's threshold. The keep ratios ``rho_g`` follow FreeNet's
    cosine decay from 1 to ``r_g`` (``ScheduledValuesHook`` with
    ``CosineRampDown(length=down_step, min=r_g)`` per group).

    Args:
        groups (dict): Group name -> joint indices (a partition of the
            joints, e.g. ``PART_GROUPS['animal_union24']``).
        floor (float): Lowest threshold [0.2].
    """

    def __init__(self, groups: Dict[str, Sequence[int]], floor: float = 0.2):
        if not groups:
            raise ValueError('GroupQuantileFilter needs at least one group')
        self.groups = {k: [int(j) for j in v] for k, v in groups.items()}
        self.floor = floor

    def thresholds(self, conf: torch.Tensor,
                   ratios: Dict[str, float]) -> Dict[str, float]:
        """Each group's threshold for (B, K) confidences."""
        out = {}
        for name, joints in self.groups.items():
            if name not in ratios:
                raise KeyError(f'no keep ratio for part group {name!r}')
            vals = conf[:, joints].flatten().sort(descending=True).values
            n = vals.numel()
            if n == 0:
                out[name] = self.floor
                continue
            idx = min(int(n * float(ratios[name])), n - 1)
            out[name] = max(float(vals[idx]), self.floor)
        return out

    def __call__(self, conf: torch.Tensor,
                 ratios: Dict[str, float]) -> torch.Tensor:
        """Args: conf (B, K) confidences, ratios group -> keep ratio.
        Returns a (B, K) bool mask."""
        mask = torch.zeros_like(conf, dtype=torch.bool)
        for name, thr in self.thresholds(conf, ratios).items():
            joints = self.groups[name]
            mask[:, joints] = conf[:, joints] >= thr
        return mask


@MODELS.register_module()
class ConfidenceBandFilter:
    """FreeNet's feedback joints: the medium-confidence band of teacher and
    student (METHODS.md 3.4).

    Both confidence sets are sorted in descending order over all joint
    instances; ``hi = max(T[floor(hi_q N)], S[floor(hi_q N)])`` and ``lo =
    min(T[floor(lo_q N)], S[floor(lo_q N)])``; a joint is in the band when
    ``lo <= conf_T <= hi``.

    Args:
        hi_q (float): Quantile (from the top) of the upper bound [0.2].
        lo_q (float): Quantile (from the top) of the lower bound [0.8].
    """

    def __init__(self, hi_q: float = 0.2, lo_q: float = 0.8):
        if not 0 <= hi_q <= lo_q <= 1:
            raise ValueError(f'need 0 <= hi_q <= lo_q <= 1, got {hi_q}, '
                             f'{lo_q}')
        self.hi_q, self.lo_q = hi_q, lo_q

    @staticmethod
    def _at(conf: torch.Tensor, q: float) -> torch.Tensor:
        vals = conf.flatten().sort(descending=True).values
        return vals[min(int(q * vals.numel()), vals.numel() - 1)]

    def __call__(self, conf_t: torch.Tensor,
                 conf_s: torch.Tensor) -> torch.Tensor:
        """Args: conf_t, conf_s (B, K) teacher and student confidences.
        Returns a (B, K) bool mask."""
        if conf_t.numel() == 0:
            return torch.zeros_like(conf_t, dtype=torch.bool)
        hi = torch.maximum(self._at(conf_t, self.hi_q),
                           self._at(conf_s, self.hi_q))
        lo = torch.minimum(self._at(conf_t, self.lo_q),
                           self._at(conf_s, self.lo_q))
        return (conf_t >= lo) & (conf_t <= hi)


def build_filter(cfg: Union[dict, object]):
    """Build a filter from a config dict (or pass an instance through)."""
    if isinstance(cfg, dict):
        return MODELS.build(cfg)
    return cfg
