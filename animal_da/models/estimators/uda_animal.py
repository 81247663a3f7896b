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

    Views (``SharedMultiBranch`` branches): ``source`` (labelled source
    images with their targets), and for each target instance ``target``
    (strong view carrying the pseudo-label targets), ``target_cons`` (the
    consistency view) and ``teacher`` (the clean crop). The pose estimator's
    head must be a ``RefineHeatmapHead`` with ``dual_refine=True``.

    Loss terms (logged under their own keys), each weight from the
    ``ScheduledValuesHook`` values named in brackets, else
    ``semi_train_cfg``:

    - ``loss_sup``: ``MSE(coarse) + MSE(refined)`` on the (mixed) source;
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
    ``mixup`` (a ``PoseMixup`` config, or None), ``teacher_bn_sync``
    (True, parity: the teacher also runs on the mixed source and target
    batches, only so its BN statistics see the same data) and
    ``joint_forward`` (False, parity: each view is its own forward, so
    train-mode BatchNorm normalises each domain alone; True runs the
    student once over the source, target and consistency views together and
    the teacher once over its views, a speed switch whose BatchNorm
    statistics mix the domains: its effect on accuracy is in the README)
    and ``no_grad_autocast`` (None; a dtype such as ``'bfloat16'`` for the
    teacher's passes, a speed switch).

    Args:
        discriminator (dict): Domain discriminator on the refinement
            features (``ConvDomainDiscriminator``).
        **kwargs: As for ``TeacherStudentPoseEstimator``.
    """

    DEFAULTS = dict(
        loss=dict(type='JointsMSELoss', weight_mode='inside', scale=0.5),
        mixup=None,
        topk=None,  # None: every keypoint (paper: scheduled 18 -> 9)
        pseudo_label_weight=15.0,  # paper: scheduled 15 -> 8
        consistency_weight=90.0,  # paper: scheduled 0 -> 90
        two_head_weight=0.01,
        adv_weight=0.0005,
        grl_coeff=1.0,  # paper: scheduled by DANN's rule
        teacher_bn_sync=True,
        joint_forward=False,
        no_grad_autocast=None,
    )
    LOSS_WEIGHTS = dict(loss_pseudo='pseudo_label_weight',
                        loss_dom='adv_weight', loss_self='consistency_weight',
                        loss_heads='two_head_weight',
                        loss_cons='consistency_weight')

    def __init__(self, *args, discriminator: dict, **kwargs):
        super().__init__(*args, **kwargs)
        head = self.student.head
        if not isinstance(head, RefineHeatmapHead) or not head.dual_refine:
            raise TypeError('UDAAnimalPoseEstimator needs a RefineHeatmapHead '
                            'with dual_refine=True in the pose estimator')
        self.discriminator = MODELS.build(discriminator)
        cfg = self.semi_train_cfg
        self.mse = MODELS.build(cfg['loss'])
        self.mixup = MODELS.build(cfg['mixup']) if cfg['mixup'] else None
        self.domain_bce = MODELS.build(dict(type='DomainBCELoss'))
        decoder = head.decoder
        self.stride = float(decoder.scale_factor[0])
        self.num_keypoints = head.out_channels
        if cfg['topk'] is None:
            cfg['topk'] = self.num_keypoints

    def adapt_plain_state(self, net: torch.nn.Module, state: dict) -> tuple:
        """A stage-1 model has one refined head; the second may be missing
        (it is copied from the first, as the paper's ``init_pretrained``)."""
        return state, ('head.refine_predict_2.', )

    def after_plain_load(self, net: torch.nn.Module,
                         missing: List[str]) -> None:
        if missing:
            net.head.copy_refine_head()

    def run(self, net: torch.nn.Module, x: Tensor,
            second: bool = False) -> Dict[str, Tensor]:
        """Coarse and refined heatmaps and refinement features; with
        ``second``, the second refined head's maps too (only the
        consistency view's are used: skipping them elsewhere changes no
        loss and no prediction, only the running BN statistics of that
        head, which nothing reads)."""
        with self.timed(self.forward_part(net)), self.no_grad_autocast(x):
            out = net.head.forward_all(net.extract_feat(x), second=second)
        return out if torch.is_grad_enabled() else {
            k: v.float() for k, v in out.items()}

    def loss(self, inputs: Dict[str, Tensor],
             samples: Dict[str, List]) -> dict:
        """The stage-2 step as a short list of named terms (weights applied
        in :meth:`weighted`)."""
        dev = inputs['source'].device
        src = (inputs['source'], *self.targets(samples['source'], dev))
        trg = (inputs['target'], *self.targets(samples['target'], dev))
        if self.mixup is not None:
            src, trg, _ = self.mixup(src, trg)
        k = int(round(self.weight('topk')))
        if self.semi_train_cfg['joint_forward']:
            out_s, out_t, out_c = self.run_joint(
                self.student, [src[0], trg[0], inputs['target_cons']])
            with self.timed(self.forward_part(self.student)):
                out_c['refined_2'] = self.student.head.refine_second(
                    out_c['features'])
        else:
            out_s, out_t = self.run(self.student, src[0]), self.run(
                self.student, trg[0])
            out_c = self.run(self.student, inputs['target_cons'],
                             second=True)
        terms = dict(
            loss_sup=self.source_loss(out_s, src),
            loss_pseudo=self.pseudo_label_loss(out_t, trg, k),
            loss_dom=self.domain_loss(out_s['features'],
                                      out_t['features']))
        terms['loss_self'] = self.self_feedback_loss(out_c, k)
        terms['loss_heads'] = 0.5 * F.mse_loss(out_c['refined'],
                                               out_c['refined_2'])
        teacher = self.teacher_targets(inputs, samples, src[0], trg[0])
        terms['loss_cons'] = self.consistency_loss(out_c, teacher)
        return self.weighted(terms)

    def run_joint(self, net: torch.nn.Module,
                  views: List[Tensor]) -> List[Dict[str, Tensor]]:
        """:meth:`run` once over several views, split back per view."""
        out = self.run(net, torch.cat(views))
        sizes = [len(v) for v in views]
        parts = {k: v.split(sizes) for k, v in out.items()}
        return [{k: parts[k][i] for k in parts} for i in range(len(views))]

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
        target 0, each half-weighted)."""
        coeff = self.weight('grl_coeff')
        d_s = self.discriminator(grad_reverse(feat_s, coeff))
        d_t = self.discriminator(grad_reverse(feat_t, coeff))
        return self.domain_bce(d_s, torch.ones_like(d_s)) / 2 + \
            self.domain_bce(d_t, torch.zeros_like(d_t)) / 2

    def self_feedback_loss(self, out: Dict[str, Tensor], k: int) -> Tensor:
        """Inner loop: coarse maps distilled from the detached refined."""
        ones = out['coarse'].new_ones(out['coarse'].shape[:2])
        return self.mse.topk(out['coarse'], out['refined'].detach(), ones, k)

    @torch.no_grad()
    def teacher_targets(self, inputs: Dict[str, Tensor],
                        samples: Dict[str, List], x_src: Tensor,
                        x_trg: Tensor) -> Tensor:
        """The teacher's targets: its refined maps on its view, warped into
        the consistency view."""
        cfg = self.semi_train_cfg
        if cfg['joint_forward'] and cfg['teacher_bn_sync']:
            heat = self.run_joint(self.teacher, [x_src, x_trg, inputs[
                'teacher']])[2]['refined']
        else:
            if cfg['teacher_bn_sync']:
                self.run(self.teacher, x_src)  # BN statistics only
                self.run(self.teacher, x_trg)
            heat = self.run(self.teacher, inputs['teacher'])['refined']
        return self.warp_between_views(heat, samples['teacher'],
                                       samples['target_cons'], self.stride)

    def consistency_loss(self, out: Dict[str, Tensor],
                         target: Tensor) -> Tensor:
        """Outer loop: second refined head against the warped teacher."""
        ones = target.new_ones(target.shape[:2])
        return self.mse(out['refined_2'], target, ones)
