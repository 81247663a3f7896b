"""ScarceNet (Li & Lee, CVPR 2023) stage 2 as a teacher-student recipe.

METHODS.md 2.5-2.6: small-loss selection, reusable-sample re-labelling by
agreement between a weak and a clean view, and consistency with an EMA
teacher on hard re-rendered targets.
"""
from typing import Dict, List, NamedTuple, Optional

import torch
from mmpose.registry import MODELS
from torch import Tensor

from ...pseudo_labels import build_filter, decode_argmax, render_gaussian
from .teacher_student import TeacherStudentPoseEstimator


@MODELS.register_module()
class ScarceNetPoseEstimator(TeacherStudentPoseEstimator):
    """ScarceNet's training step on three views of each instance.

    Views (names of the ``SharedMultiBranch`` branches): ``strong`` (student,
    RandAugment + cutout, carries the targets), ``teacher`` (the clean crop)
    and ``weak`` (mild geometry, for the agreement check). Labelled instances
    carry ground truth, unlabelled ones their (filtered) pseudo labels.

    ``semi_train_cfg`` keys (paper-parity values in brackets):
        - ``loss``: supervised/consistency loss config [``JointsMSELoss``
          with weights inside the square, scale 0.5];
        - ``true_label_weight``: weight of labelled keypoints [2.0; inside
          the square it scales their loss by 4];
        - ``small_loss``: filter config [``SmallLossFilter``, its rate from
          the schedule ``small_loss_rate``: cosine 1 -> 0.8 over 30 epochs];
        - ``agreement``: filter config [``AgreementFilter(dist_thr=0.6,
          offset=0.5)``];
        - ``sigma``: Gaussian sigma of re-rendered targets, heatmap pixels
          [2 at 64x64];
        - ``consistency_weight``: used when no schedule sets it [2.0 after a
          10-epoch sigmoid ramp-up];
        - ``teacher_bn_sync``: also run the teacher on the strong view, only
          to update its BN statistics [True; False saves half of the
          teacher's cost];
        - ``agreement_on``: which instances the agreement check runs the
          student on [``'all'``, as the original: the weak and clean views of
          the whole batch, two forwards]; ``'candidates'`` runs one forward
          over the weak and clean views of only the instances that have a
          keypoint it could re-label (unlabelled instances with a keypoint
          outside the small-loss set: labelled ones never are). The decisions
          are the same except through train-mode BatchNorm, whose batch
          statistics then come from those instances (a speed switch; its
          effect on accuracy is in the README);
        - ``no_grad_autocast``: a dtype (``'bfloat16'``) for the passes
          without gradients [None: float32] (a speed switch,
          :meth:`no_grad_autocast`).
    """

    DEFAULTS = dict(
        loss=dict(type='JointsMSELoss', weight_mode='inside', scale=0.5),
        true_label_weight=2.0,
        small_loss=dict(type='SmallLossFilter', rate=1.0),
        small_loss_rate=1.0,  # paper: scheduled 1 -> 0.8
        agreement=dict(type='AgreementFilter', dist_thr=0.6, offset=0.5),
        sigma=None,  # None: the codec's sigma
        consistency_weight=2.0,  # paper: after a sigmoid ramp-up
        teacher_bn_sync=True,
        agreement_on='all',
        no_grad_autocast=None,
    )
    LOSS_WEIGHTS = dict(loss_cons='consistency_weight')

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cfg = self.semi_train_cfg
        self.sup_loss = MODELS.build(cfg['loss'])
        self.small_loss = build_filter(cfg['small_loss'])
        self.agreement = build_filter(cfg['agreement'])
        decoder = self.student.head.decoder
        self.stride = float(decoder.scale_factor[0])
        self.heatmap_size = tuple(int(v) for v in decoder.heatmap_size)
        self.sigma = float(cfg['sigma'] if cfg['sigma'] is not None else
                           decoder.sigma)
        if cfg['agreement_on'] not in ('all', 'candidates'):
            raise ValueError(f"agreement_on must be 'all' or 'candidates', "
                             f"got {cfg['agreement_on']!r}")

    def loss(self, inputs: Dict[str, Tensor],
             samples: Dict[str, List]) -> dict:
        """Supervised loss on selected and re-labelled targets, plus
        consistency with the teacher."""
        view = self.strong_view(inputs, samples)
        pred = self.heatmaps(self.student, view.inputs)
        sel = self.select_small_loss(pred, view)
        sel = self.find_reusable(inputs, samples, view, sel)
        target, weight = self.relabel(view, sel, samples)
        teacher = self.teacher_targets(inputs, samples)
        terms = dict(loss_sup=self.sup_loss(pred, target, weight),
                     loss_cons=self.consistency(pred, teacher, view))
        unl = (~view.labelled)[:, None] & (view.vis > 0)
        n_unl = unl.sum().clamp(min=1)
        terms['ratio_small'] = (sel.small & unl).sum() / n_unl
        terms['ratio_reuse'] = sel.reuse.sum() / n_unl
        return self.weighted(terms)

    def strong_view(self, inputs: Dict[str, Tensor],
                    samples: Dict[str, List]) -> 'StrongView':
        """The student's view with its (pseudo-)label targets."""
        xs, ss = inputs['strong'], samples['strong']
        target, vis = self.targets(ss, xs.device)
        labelled = self.stack_meta(ss, 'is_labelled', xs.device).bool()
        return StrongView(xs, target, vis, labelled)

    def select_small_loss(self, pred: Tensor,
                          view: 'StrongView') -> 'Selection':
        """Step 1: the batch-global small-loss keypoints (B, K)."""
        w = view.vis * torch.where(view.labelled,
                                   self.weight('true_label_weight'),
                                   1.)[:, None]
        with torch.no_grad():
            per_joint = self.sup_loss.per_joint(pred.detach(), view.target,
                                                w)
        self.small_loss.rate = self.weight('small_loss_rate')
        return Selection(small=self.small_loss(per_joint, view.vis > 0))

    @torch.no_grad()
    def find_reusable(self, inputs: Dict[str, Tensor],
                      samples: Dict[str, List], view: 'StrongView',
                      sel: 'Selection') -> 'Selection':
        """Step 2: the student's clean-view keypoints (heatmap pixels of the
        teacher view) and the unlabelled keypoints outside the small-loss set
        whose weak-view prediction agrees with them."""
        # keypoints it may re-label (pseudo labels filtered out included)
        open_ = ~sel.small & ~view.labelled[:, None]
        if self.semi_train_cfg['agreement_on'] == 'all':
            p_weak = self.heatmaps(self.student, inputs['weak'])
            p_clean = self.heatmaps(self.student, inputs['teacher'])
            idx = None
        else:  # one forward over both views of the instances that need it
            idx = open_.any(1).nonzero()[:, 0]
            if not len(idx):
                return sel._replace(anchor=torch.zeros(
                    (*open_.shape, 2), device=open_.device), reuse=open_)
            both = self.heatmaps(self.student, torch.cat(
                [inputs['weak'][idx], inputs['teacher'][idx]]))
            p_weak, p_clean = both.split(len(idx))
        j_weak, _ = decode_argmax(p_weak)
        anchor, _ = decode_argmax(p_clean)
        teacher_s, weak_s = samples['teacher'], samples['weak']
        if idx is not None:
            teacher_s = [teacher_s[i] for i in idx.tolist()]
            weak_s = [weak_s[i] for i in idx.tolist()]
        in_weak = self.map_between_views(anchor, teacher_s, weak_s,
                                         self.stride)
        agree = self.agreement(j_weak, in_weak)
        if idx is not None:  # back to the whole batch
            full = anchor.new_zeros((*open_.shape, 2))
            full[idx] = anchor
            anchor = full
            agree = open_.new_zeros(open_.shape).index_put(
                (idx, ), agree)
        return sel._replace(anchor=anchor, reuse=agree & ~sel.small &
                            ~view.labelled[:, None])

    def relabel(self, view: 'StrongView', sel: 'Selection',
                samples: Dict[str, List]) -> tuple:
        """Steps 3-4: re-labelled targets where reusable, weights
        ``m_reuse + m_small`` for unlabelled and ``2 vis`` for labelled."""
        in_strong = self.map_between_views(sel.anchor, samples['teacher'],
                                           samples['strong'], self.stride)
        heat, w_reuse = render_gaussian(in_strong, sel.reuse.float(),
                                        self.sigma, self.heatmap_size)
        final_target = torch.where(sel.reuse[..., None, None], heat,
                                   view.target)
        unl_w = torch.where(sel.reuse, w_reuse,
                            sel.small.float() * (view.vis > 0))
        lab_w = self.weight('true_label_weight') * view.vis
        return final_target, torch.where(view.labelled[:, None], lab_w,
                                         unl_w)

    @torch.no_grad()
    def teacher_targets(self, inputs: Dict[str, Tensor],
                        samples: Dict[str, List]) -> Tensor:
        """Step 5a, the teacher's targets: its argmax on the clean view, in
        the strong view's heatmap pixels."""
        if self.semi_train_cfg['teacher_bn_sync']:
            self.heatmaps(self.teacher, inputs['strong'])  # BN statistics
        j_t, _ = decode_argmax(self.heatmaps(self.teacher, inputs['teacher']))
        return self.map_between_views(j_t, samples['teacher'],
                                      samples['strong'], self.stride)

    def consistency(self, pred: Tensor, teacher_kpts: Tensor,
                    view: 'StrongView') -> Tensor:
        """Step 5b: MSE to hard Gaussians of the teacher's keypoints, masked
        by the initial (pseudo-)label visibility (a parity quirk)."""
        heat, w = render_gaussian(teacher_kpts, (view.vis > 0).float(),
                                  self.sigma, self.heatmap_size)
        return self.sup_loss(pred, heat, w)


class StrongView(NamedTuple):
    """The student's view: inputs, targets, their visibility weights and
    which instances are labelled."""
    inputs: Tensor
    target: Tensor
    vis: Tensor
    labelled: Tensor


class Selection(NamedTuple):
    """Which keypoints train: the small-loss set, the reusable ones and the
    clean-view anchors they are re-labelled from."""
    small: Tensor
    reuse: Optional[Tensor] = None
    anchor: Optional[Tensor] = None
