"""Gradient reversal and domain discriminators (UDA-Animal-Pose, FiDIP).

Every discriminator maps a feature map (B, C, H, W) to one domain logit per
image (B,). Domain labels follow the papers: 1 = source/synthetic,
0 = target/real.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn


class _GradReverse(torch.autograd.Function):
    """Identity forward; gradient times ``-coeff`` backward (DANN)."""

    @staticmethod
    def forward(ctx, x: Tensor, coeff: float) -> Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None]:
        return -ctx.coeff * grad, None


def grad_reverse(x: Tensor, coeff: float = 1.0) -> Tensor:
    """Gradient reversal: ``x`` forward, ``-coeff * grad`` backward.

    Args:
        x (Tensor): Features.
        coeff (float): Reversal coefficient (DANN's lambda).

    Returns:
        Tensor: ``x``, with the reversal in its backward.
    """
    return _GradReverse.apply(x, float(coeff))


@MODELS.register_module()
class GradientReversal(nn.Module):
    """:func:`grad_reverse` as a module; ``coeff`` may be changed between
    iterations (estimators set it from the ``grl_coeff`` schedule).

    Args:
        coeff (float): Reversal coefficient.
    """

    def __init__(self, coeff: float = 1.0):
        super().__init__()
        self.coeff = coeff

    def forward(self, x: Tensor) -> Tensor:
        return grad_reverse(x, self.coeff)


def _check_input(module: nn.Module, x: Tensor) -> None:
    """Features must have the channels and map size a discriminator was
    built for (its layers' shapes depend on them)."""
    name, channels = type(module).__name__, module.in_channels
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f'{name} expects features (B, {channels}, H, W), '
                         f'got {tuple(x.shape)}')
    if tuple(x.shape[-2:]) != module.in_size:
        raise ValueError(f'{name} was built for {module.in_size} maps, got '
                         f'{tuple(x.shape[-2:])}')


@MODELS.register_module()
class ConvDomainDiscriminator(BaseModule):
    """UDA-Animal-Pose's MDAM classifier (METHODS.md 1.2).

    ``num_convs`` blocks of [4x4 conv stride 2 pad 1, no bias,
    LeakyReLU(0.1)] with ``channels`` outputs, then a conv whose kernel covers
    the remaining map, giving one logit per image. Paper: 1024 input channels
    (the concatenated refinement features) at 64x64, channels 64..1024, a 2x2
    final conv.

    Args:
        in_channels (int): Feature channels.
        in_size (int or tuple): Feature map (H, W); must be divisible by
            ``2 ** len(channels)``.
        channels (Sequence[int]): Output channels of the strided convs.
        init_std (float): Std of the normal weight init (paper 0.001).
    """

    def __init__(self, in_channels: int = 1024,
                 in_size=(64, 64),
                 channels: Sequence[int] = (64, 128, 256, 512, 1024),
                 init_std: float = 0.001,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        h, w = (in_size, in_size) if isinstance(in_size, int) else in_size
        down = 2 ** len(channels)
        if h % down or w % down:
            raise ValueError(f'in_size {(h, w)} must be divisible by {down} '
                             f'for {len(channels)} stride-2 convs')
        layers, c = [], in_channels
        for out in channels:
            layers += [nn.Conv2d(c, out, 4, 2, 1, bias=False),
                       nn.LeakyReLU(0.1, inplace=True)]
            c = out
        layers.append(nn.Conv2d(c, 1, (h // down, w // down)))
        self.layers = nn.Sequential(*layers)
        self.in_channels, self.in_size = in_channels, (h, w)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=init_std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(self, x)
        return self.layers(x).flatten(1)[:, 0]


def _mlp(in_features: int, hidden: Sequence[int]) -> nn.Sequential:
    layers, c = [], in_features
    for h in hidden:
        layers += [nn.Linear(c, h), nn.BatchNorm1d(h), nn.ReLU(inplace=True)]
        c = h
    layers.append(nn.Linear(c, 1))
    return nn.Sequential(*layers)


@MODELS.register_module()
class MLPDomainDiscriminator(BaseModule):
    """FiDIP's ResNet classifier (METHODS.md 5.2): flatten, then [FC, BN1d,
    ReLU] per hidden size, then FC to one logit. Paper: layer4 output
    2048x12x9, hidden (2048, 512).

    Args:
        in_channels (int): Feature channels.
        in_size (tuple): Feature map (H, W).
        hidden (Sequence[int]): Hidden sizes.
    """

    def __init__(self, in_channels: int = 2048, in_size=(12, 9),
                 hidden: Sequence[int] = (2048, 512),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        h, w = (in_size, in_size) if isinstance(in_size, int) else in_size
        self.in_channels, self.in_size = in_channels, (h, w)
        self.mlp = _mlp(in_channels * h * w, hidden)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(self, x)
        return self.mlp(x.flatten(1))[:, 0]


@MODELS.register_module()
class ConvMLPDomainDiscriminator(BaseModule):
    """FiDIP's HRNet classifier (METHODS.md 5.6): [3x3 valid conv, BN, ReLU,
    2x2 max-pool] per conv width, flatten, then the MLP. Paper: HRNet-W48's
    first branch 48x96x72, convs (32, 8), hidden (256, 64).

    Args:
        in_channels (int): Feature channels.
        in_size (tuple): Feature map (H, W).
        convs (Sequence[int]): Conv widths.
        hidden (Sequence[int]): MLP hidden sizes.
    """

    def __init__(self, in_channels: int = 48, in_size=(96, 72),
                 convs: Sequence[int] = (32, 8),
                 hidden: Sequence[int] = (256, 64),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        h, w = (in_size, in_size) if isinstance(in_size, int) else in_size
        self.in_channels, self.in_size = in_channels, (h, w)
        layers, c = [], in_channels
        for out in convs:
            layers += [nn.Conv2d(c, out, 3), nn.BatchNorm2d(out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c, h, w = out, (h - 2) // 2, (w - 2) // 2
            if h < 1 or w < 1:
                raise ValueError(f'in_size {in_size} is too small for '
                                 f'{len(convs)} conv+pool blocks')
        self.convs = nn.Sequential(*layers)
        self.mlp = _mlp(c * h * w, hidden)

    def forward(self, x: Tensor) -> Tensor:
        _check_input(self, x)
        return self.mlp(self.convs(x).flatten(1))[:, 0]
