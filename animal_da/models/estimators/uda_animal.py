"""UDA-Animal-Pose (Li & Lee, CVPR 2021) stage 2 as a teacher-student
recipe with a domain discriminator."""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor

from ..heads.domain_discriminators import grad_reverse
from ..heads.refine_head import RefineHeatmapHead
from .teacher_student import TeacherStudentPoseEstimator


@MODELS.register_module()
class UDAAnimalPoseEstimator(TeacherStudentPoseEstimator):
    """UDA-Animal-Pose's training step (METHODS.md 1.6).

    Views (``mmdet.MultiBranch`` branches): ``source`` (labelled source
    images with their targets), and for each target instance ``target``
    (strong view carrying the pseudo-label targets), ``target_cons`` (the
    consistency view) and ``teacher`` (the clean crop). The pose estimator's
    head must be a ``RefineHeatmapHead`` with ``dual_refine=True``.

    Loss terms (logged under their own keys), each weight from the
    ``ScheduledValuesHook`` values named in brackets, else
    ``semi_train_cfg``:

    - ``loss_src``: ``MSE(coarse) + MSE(refined)`` on the (mixed) source;
    - ``loss_pseudo``: [``pseudo_label_weight``, 15 -> 8] x curriculum
      top-[``topk``, 18 -> 9] loss of coarse and refined on the (mixed)
      target strong view;
    - ``loss_dom``: ``adv_weight`` (0.0005) x the discriminator's BCE on the
      refinement features through gradient reversal [``grl_coeff``, DANN],
      source labelled 1, target 0, each half-weighted;
    - ``loss_self``: [``consistency_weight``, 0 -> 90] x top-k loss of the
      coarse maps against the detached refined maps (self-feedback);
    - ``loss_heads``: ``two_head_weight`` (0.01) x 0.5 x mean squared
      difference of the two refined heads;
    - ``loss_cons``: [``consistency_weight``] x MSE of the second refined
      head against the teacher's soft refined heatmaps warped into the
      consistency view.

    ``semi_train_cfg`` also takes ``loss`` (JointsMSE, HRNet convention),
    ``mixup`` (a ``PoseMixup`` config, or None) and ``teacher_bn_sync``
    (True, parity: the teacher also runs on the mixed source and target
    batches, only so its BN statistics see the same data).

    Args:
        discriminator (dict): Domain discriminator on the refinement
            features (``ConvDomainDiscriminator``).
        **kwargs: As for ``TeacherStudentPoseEstimator``.
    """

    def __init__(self, *args, discriminator: dict, **kwargs):
        super().__init__(*args, **kwargs)
        head = self.student.head
        if not isinstance(head, RefineHeatmapHead) or not head.dual_refine:
            raise TypeError('UDAAnimalPoseEstimator needs a RefineHeatmapHead '
                            'with dual_refine=True in the pose estimator')
        self.discriminator = MODELS.build(discriminator)
        cfg = self.semi_train_cfg
        self.mse = MODELS.build(cfg.get(
            'loss', dict(type='JointsMSELoss', weight_mode='inside',
                         scale=0.5)))
        self.mixup = MODELS.build(cfg['mixup']) if cfg.get('mixup') else None
        decoder = head.decoder
        self.stride = float(decoder.scale_factor[0])
        self.num_keypoints = head.out_channels

    def load_plain_checkpoint(self, net: torch.nn.Module, path: str) -> None:
        """A stage-1 model (one refined head) loads with its refined head
        copied into the second one, as the paper's ``init_pretrained``."""
        from mmengine.runner.checkpoint import _load_checkpoint
        ckpt = _load_checkpoint(path, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        result = net.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys
                   if not k.startswith('head.refine_predict_2.')]
        if missing or result.unexpected_keys:
            raise RuntimeError(
                f'{path} does not fit the UDA pose estimator: missing '
                f'{missing[:5]}, unexpected {result.unexpected_keys[:5]}')
        if result.missing_keys:
            net.head.copy_refine_head()

    def weight(self, name: str, default: float) -> float:
        """A scheduled value, else the config's, else ``default``."""
        return float(self.scheduled.get(
            name, self.semi_train_cfg.get(name, default)))

    def run(self, net: torch.nn.Module, x: Tensor) -> Dict[str, Tensor]:
        """Coarse, refined (two) heatmaps and refinement features."""
        return net.head.forward_all(net.extract_feat(x))

    def loss(self, inputs: Dict[str, Tensor],
             samples: Dict[str, List]) -> dict:
        """The stage-2 step as a short list of named terms."""
        dev = inputs['source'].device
        src = (inputs['source'], *self.targets(samples['source'], dev))
        trg = (inputs['target'], *self.targets(samples['target'], dev))
        if self.mixup is not None:
            src, trg, _ = self.mixup(src, trg)
        k = int(round(self.weight('topk', self.num_keypoints)))
        out_s, out_t = self.run(self.student, src[0]), self.run(
            self.student, trg[0])
        losses = dict(
            loss_src=self.source_loss(out_s, src),
            loss_pseudo=self.weight('pseudo_label_weight', 15.0) *
            self.pseudo_label_loss(out_t, trg, k),
            loss_dom=self.domain_loss(out_s['features'],
                                      out_t['features']))
        out_c = self.run(self.student, inputs['target_cons'])
        w_c = self.weight('consistency_weight', 90.0)
        losses['loss_self'] = w_c * self.self_feedback_loss(out_c, k)
        losses['loss_heads'] = self.weight('two_head_weight', 0.01) * 0.5 * \
            F.mse_loss(out_c['refined'], out_c['refined_2'])
        losses['loss_cons'] = w_c * self.consistency_loss(
            out_c, inputs, samples, src[0], trg[0])
        return losses

    def source_loss(self, out: Dict[str, Tensor], src: tuple) -> Tensor:
        """Supervised loss on the source batch."""
        _, heat, w = src
        return self.mse(out['coarse'], heat, w) + self.mse(
            out['refined'], heat, w)

    def pseudo_label_loss(self, out: Dict[str, Tensor], trg: tuple,
                          k: int) -> Tensor:
        """Curriculum (top-k) loss against the pseudo labels."""
        _, heat, w = trg
        return self.mse.topk(out['coarse'], heat, w, k) + self.mse.topk(
            out['refined'], heat, w, k)

    def domain_loss(self, feat_s: Tensor, feat_t: Tensor) -> Tensor:
        """Discriminator BCE through gradient reversal (source 1,
        target 0)."""
        coeff = self.weight('grl_coeff', 1.0)
        d_s = self.discriminator(grad_reverse(feat_s, coeff))
        d_t = self.discriminator(grad_reverse(feat_t, coeff))
        bce = F.binary_cross_entropy_with_logits(
            d_s, torch.ones_like(d_s)) / 2 + \
            F.binary_cross_entropy_with_logits(d_t, torch.zeros_like(d_t)) / 2
        return self.weight('adv_weight', 0.0005) * bce

    def self_feedback_loss(self, out: Dict[str, Tensor], k: int) -> Tensor:
        """Inner loop: coarse maps distilled from the detached refined."""
        ones = out['coarse'].new_ones(out['coarse'].shape[:2])
        return self.mse.topk(out['coarse'], out['refined'].detach(), ones, k)

    @torch.no_grad()
    def teacher_heatmaps(self, inputs: Dict[str, Tensor],
                         samples: Dict[str, List], x_src: Tensor,
                         x_trg: Tensor) -> Tensor:
        """The teacher's refined maps on its view, warped into the
        consistency view."""
        if self.semi_train_cfg.get('teacher_bn_sync', True):
            self.run(self.teacher, x_src)  # BN statistics only
            self.run(self.teacher, x_trg)
        heat = self.run(self.teacher, inputs['teacher'])['refined']
        return self.warp_between_views(heat, samples['teacher'],
                                       samples['target_cons'], self.stride)

    def consistency_loss(self, out: Dict[str, Tensor],
                         inputs: Dict[str, Tensor], samples: Dict[str, List],
                         x_src: Tensor, x_trg: Tensor) -> Tensor:
        """Outer loop: second refined head against the warped teacher."""
        target = self.teacher_heatmaps(inputs, samples, x_src, x_trg)
        ones = target.new_ones(target.shape[:2])
        return self.mse(out['refined_2'], target, ones)
