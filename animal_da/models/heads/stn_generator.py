"""ASDA's generator: a spatial transformer that moves body-part canvases
onto the input where they hurt the pose network most (METHODS.md 4.2)."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn


def composite(x: Tensor, parts: Tensor, masks: Tensor) -> Tensor:
    """Sequential compositing ``x <- x (1 - M_i) + P_i M_i``.

    Args:
        x (Tensor): (B, C, H, W) images.
        parts (Tensor): (B, N, C, H, W) part canvases.
        masks (Tensor): (B, N, 1, H, W) masks in [0, 1].

    Returns:
        Tensor: (B, C, H, W).
    """
    for i in range(parts.shape[1]):
        m = masks[:, i]
        x = x * (1 - m) + parts[:, i] * m
    return x


def part_transforms(params: Tensor, max_rotation: float = math.pi,
                    max_translation: float = 2.4) -> Tensor:
    """``affine_grid`` matrices from per-part ``(a, u, v)`` in
    [-0.5, 0.5]: rotation ``pi a``, translation ``(2.4 u, 2.4 v)``
    (normalised coordinates), no scale.

    Args:
        params (Tensor): (..., 3).

    Returns:
        Tensor: (..., 2, 3) ``[[cos, sin, tx], [-sin, cos, ty]]``.
    """
    a, u, v = params.unbind(-1)
    th = max_rotation * a
    cos, sin = torch.cos(th), torch.sin(th)
    row0 = torch.stack([cos, sin, max_translation * u], -1)
    row1 = torch.stack([-sin, cos, max_translation * v], -1)
    return torch.stack([row0, row1], -2)


def warp_parts(parts: Tensor, masks: Tensor, types: Tensor, params: Tensor,
               max_rotation: float = math.pi,
               max_translation: float = 2.4) -> tuple:
    """Warp canvases (B, N, C, H, W) and masks (B, N, 1, H, W) with the
    ``(a, u, v)`` of their types (``params`` (B, T, 3); ``types`` (B, N),
    -1: no part, its mask stays empty)."""
    b, n, c, h, w = parts.shape
    sel = params.gather(1, types.clamp(min=0)[..., None].expand(-1, -1, 3))
    theta = part_transforms(sel, max_rotation,
                            max_translation).view(b * n, 2, 3)
    grid = F.affine_grid(theta, (b * n, c, h, w), align_corners=False)
    wp = F.grid_sample(parts.reshape(b * n, c, h, w), grid,
                       align_corners=False).view(b, n, c, h, w)
    wm = F.grid_sample(masks.reshape(b * n, 1, h, w), grid,
                       align_corners=False).view(b, n, 1, h, w)
    wm = wm * (types >= 0).to(wm)[..., None, None, None]
    return wp, wm


@MODELS.register_module()
class RandomPartPlacer(nn.Module):
    """The control of ASDA's generator: the same parts, pasted with a
    random rotation and translation drawn from the generator's range
    (``(a, u, v) ~ U(-0.5, 0.5)`` per part), nothing learnt.

    Args:
        num_types (int): Part types (for the interface; unused).
        max_rotation (float): As ``STNPartGenerator``.
        max_translation (float): As ``STNPartGenerator``.
    """

    def __init__(self, num_types: int = 1, max_rotation: float = math.pi,
                 max_translation: float = 2.4):
        super().__init__()
        self.num_types = num_types
        self.max_rotation, self.max_translation = max_rotation, \
            max_translation

    def forward(self, x: Tensor, parts: Tensor, masks: Tensor,
                types: Tensor) -> Tensor:
        if parts.shape[1] == 0:
            return x
        b, n = types.shape
        params = torch.rand(b, n, 3, device=x.device) - 0.5
        own = torch.arange(n, device=x.device).expand(b, n)
        wp, wm = warp_parts(parts, masks, torch.where(types >= 0, own, -1),
                            params, self.max_rotation, self.max_translation)
        return composite(x, wp, wm)


@MODELS.register_module()
class STNPartGenerator(BaseModule):
    """ASDA's STN: a localisation network on the clean input predicts, per
    part type, a rotation and a translation; each part canvas and its mask
    are warped with ``affine_grid`` / ``grid_sample`` and pasted in order.

    Localisation: a ResNet-18 (``backbone``; ImageNet weights through its
    ``init_cfg``) and global average pooling to 512-d, ``1x1 conv 512 ->
    hidden x T``, ReLU, a grouped ``1x1 conv (groups=T) -> 3 T``, sigmoid,
    minus 0.5. The last conv starts at zero: the identity transform.

    Args:
        num_types (int): Part types (25 for ASDA's LIP bank).
        backbone (dict): Localisation network config.
        in_channels (int): Its output channels.
        hidden (int): Channels per type of the first 1x1 conv [128].
        max_rotation (float): [pi: +-90 degrees at a = +-0.5].
        max_translation (float): [2.4: +-1.2 in normalised coordinates].
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, num_types: int,
                 backbone: Optional[dict] = None,
                 in_channels: int = 512, hidden: int = 128,
                 max_rotation: float = math.pi,
                 max_translation: float = 2.4,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_types < 1:
            raise ValueError(f'num_types must be >= 1, got {num_types}')
        self.num_types = num_types
        self.backbone = MODELS.build(backbone or dict(
            type='ResNet', depth=18, out_indices=(3, )))
        self.fc1 = nn.Conv2d(in_channels, hidden * num_types, 1)
        self.fc2 = nn.Conv2d(hidden * num_types, 3 * num_types, 1,
                             groups=num_types)
        self.max_rotation, self.max_translation = max_rotation, \
            max_translation
        self._zero_last()

    def _zero_last(self) -> None:
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._zero_last()  # the identity at start, whatever init_cfg did

    def params(self, x: Tensor) -> Tensor:
        """Per-type ``(a, u, v)`` in [-0.5, 0.5], (B, T, 3)."""
        feats = self.backbone(x)
        feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
        feat = F.adaptive_avg_pool2d(feat, 1)
        out = self.fc2(F.relu(self.fc1(feat)))
        return (torch.sigmoid(out) - 0.5).view(x.shape[0], self.num_types, 3)

    def warp(self, parts: Tensor, masks: Tensor, types: Tensor,
             params: Tensor) -> tuple:
        """:func:`warp_parts` with this generator's ranges."""
        return warp_parts(parts, masks, types, params, self.max_rotation,
                          self.max_translation)

    def forward(self, x: Tensor, parts: Tensor, masks: Tensor,
                types: Tensor) -> Tensor:
        """The input with the warped parts pasted on it.

        Args:
            x (Tensor): (B, C, H, W) normalised clean inputs.
            parts (Tensor): (B, N, C, H, W) normalised canvases (zero
                outside their masks).
            masks (Tensor): (B, N, 1, H, W).
            types (Tensor): (B, N) part types (-1: no part).
        """
        if parts.shape[1] == 0:
            return x
        wp, wm = self.warp(parts, masks, types, self.params(x))
        return composite(x, wp, wm)
