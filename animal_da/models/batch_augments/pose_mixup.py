"""Mixup of pose batches: images, heatmaps and keypoint weights."""
from typing import Tuple

import torch
from mmpose.registry import MODELS
from torch import Tensor

Batch = Tuple[Tensor, Tensor, Tensor]  # images, heatmaps (B,K,H,W), weights


@MODELS.register_module()
class PoseMixup:
    """UDA-Animal-Pose's mixup (``--mixup_dual``, METHODS.md 1.6).

    Each call applies, with probability ``cross_domain_prob``, the
    **cross-domain** kind: per pair ``i`` (source ``i`` with target ``i``),
    ``lam ~ Beta(alpha, alpha)``, with ``max_lambda`` then
    ``lam = max(lam, 1 - lam)`` so each image keeps its own domain label,
    ``src_i = lam src_i + (1 - lam) trg_i`` and ``trg_i = lam trg_i +
    (1 - lam) src_i``; otherwise the **within-target** kind: a random
    permutation ``p`` of the target batch and ``trg = lam trg + (1 - lam)
    trg_p`` (no max). Heatmaps are mixed like the images.

    Weights (``weight_rule``): ``max`` (parity: a mixed joint counts fully
    if either side's joint does, so a pseudo label filtered out still gets
    weight 1 when the mixed-in joint is visible) or ``lambda`` (the
    mixing-weighted sum).

    Args:
        alpha (float): Beta distribution parameter (paper 0.8).
        cross_domain_prob (float): Chance of the cross-domain kind.
        max_lambda (bool): Keep ``lam >= 0.5`` in the cross-domain kind.
        weight_rule (str): ``max`` or ``lambda``.
    """

    def __init__(self, alpha: float = 0.8, cross_domain_prob: float = 0.5,
                 max_lambda: bool = True, weight_rule: str = 'max'):
        if weight_rule not in ('max', 'lambda'):
            raise ValueError(f'weight_rule must be max or lambda, got '
                             f'{weight_rule!r}')
        self.alpha = alpha
        self.cross_domain_prob = cross_domain_prob
        self.max_lambda = max_lambda
        self.weight_rule = weight_rule

    def _lam(self, n: int, ref: Tensor) -> Tensor:
        beta = torch.distributions.Beta(self.alpha, self.alpha)
        return beta.sample((n, )).to(ref.device, ref.dtype)

    def _mix(self, a: Batch, b: Batch, lam: Tensor) -> Batch:
        l4 = lam.view(-1, 1, 1, 1)
        img = l4 * a[0] + (1 - l4) * b[0]
        heat = l4 * a[1] + (1 - l4) * b[1]
        if self.weight_rule == 'max':
            w = torch.maximum(a[2], b[2])
        else:
            w = lam.view(-1, 1) * a[2] + (1 - lam.view(-1, 1)) * b[2]
        return img.to(a[0].dtype), heat, w

    def cross_domain(self, src: Batch, trg: Batch) -> Tuple[Batch, Batch]:
        """Mix index-aligned source/target pairs (the first ``min(Bs, Bt)``
        of each)."""
        n = min(src[0].shape[0], trg[0].shape[0])
        lam = self._lam(n, src[1])
        if self.max_lambda:
            lam = torch.maximum(lam, 1 - lam)
        s_head = tuple(x[:n] for x in src)
        t_head = tuple(x[:n] for x in trg)
        s_mix = self._mix(s_head, t_head, lam)
        t_mix = self._mix(t_head, s_head, lam)
        src = tuple(torch.cat([m, x[n:]]) for m, x in zip(s_mix, src))
        trg = tuple(torch.cat([m, x[n:]]) for m, x in zip(t_mix, trg))
        return src, trg

    def within(self, trg: Batch) -> Batch:
        """Mix the target batch with a permutation of itself."""
        n = trg[0].shape[0]
        perm = torch.randperm(n, device=trg[0].device)
        lam = self._lam(n, trg[1])
        return self._mix(trg, tuple(x[perm] for x in trg), lam)

    def __call__(self, src: Batch, trg: Batch) -> Tuple[Batch, Batch, str]:
        """Apply one kind; returns the batches and the kind's name."""
        if float(torch.rand(())) < self.cross_domain_prob:
            return (*self.cross_domain(src, trg), 'cross_domain')
        return src, self.within(trg), 'within_target'
