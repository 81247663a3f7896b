"""FreeNet (ACM MM 2024): a base network and an adaptation network trained
together with circuit feedback (METHODS.md 3.4-3.5).

The base network (the code's teacher) gives body-part-aware pseudo labels
and learns from the labelled data plus a feedback term; the adaptation
network (the student, the evaluated model) learns from labels and pseudo
labels. There is no EMA: both networks have their own optimiser.
"""
from typing import Dict, List, NamedTuple, Optional, Union

import numpy as np
import torch
from mmengine.optim import OptimWrapperDict
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import MODELS
from torch import Tensor

from ...datasets.keypoint_sets import (PART_GROUPS, SOURCE_KPS_WEIGHTS,
                                       metainfo_file, parent_group,
                                       part_groups_by_source)
from ...pseudo_labels import (build_filter, decode_argmax, refine_quarter,
                              render_gaussian)
from .teacher_student import TeacherStudentPoseEstimator


@MODELS.register_module()
class FreeNetPoseEstimator(TeacherStudentPoseEstimator):
    """FreeNet's training step on pixel-aligned ``ori``/``aug`` views.

    Views (``SharedMultiBranch`` branches): ``ori`` (the crop, with the
    labelled instances' targets) and ``aug`` (the same crop after
    ``RandWeakAugment``: same geometry, so the same targets). Batches mix
    labelled and unlabelled instances (``is_labelled``; FreeNet: B_l + 7
    B_l through ``DomainBalancedSampler(domain_key='is_labelled',
    ratio=(7, 1))``). ``optim_wrapper`` is an ``OptimWrapperDict`` with
    ``student`` and ``teacher`` entries
    (``MultiModuleOptimWrapperConstructor``; AdamW, lr 1e-3 and 1e-5;
    ``AmpOptimWrapper`` for AMP).

    Per iteration (each a method): :meth:`student_bn_pass`,
    :meth:`forward_views`, :meth:`pseudo_labels`, :meth:`student_step`,
    :meth:`feedback`, :meth:`teacher_step`.

    ``semi_train_cfg`` keys (paper values in brackets):
        - ``keypoint_set``: union (or source) whose part groups and
          FreeNet ``kps_weights`` the recipe uses (a union's: its
          ``joint_weights``; a source's: ``SOURCE_KPS_WEIGHTS``, FreeNet's
          own list, not mmpose's ``joint_weights`` of that set)
          [``animal_union24``; ``ap10k`` for the 17-joint settings];
        - ``kps_weights``: explicit per-joint weights (overrides the
          metainfo's);
        - ``loss``: [``JointsMSELoss(weight_mode='outside', scale=1,
          joint_reduction='sum')``: FreeNet's ``AvgImgMSELoss``, the sum
          over joints of ``kappa_j 1[v > 0] mean_pix((P - T)^2)``];
        - ``pseudo_weight``: the student's pseudo-label term's weight [1.0;
          7 at 1:7 batches weighs every instance alike;
          0 leaves the student its labelled term alone, a diagnostic];
        - ``part_groups``: the quantile filter's groups [``'freenet'``:
          face, front, back, exclusive]; ``'by_source'`` splits each
          group by which sources annotate its joints
          (:func:`part_groups_by_source`; e.g. TigDog's chin and shoulders
          apart from AnimalPose's throat and withers), every subgroup with
          its group's keep ratio, so a source whose joints the teacher
          knows less is not filtered out by another's confidences;
        - ``part_filter``: [``GroupQuantileFilter`` over the part groups,
          floor 0.2]; the keep ratios ``keep_ratio_<group>`` come from
          ``ScheduledValuesHook`` (``CosineRampDown(length=9000, min=r_g)``,
          ``r = [0.5, 0.6, 0.65, 0.65]``), else the final ratios;
        - ``band_filter``: [``ConfidenceBandFilter(hi_q=0.2, lo_q=0.8)``];
        - ``sigma``: pseudo-label Gaussian sigma in heatmap pixels [None:
          the codec's; FreeNet 2 at 64x64];
        - ``pl_render``: [``'untruncated'``: FreeNet's full-map Gaussian at
          the integer argmax]; ``'hrnet'`` gives the codec-style window;
        - ``pl_teacher``: which teacher heatmaps the pseudo labels (and the
          band's teacher confidences) come from [``'train'``: the ori-view
          forward with gradients that the teacher's own loss uses, in train
          mode]; ``'eval'``: an extra no-grad forward of the unlabelled ori
          views in eval mode (BN's running statistics); ``'eval_flip'``:
          that and its horizontal flip averaged, as mmpose's flip test
          predicts (two extra no-grad forwards of the unlabelled half);
        - ``pl_source``: what the student's pseudo-label term trains on
          [``'teacher'``: the pseudo labels above]; ``'annotations'`` and
          ``'annotations_filtered'`` are diagnostics, never a setting of a
          real experiment: the unlabelled instances' own annotations (the
          dataset's ``unlabelled_annotations=True`` keeps them as targets,
          rendered by the codec at the rounded true location) on every
          annotated joint, or on the joints the part filter keeps: what
          pseudo labels as good as the annotations would give in the
          same step (the teacher's confidences still drive the filter and
          the feedback band);
        - ``pl_locate``: where pseudo labels (and the feedback term's
          hard Gaussians) sit [``'argmax'``: the integer argmax];
          ``'quarter'`` moves it a quarter pixel towards the higher
          neighbour, as mmpose's heatmap decode does at test time (at a
          24x24 heatmap the integer argmax is up to 2 input pixels off);
        - ``feedback_weight``: phi(t) [``LinearRamp`` 0 -> 2 from
          ``feedback_start - 1`` (4500) to ``feedback_complete - 1``
          (6000), by iteration, set by the configs' scheduling hook;
          without that hook it stays at this constant, 2.0 by default];
          the feedback term (and the extra student forward it needs) is
          skipped while it is 0;
        - ``feedback_sign``: [``'old_minus_new'``, the repo's: a student
          whose labelled loss dropped pushes the teacher towards its own
          argmax]; ``'new_minus_old'`` is the usual Meta Pseudo Labels
          sign;
        - ``student_bn_pass``: the extra no-grad student forward on the ori
          view, for BN statistics only [True];
        - ``student_init``: what a ``Pretrained`` ``init_cfg`` (the
          supervised naive-merge model) loads into: ``'both'`` networks, or
          the teacher alone (``'own'``: the student keeps the pose
          estimator's own initialisation, FreeNet's ImageNet HRNet-W32)
          [``'own'``; the CPU demos use ``'both'``, having no ImageNet
          weights].
    """

    DEFAULTS = dict(
        keypoint_set='animal_union24',
        kps_weights=None,
        loss=dict(type='JointsMSELoss', weight_mode='outside', scale=1.0,
                  joint_reduction='sum'),
        pseudo_weight=1.0,
        part_groups='freenet',
        part_filter=None,  # None: GroupQuantileFilter over the part groups
        keep_ratios=dict(face=0.5, front=0.6, back=0.65, exclusive=0.65),
        band_filter=dict(type='ConfidenceBandFilter', hi_q=0.2, lo_q=0.8),
        sigma=None,
        pl_render='untruncated',
        pl_teacher='train',
        pl_source='teacher',
        pl_locate='argmax',
        feedback_weight=2.0,
        feedback_sign='old_minus_new',
        student_bn_pass=True,
        student_init='own',
        no_grad_autocast=None,
    )
    LOSS_WEIGHTS = dict(loss_feedback='feedback_weight',
                        loss_pseudo='pseudo_weight')

    def __init__(self, *args, semi_test_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(*args, semi_test_cfg=dict(
            dict(predict_on='student'), **(semi_test_cfg or {})), **kwargs)
        for p in self.teacher.parameters():  # both networks train
            p.requires_grad = True
        cfg = self.semi_train_cfg
        kp_set = cfg['keypoint_set']
        if kp_set not in PART_GROUPS:
            raise KeyError(f'no part groups for keypoint_set {kp_set!r}; '
                           f'known: {sorted(PART_GROUPS)}')
        if cfg['part_groups'] not in ('freenet', 'by_source'):
            raise ValueError(f"part_groups must be 'freenet' or "
                             f"'by_source', got {cfg['part_groups']!r}")
        self.groups = PART_GROUPS[kp_set] \
            if cfg['part_groups'] == 'freenet' else \
            part_groups_by_source(kp_set)
        self.loss_fn = MODELS.build(cfg['loss'])
        self.part_filter = build_filter(cfg['part_filter'] or dict(
            type='GroupQuantileFilter', groups=self.groups, floor=0.2))
        self.band_filter = build_filter(cfg['band_filter'])
        decoder = self.student.head.decoder
        self.heatmap_size = tuple(int(v) for v in decoder.heatmap_size)
        self.sigma = float(cfg['sigma'] if cfg['sigma'] is not None else
                           decoder.sigma)
        num_joints = sum(len(g) for g in self.groups.values())
        weights = cfg['kps_weights']
        if weights is None:
            weights = self._metainfo_weights(kp_set)
        if len(weights) != num_joints:
            raise ValueError(f'kps_weights has {len(weights)} values for '
                             f'{num_joints} joints of {kp_set}')
        self.register_buffer('kps_weights', torch.as_tensor(
            np.asarray(weights, np.float32)), persistent=False)
        if cfg['feedback_sign'] not in ('old_minus_new', 'new_minus_old'):
            raise ValueError(f"feedback_sign must be 'old_minus_new' or "
                             f"'new_minus_old', got {cfg['feedback_sign']!r}")
        if cfg['student_init'] not in ('own', 'both'):
            raise ValueError(f"student_init must be 'own' or 'both', got "
                             f"{cfg['student_init']!r}")
        if cfg['pl_render'] not in ('untruncated', 'hrnet'):
            raise ValueError(f"pl_render must be 'untruncated' or 'hrnet', "
                             f"got {cfg['pl_render']!r}")
        if cfg['pl_teacher'] not in ('train', 'eval', 'eval_flip'):
            raise ValueError(f"pl_teacher must be 'train', 'eval' or "
                             f"'eval_flip', got {cfg['pl_teacher']!r}")
        if cfg['pl_source'] not in ('teacher', 'annotations',
                                    'annotations_filtered'):
            raise ValueError(f"pl_source must be 'teacher', 'annotations' "
                             f"or 'annotations_filtered', got "
                             f"{cfg['pl_source']!r}")
        if cfg['pl_locate'] not in ('argmax', 'quarter'):
            raise ValueError(f"pl_locate must be 'argmax' or 'quarter', "
                             f"got {cfg['pl_locate']!r}")

    def init_weights(self) -> None:
        """A ``Pretrained`` ``init_cfg`` loads into the teacher (the base
        network), and into the student too with ``student_init='both'``;
        otherwise the student initialises itself."""
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained') \
                or self.semi_train_cfg['student_init'] == 'both':
            super().init_weights()
            return
        self.load_plain_checkpoint(self.unwrap(self.teacher),
                                   cfg['checkpoint'])
        self.unwrap(self.student).init_weights()
        self._is_init = True

    @staticmethod
    def _metainfo_weights(kp_set: str) -> List[float]:
        if kp_set in SOURCE_KPS_WEIGHTS:
            return list(SOURCE_KPS_WEIGHTS[kp_set])
        meta = parse_pose_metainfo(dict(from_file=metainfo_file(kp_set)))
        return [float(w) for w in meta['dataset_keypoint_weights']]

    # ---- pieces ---------------------------------------------------------
    def heatmaps(self, net: torch.nn.Module, inputs: Tensor) -> Tensor:
        """Heatmaps of ``net`` through its DDP wrapper when it has one
        (both networks train, so ``dist_train.sh`` wraps each:
        ``model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')``).
        """
        with self.timed(self.forward_part(net)), self.no_grad_autocast(
                inputs):
            return net(inputs, None, mode='tensor').float()

    @torch.no_grad()
    def eval_heatmaps(self, net: torch.nn.Module, inputs: Tensor,
                      flip_indices: Optional[List[int]] = None) -> Tensor:
        """``net``'s heatmaps in eval mode (BN's running statistics),
        averaged with those of the flipped input when ``flip_indices`` is
        given (mmpose's flip test, with ``net``'s own ``flip_mode`` and
        ``shift_heatmap`` settings)."""
        from mmpose.models.utils.tta import flip_heatmaps
        test_cfg = getattr(self.unwrap(net), 'test_cfg', None) or {}
        was = net.training
        net.eval()
        try:
            heat = self.heatmaps(net, inputs)
            if flip_indices is not None:
                heat = 0.5 * (heat + flip_heatmaps(
                    self.heatmaps(net, inputs.flip(-1)),
                    flip_mode=test_cfg.get('flip_mode', 'heatmap'),
                    flip_indices=flip_indices,
                    shift_heatmap=test_cfg.get('shift_heatmap', False)))
        finally:
            net.train(was)
        return heat

    def lw(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """FreeNet's ``AvgImgMSELoss``: ``kappa_j 1[mask > 0]`` weights."""
        if pred.shape[0] == 0:
            return pred.sum() * 0.
        w = (mask > 0).to(pred) * self.kps_weights.to(pred)
        return self.loss_fn(pred, target.to(pred), w)

    def keep_ratios(self) -> Dict[str, float]:
        """This iteration's per-group keep ratios (scheduled, else the
        final ratios; a ``part_groups='by_source'`` subgroup takes its
        group's)."""
        final = self.semi_train_cfg['keep_ratios']
        return {g: float(self.scheduled.get(f'keep_ratio_{parent_group(g)}',
                                            final[parent_group(g)]))
                for g in self.groups}

    def locate(self, heatmaps: Tensor) -> tuple:
        """Pseudo-label locations (``pl_locate``) and maxima of heatmaps."""
        loc, conf = decode_argmax(heatmaps)
        if self.semi_train_cfg['pl_locate'] == 'quarter':
            loc = refine_quarter(heatmaps, loc)
        return loc, conf

    def render(self, kpts: Tensor, mask: Tensor) -> Tensor:
        """Pseudo-label heatmaps at ``kpts`` (``pl_render='hrnet'`` rounds
        them to the pixel), zero where ``mask`` is off."""
        heat, _ = render_gaussian(kpts, mask.float(), self.sigma,
                                  self.heatmap_size,
                                  mode=self.semi_train_cfg['pl_render'])
        return heat

    # ---- steps ----------------------------------------------------------
    def split(self, inputs: Dict[str, Tensor],
              samples: Dict[str, List]) -> 'Batch':
        """Both views, the labelled instances' targets and the split."""
        ori, aug = inputs['ori'], inputs['aug']
        labelled = self.stack_meta(samples['ori'], 'is_labelled',
                                   ori.device).bool()
        target, vis = self.targets(samples['ori'], ori.device)
        flip = samples['ori'][0].metainfo.get('flip_indices') \
            if samples['ori'] else None
        return Batch(ori, aug, labelled, target, vis, flip)

    @torch.no_grad()
    def student_bn_pass(self, batch: 'Batch') -> None:
        """Step 1: the student on the ori view without gradients (output
        discarded; train-mode BN statistics only)."""
        if self.semi_train_cfg['student_bn_pass']:
            self.heatmaps(self.student, batch.ori)

    def forward_views(self, batch: 'Batch') -> 'Views':
        """Step 2, with gradients: teacher and student on the aug view, the
        teacher on the ori view."""
        return Views(t_aug=self.heatmaps(self.teacher, batch.aug),
                     s_aug=self.heatmaps(self.student, batch.aug),
                     t_ori=self.heatmaps(self.teacher, batch.ori))

    def pl_heatmaps(self, views: 'Views', batch: 'Batch') -> Tensor:
        """The teacher's heatmaps of the unlabelled ori views that pseudo
        labels come from (``pl_teacher``)."""
        unl = ~batch.labelled
        mode = self.semi_train_cfg['pl_teacher']
        if mode == 'train' or not unl.any():
            return views.t_ori[unl]
        if mode == 'eval_flip' and batch.flip_indices is None:
            raise KeyError("pl_teacher='eval_flip' needs 'flip_indices' in "
                           'the samples\' metainfo (PackPoseInputs '
                           'meta_keys)')
        return self.eval_heatmaps(
            self.teacher, batch.ori[unl],
            batch.flip_indices if mode == 'eval_flip' else None)

    @torch.no_grad()
    def pseudo_labels(self, t_ori_unl: Tensor,
                      batch: Optional['Batch'] = None) -> tuple:
        """Step 3: the teacher's integer argmax on the unlabelled ori view,
        kept by the per-part quantile masks, as Gaussian heatmaps (with
        ``pl_source`` other than ``'teacher'``: the unlabelled instances'
        annotations from ``batch`` instead).

        Returns:
            tuple: heatmaps (U, K, H, W), mask (U, K), confidences (U, K).
        """
        loc, conf = self.locate(t_ori_unl.detach())
        mask = self.part_filter(conf, self.keep_ratios())
        source = self.semi_train_cfg['pl_source']
        if source == 'teacher':
            return self.render(loc, mask), mask, conf
        unl = ~batch.labelled
        vis = batch.vis[unl] > 0
        if unl.any() and not vis.any():
            raise ValueError(
                f"pl_source={source!r} trains on the unlabelled instances' "
                'annotations, and this batch has none: give their datasets '
                'unlabelled_annotations=True')
        if source == 'annotations_filtered':
            vis = vis & mask.bool()
        return batch.target[unl] * vis[..., None, None], vis.float(), conf

    def student_loss(self, views: 'Views', batch: 'Batch', pl: tuple
                     ) -> Dict[str, Tensor]:
        """Step 4's loss: labels on the labelled aug view, pseudo labels on
        the unlabelled one."""
        lab, unl = batch.labelled, ~batch.labelled
        heat, mask, _ = pl
        return dict(
            loss_sup=self.lw(views.s_aug[lab], batch.target[lab],
                             batch.vis[lab]),
            loss_pseudo=self.lw(views.s_aug[unl], heat, mask))

    @torch.no_grad()
    def feedback(self, views: 'Views', batch: 'Batch', pl: tuple,
                 sup_before: Tensor) -> tuple:
        """Step 5a: the reward ``h`` (the student's labelled loss before
        minus after its update, FreeNet's sign) and the medium-confidence
        band of teacher (ori) and pre-update student (aug) confidences.

        Returns:
            tuple: ``h`` (scalar) and the band mask (U, K).
        """
        lab, unl = batch.labelled, ~batch.labelled
        after = self.lw(self.heatmaps(self.student, batch.aug[lab]),
                        batch.target[lab], batch.vis[lab])
        h = sup_before.detach() - after
        if self.semi_train_cfg['feedback_sign'] == 'new_minus_old':
            h = -h
        _, conf_s = decode_argmax(views.s_aug[unl].detach())
        return h, self.band_filter(pl[2], conf_s)

    def feedback_loss(self, t_aug_unl: Tensor, h: Tensor,
                      band: Tensor) -> Tensor:
        """Step 5b: ``h`` times the teacher's aug-view MSE to hard Gaussians
        at its own argmax on the band's joints (phi is applied with the
        other weights, :meth:`weighted`)."""
        loc, _ = self.locate(t_aug_unl.detach())
        return h * self.lw(t_aug_unl, self.render(loc, band), band)

    def teacher_loss(self, views: 'Views', batch: 'Batch',
                     fb: Optional[Tensor]) -> Dict[str, Tensor]:
        """Step 5's loss: labels on the labelled ori view plus the feedback
        term (phi, ``feedback_weight``, applied by :meth:`weighted`)."""
        lab = batch.labelled
        out = dict(loss_teacher=self.lw(views.t_ori[lab], batch.target[lab],
                                        batch.vis[lab]))
        if fb is not None:
            out['loss_feedback'] = fb
        return out

    def loss(self, inputs: Dict[str, Tensor],
             samples: Dict[str, List]) -> dict:
        """The losses of one iteration without the updates between them
        (for logging and checks; training runs :meth:`train_step`)."""
        batch = self.split(inputs, samples)
        views = self.forward_views(batch)
        pl = self.pseudo_labels(self.pl_heatmaps(views, batch), batch)
        terms = self.student_loss(views, batch, pl)
        terms.update(self.teacher_loss(views, batch, None))
        return self.weighted(terms)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Student step, re-evaluation of the student, teacher step."""
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                {'student', 'teacher'} - set(optim_wrapper.keys()):
            raise KeyError('FreeNet needs an OptimWrapperDict with student '
                           'and teacher optimisers (constructor='
                           "'MultiModuleOptimWrapperConstructor')")
        opt_s, opt_t = optim_wrapper['student'], optim_wrapper['teacher']
        data = self.data_preprocessor(data, True)
        batch = self.split(data['inputs'], data['data_samples'])
        unl = ~batch.labelled
        with opt_s.optim_context(self.student), \
                opt_t.optim_context(self.teacher):
            self.student_bn_pass(batch)
            views = self.forward_views(batch)
            t_pl = self.pl_heatmaps(views, batch)
            with self.timed('losses_filters_rendering'):
                pl = self.pseudo_labels(t_pl, batch)
                s_terms = self.weighted(self.student_loss(views, batch, pl))
        opt_s.update_params(sum(s_terms.values()))
        fb = None
        if self.weight('feedback_weight') != 0 and unl.any() and \
                batch.labelled.any():
            # in the student's context: its AMP autocast, as the loss
            # before the update had (FreeNet re-evaluates under AMP)
            with opt_s.optim_context(self.student):
                h, band = self.feedback(views, batch, pl,
                                        s_terms['loss_sup'])
            with opt_t.optim_context(self.teacher):
                fb = self.feedback_loss(views.t_aug[unl], h, band)
        with opt_t.optim_context(self.teacher):
            t_terms = self.weighted(self.teacher_loss(views, batch, fb))
        opt_t.update_params(sum(t_terms.values()))
        log = {k: v.detach() for k, v in {**s_terms, **t_terms}.items()}
        log['pl_kept'] = pl[1].float().mean() if unl.any() else \
            batch.ori.new_zeros(())
        if fb is not None:
            log['feedback_h'] = h.detach()
        log['loss'] = sum(v for k, v in log.items() if k.startswith('loss'))
        return log


class Batch(NamedTuple):
    """Both views of a batch, which instances are labelled, and the
    labelled targets (shared by the pixel-aligned views)."""
    ori: Tensor
    aug: Tensor
    labelled: Tensor
    target: Tensor
    vis: Tensor
    flip_indices: Optional[List[int]] = None


class Views(NamedTuple):
    """The three forwards with gradients."""
    t_aug: Tensor
    s_aug: Tensor
    t_ori: Tensor
