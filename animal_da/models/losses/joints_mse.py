"""HRNet-style joint MSE with the original code's weighting conventions."""
import torch
from torch import nn
from mmpose.registry import MODELS


@MODELS.register_module()
class JointsMSELoss(nn.Module):
    """Heatmap MSE as the HRNet family of code computes it (METHODS.md 0.1).

    ``L = reduce_j scale * mean_{b, pixels}(...)`` where the per-joint term is
    ``(w P - w T)^2`` with ``weight_mode='inside'`` (HRNet, UDA-Animal-Pose,
    ScarceNet: a weight of 2 scales that joint's loss by 4) or
    ``w (P - T)^2`` with ``'outside'`` (mmpose's ``KeypointMSELoss``: by 2).
    The two agree for binary weights.

    Args:
        weight_mode (str): ``inside`` or ``outside``.
        scale (float): Factor per joint (HRNet: 0.5).
        joint_reduction (str): ``mean`` or ``sum`` over joints.
        loss_weight (float): Overall factor.
    """

    def __init__(self, weight_mode: str = 'inside', scale: float = 0.5,
                 joint_reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        if weight_mode not in ('inside', 'outside'):
            raise ValueError(f'weight_mode must be inside or outside, got '
                             f'{weight_mode!r}')
        if joint_reduction not in ('mean', 'sum'):
            raise ValueError(f'joint_reduction must be mean or sum, got '
                             f'{joint_reduction!r}')
        self.weight_mode = weight_mode
        self.scale = scale
        self.joint_reduction = joint_reduction
        self.loss_weight = loss_weight

    def per_joint(self, output: torch.Tensor, target: torch.Tensor,
                  weights: torch.Tensor) -> torch.Tensor:
        """Per-sample, per-joint losses (B, K), ``scale`` included."""
        w = weights[..., None, None]
        if self.weight_mode == 'inside':
            err = (output * w - target * w)**2
        else:
            err = w * (output - target)**2
        return self.scale * err.flatten(2).mean(-1)

    def forward(self, output: torch.Tensor, target: torch.Tensor,
                weights: torch.Tensor) -> torch.Tensor:
        """The reduced loss.

        Args:
            output (Tensor): (B, K, H, W) predictions.
            target (Tensor): (B, K, H, W) targets.
            weights (Tensor): (B, K) weights.
        """
        per = self.per_joint(output, target, weights).mean(0)
        loss = per.mean() if self.joint_reduction == 'mean' else per.sum()
        return self.loss_weight * loss

    def topk(self, output: torch.Tensor, target: torch.Tensor,
             weights: torch.Tensor, k: int) -> torch.Tensor:
        """UDA-Animal-Pose's curriculum loss: per image, the ``k`` joints
        with the smallest loss (zero-weight joints rank last and add zero
        where an image has fewer than ``k`` valid ones); the kept losses are
        summed and divided by ``k * B`` (METHODS.md 1.6).

        Args:
            output (Tensor): (B, K, H, W) predictions.
            target (Tensor): (B, K, H, W) targets.
            weights (Tensor): (B, K) weights.
            k (int): Joints kept per image.
        """
        per = self.per_joint(output, target, weights)
        k = max(1, min(int(k), per.shape[1]))
        rank = torch.where(weights > 0, per.detach(),
                           torch.full_like(per, float('inf')))
        idx = rank.topk(k, dim=1, largest=False).indices
        kept = per.gather(1, idx)
        return self.loss_weight * kept.sum() / (k * per.shape[0])
