"""ScarceNet's joint-specific head (MBHRNet, METHODS.md 2.2)."""
from typing import Optional

import torch
from torch import nn
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS


class _PerJointBranches(nn.Module):
    """K independent small heads, run as grouped convolutions.

    Each joint has: 1x1 conv C -> c (bias); a bottleneck with inplanes c,
    planes c and expansion 4 whose shortcut is a 1x1 conv c -> 4c with BN;
    and a 1x1 conv 4c -> 1. Grouped convolutions with ``groups=K`` compute
    exactly K separate heads in one call (BN over K*c channels is K separate
    BNs).
    """

    def __init__(self, in_channels: int, num_joints: int, channels: int):
        super().__init__()
        k, c = num_joints, channels
        self.num_joints = k
        self.stem = nn.Conv2d(in_channels, k * c, 1)
        self.conv1 = nn.Conv2d(k * c, k * c, 1, groups=k, bias=False)
        self.bn1 = nn.BatchNorm2d(k * c)
        self.conv2 = nn.Conv2d(k * c, k * c, 3, padding=1, groups=k,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(k * c)
        self.conv3 = nn.Conv2d(k * c, k * 4 * c, 1, groups=k, bias=False)
        self.bn3 = nn.BatchNorm2d(k * 4 * c)
        self.shortcut = nn.Sequential(
            nn.Conv2d(k * c, k * 4 * c, 1, groups=k, bias=False),
            nn.BatchNorm2d(k * 4 * c))
        self.out = nn.Conv2d(k * 4 * c, k, 1, groups=k)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.out(self.relu(y + self.shortcut(x)))


@MODELS.register_module()
class PerJointHeatmapHead(HeatmapHead):
    """mmpose's ``HeatmapHead`` with one small head per joint at the end.

    For HRNet-W32 as in ScarceNet use ``in_channels=32``,
    ``deconv_out_channels=None`` and ``joint_channels=32``.

    Args:
        joint_channels (int, optional): Width of each joint's head (default:
            the channels entering the final layer).
        **kwargs: As for :class:`mmpose.models.heads.HeatmapHead`.
    """

    def __init__(self, *args, joint_channels: Optional[int] = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(self.final_layer, nn.Conv2d):
            raise ValueError('PerJointHeatmapHead needs a final layer '
                             '(final_layer=None is not supported)')
        in_ch = self.final_layer.in_channels
        self.final_layer = _PerJointBranches(
            in_ch, self.out_channels, joint_channels or in_ch)
