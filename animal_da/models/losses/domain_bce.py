"""The domain classification loss of the adversarial recipes."""
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class DomainBCELoss(nn.Module):
    """Binary cross-entropy of a domain discriminator's logits, one per
    image (1 = synthetic / source, 0 = real / target), averaged over the
    batch. Used by FiDIP and UDA-Animal-Pose (mmpose's losses have no
    logit-level binary loss for image labels, hence written here)."""

    def forward(self, logits: Tensor, labels: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, labels)

    @staticmethod
    def accuracy(logits: Tensor, labels: Tensor) -> Tensor:
        """The share of images whose domain the discriminator gets right."""
        return ((logits > 0).float() == labels).float().mean()
