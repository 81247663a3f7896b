"""UDA-Animal-Pose's deconvolution head with a CPN-style refinement block."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.utils.tensor_utils import to_numpy
from torch import Tensor, nn


class RefineBottleneck(nn.Module):
    """CPN's refine bottleneck: 1x1 -> ``mid`` BN ReLU, 3x3 ``mid`` BN ReLU,
    1x1 -> ``out`` BN, plus a 1x1 conv+BN projection shortcut; ReLU."""

    def __init__(self, in_channels: int, mid: int, out: int):
        super().__init__()
        self.body = nn.Sequential(
            ConvModule(in_channels, mid, 1, norm_cfg=dict(type='BN')),
            ConvModule(mid, mid, 3, padding=1, norm_cfg=dict(type='BN')),
            ConvModule(mid, out, 1, norm_cfg=dict(type='BN'), act_cfg=None))
        self.shortcut = ConvModule(in_channels, out, 1,
                                   norm_cfg=dict(type='BN'), act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


@MODELS.register_module()
class RefineHeatmapHead(HeatmapHead):
    """UDA-Animal-Pose's head (METHODS.md 1.2) as an mmpose heatmap head.

    ``[1x1 conv in -> pre_channels, BN, ReLU]`` (optional), mmpose's
    deconvolution layers and final 1x1 conv (the *coarse* heatmaps), and a
    refinement block: the pre-deconv map and each deconv output (F1..F4) pass
    through (n-1-i) refine bottlenecks, are upsampled (bilinear,
    align_corners) to the last map's size and concatenated into ``ft``
    (the multi-scale features UDA's discriminator sees); one refine
    bottleneck plus a 3x3 conv predicts the *refined* heatmaps. With
    ``dual_refine`` a second identical refined head is added (UDA stage 2;
    both start from the same weights).

    ``forward`` returns the first refined heatmaps, so mmpose's ``predict``
    (flip test, decoding) and every inference API use them; training losses
    are on coarse and refined maps (stage 1: ``MSE(coarse) + MSE(ref1)``).

    Args:
        in_channels (int): Backbone output channels.
        out_channels (int): Keypoints.
        pre_channels (int, optional): Width of the first 1x1 conv (paper
            256); None skips it.
        deconv_out_channels (Sequence[int]): Deconv widths (paper 256 x 3);
            all must be equal to ``pre_channels`` when it is set.
        refine_mid (int): Refine bottleneck middle width (paper 128).
        refine_out (int): Refine bottleneck output width (paper 256).
        dual_refine (bool): Add the second refined head.
        **kwargs: As for ``HeatmapHead`` (loss, decoder, ...).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 pre_channels: Optional[int] = 256,
                 deconv_out_channels: Sequence[int] = (256, 256, 256),
                 deconv_kernel_sizes: Sequence[int] = (4, 4, 4),
                 refine_mid: int = 128,
                 refine_out: int = 256,
                 dual_refine: bool = False,
                 **kwargs):
        if not deconv_out_channels:
            raise ValueError('RefineHeatmapHead needs deconvolution layers')
        first = pre_channels or in_channels
        super().__init__(in_channels=first, out_channels=out_channels,
                         deconv_out_channels=deconv_out_channels,
                         deconv_kernel_sizes=deconv_kernel_sizes, **kwargs)
        self.in_channels = in_channels
        self.pre = ConvModule(in_channels, pre_channels, 1,
                              norm_cfg=dict(type='BN')) \
            if pre_channels else nn.Identity()
        widths = [first] + list(deconv_out_channels)
        n = len(widths)
        self.refine_branches = nn.ModuleList()
        for i, w in enumerate(widths):
            blocks, c = [], w
            for _ in range(n - 1 - i):
                blocks.append(RefineBottleneck(c, refine_mid, refine_out))
                c = refine_out
            self.refine_branches.append(nn.Sequential(*blocks))
        branch_out = [refine_out if i < n - 1 else w
                      for i, w in enumerate(widths)]
        self.feature_channels = sum(branch_out)
        self.refine_predict = self._predictor(refine_mid, refine_out,
                                              out_channels)
        self.dual_refine = dual_refine
        if dual_refine:
            self.refine_predict_2 = self._predictor(refine_mid, refine_out,
                                                    out_channels)

    def _predictor(self, mid: int, out: int, joints: int) -> nn.Sequential:
        return nn.Sequential(
            RefineBottleneck(self.feature_channels, mid, out),
            nn.Conv2d(out, joints, 3, padding=1))

    def forward_all(self, feats: Tuple[Tensor],
                    second: bool = True) -> Dict[str, Tensor]:
        """Coarse heatmaps, refined heatmaps (one or two) and ``ft``.

        Args:
            feats (tuple[Tensor]): Backbone features.
            second (bool): Also the second refined head's maps
                (``refined_2``, with ``dual_refine``); False skips that
                head (about 15 % of a forward), for views whose
                ``refined_2`` nothing uses.
        """
        x = self.pre(feats[-1])
        maps = [x]
        layers = list(self.deconv_layers)
        for i in range(0, len(layers), 3):  # [deconv, BN, ReLU] per layer
            for layer in layers[i:i + 3]:
                x = layer(x)
            maps.append(x)
        coarse = self.final_layer(self.conv_layers(x))
        size = maps[-1].shape[-2:]
        ft = torch.cat([
            F.interpolate(branch(m), size=size, mode='bilinear',
                          align_corners=True) if m.shape[-2:] != size else
            branch(m) for branch, m in zip(self.refine_branches, maps)], 1)
        out = dict(coarse=coarse, refined=self.refine_predict(ft),
                   features=ft)
        if self.dual_refine and second:
            out['refined_2'] = self.refine_second(ft)
        return out

    def refine_second(self, features: Tensor) -> Tensor:
        """The second refined head's maps from the refinement features
        (``features`` of :meth:`forward_all`)."""
        return self.refine_predict_2(features)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """The first refined heatmaps."""
        return self.forward_all(feats, second=False)['refined']

    def loss(self, feats: Tuple[Tensor], batch_data_samples,
             train_cfg: dict = {}) -> dict:
        """Stage 1: ``MSE(coarse) + MSE(refined)`` (METHODS.md 1.4)."""
        out = self.forward_all(feats, second=False)
        gt = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        w = torch.cat([d.gt_instance_labels.keypoint_weights
                       for d in batch_data_samples])
        losses = dict(
            loss_kpt=self.loss_module(out['coarse'], gt, w) +
            self.loss_module(out['refined'], gt, w))
        if train_cfg.get('compute_acc', True):
            _, acc, _ = pose_pck_accuracy(
                output=to_numpy(out['refined']), target=to_numpy(gt),
                mask=to_numpy(w) > 0)
            losses['acc_pose'] = torch.tensor(acc, device=gt.device)
        return losses

    def copy_refine_head(self) -> None:
        """Start the second refined head from the first (UDA stage 2)."""
        if self.dual_refine:
            self.refine_predict_2.load_state_dict(
                self.refine_predict.state_dict())
