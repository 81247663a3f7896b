"""ScarceNet (Li & Lee, CVPR 2023) stage 2 as a teacher-student recipe.

METHODS.md 2.5-2.6: small-loss selection, reusable-sample re-labelling by
agreement between a weak and a clean view, and consistency with an EMA
teacher on hard re-rendered targets.
"""
from typing import Dict, List

import torch
from mmpose.registry import MODELS
from torch import Tensor

from ...pseudo_labels import build_filter, decode_argmax, render_gaussian
from .teacher_student import TeacherStudentPoseEstimator


@MODELS.register_module()
class ScarceNetPoseEstimator(TeacherStudentPoseEstimator):
    """ScarceNet's training step on three views of each instance.

    Views (names of the ``MultiBranch`` branches): ``strong`` (student,
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
          to update its BN statistics [True; False saves a third of the
          teacher's cost].
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cfg = self.semi_train_cfg
        self.sup_loss = MODELS.build(cfg.get(
            'loss', dict(type='JointsMSELoss', weight_mode='inside',
                         scale=0.5)))
        self.small_loss = build_filter(cfg.get(
            'small_loss', dict(type='SmallLossFilter', rate=1.0)))
        self.agreement = build_filter(cfg.get(
            'agreement', dict(type='AgreementFilter', dist_thr=0.6,
                              offset=0.5)))
        decoder = self.student.head.decoder
        self.stride = float(decoder.scale_factor[0])
        self.heatmap_size = tuple(int(v) for v in decoder.heatmap_size)
        self.sigma = float(cfg.get('sigma', decoder.sigma))

    def weight(self, name: str, default: float) -> float:
        """A scheduled value, else the config's, else ``default``."""
        return float(self.scheduled.get(
            name, self.semi_train_cfg.get(name, default)))

    def loss(self, inputs: Dict[str, Tensor],
             samples: Dict[str, List]) -> dict:
        """Supervised loss on selected and re-labelled targets, plus
        consistency with the teacher."""
        xs, ss = inputs['strong'], samples['strong']
        dev = xs.device
        target, vis = self.targets(ss, dev)
        labelled = self.stack_meta(ss, 'is_labelled', dev).bool()
        pred = self.heatmaps(self.student, xs)
        small = self.select_small_loss(pred, target, vis, labelled)
        anchor, reuse = self.find_reusable(inputs, samples, small, labelled)
        final_target, final_weight = self.relabel(target, vis, labelled,
                                                  small, reuse, anchor,
                                                  samples)
        losses = dict(loss_sup=self.sup_loss(pred, final_target,
                                             final_weight))
        losses['loss_cons'] = self.weight('consistency_weight', 1.0) * \
            self.consistency(pred, inputs, samples, vis)
        unl = (~labelled)[:, None] & (vis > 0)
        n_unl = unl.sum().clamp(min=1)
        losses['ratio_small'] = (small & unl).sum() / n_unl
        losses['ratio_reuse'] = reuse.sum() / n_unl
        return losses

    def select_small_loss(self, pred: Tensor, target: Tensor, vis: Tensor,
                          labelled: Tensor) -> Tensor:
        """Step 1: the batch-global small-loss keypoints (B, K)."""
        w = vis * torch.where(labelled, self.weight('true_label_weight', 2.),
                              1.)[:, None]
        with torch.no_grad():
            per_joint = self.sup_loss.per_joint(pred.detach(), target, w)
        self.small_loss.rate = self.weight('small_loss_rate', 1.0)
        return self.small_loss(per_joint, vis > 0)

    @torch.no_grad()
    def find_reusable(self, inputs: Dict[str, Tensor],
                      samples: Dict[str, List], small: Tensor,
                      labelled: Tensor) -> tuple:
        """Step 2: the student's clean-view keypoints (heatmap pixels of the
        teacher view) and the unlabelled keypoints outside the small-loss set
        whose weak-view prediction agrees with them."""
        p_weak = self.heatmaps(self.student, inputs['weak'])
        p_clean = self.heatmaps(self.student, inputs['teacher'])
        j_weak, _ = decode_argmax(p_weak)
        anchor, _ = decode_argmax(p_clean)
        in_weak = self.map_between_views(anchor, samples['teacher'],
                                         samples['weak'], self.stride)
        agree = self.agreement(j_weak, in_weak)
        return anchor, agree & ~small & ~labelled[:, None]

    def relabel(self, target: Tensor, vis: Tensor, labelled: Tensor,
                small: Tensor, reuse: Tensor, anchor: Tensor,
                samples: Dict[str, List]) -> tuple:
        """Steps 3-4: re-labelled targets where reusable, weights
        ``m_reuse + m_small`` for unlabelled and ``2 vis`` for labelled."""
        in_strong = self.map_between_views(anchor, samples['teacher'],
                                           samples['strong'], self.stride)
        heat, w_reuse = render_gaussian(in_strong, reuse.float(), self.sigma,
                                        self.heatmap_size)
        final_target = torch.where(reuse[..., None, None], heat, target)
        unl_w = torch.where(reuse, w_reuse, small.float() * (vis > 0))
        lab_w = self.weight('true_label_weight', 2.) * vis
        return final_target, torch.where(labelled[:, None], lab_w, unl_w)

    @torch.no_grad()
    def teacher_keypoints(self, inputs: Dict[str, Tensor],
                          samples: Dict[str, List]) -> Tensor:
        """The teacher's argmax on the clean view, in the strong view."""
        if self.semi_train_cfg.get('teacher_bn_sync', True):
            self.heatmaps(self.teacher, inputs['strong'])  # BN statistics
        j_t, _ = decode_argmax(self.heatmaps(self.teacher, inputs['teacher']))
        return self.map_between_views(j_t, samples['teacher'],
                                      samples['strong'], self.stride)

    def consistency(self, pred: Tensor, inputs: Dict[str, Tensor],
                    samples: Dict[str, List], vis: Tensor) -> Tensor:
        """Step 5: MSE to hard Gaussians of the teacher's keypoints, masked by
        the initial (pseudo-)label visibility (a parity quirk)."""
        heat, w = render_gaussian(self.teacher_keypoints(inputs, samples),
                                  (vis > 0).float(), self.sigma,
                                  self.heatmap_size)
        return self.sup_loss(pred, heat, w)
