"""A pose network trained to fool a domain discriminator (FiDIP, DANN)."""
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpose.registry import MODELS
from torch import Tensor

from ..heads.domain_discriminators import grad_reverse
from .base import SinglePoseRecipe


@MODELS.register_module()
class DomainAdversarialPoseEstimator(SinglePoseRecipe):
    """An mmpose pose estimator plus a domain discriminator on its features.

    Two recipes (METHODS.md 5.4), picked by the optimiser config:

    - **alternating** (FiDIP): ``optim_wrapper`` is an ``OptimWrapperDict``
      with ``pose`` and ``discriminator`` entries (build it with
      ``constructor='MultiModuleOptimWrapperConstructor'``). Per iteration:
      one discriminator step on detached features,
      ``L_D = BCE(D(F.detach()), y)``, then one pose step,
      ``L_P = L_kpt - adv_weight * BCE(D(F), y)``. Under ``dist_train.sh`` use
      ``model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')``.
    - **gradient reversal** (DANN, UDA-Animal-Pose's form): a single
      optimiser over both networks and
      ``L = L_kpt + adv_weight * BCE(D(GRL_c(F)), y)``, ``c`` from the
      ``grl_coeff`` schedule (``ScheduledValuesHook``) or the config.

    Domain labels are the samples' ``domain`` metainfo
    (``SetDomainLabel``; 1 = synthetic/source, 0 = real/target).
    Validation, testing and export use the pose network alone.

    Args:
        pose_estimator (dict): Config of the mmpose pose estimator.
        discriminator (dict): Config of a domain discriminator (one logit
            per image).
        feature (dict): Which features the discriminator sees:
            ``module`` (a sub-module name of the pose estimator, e.g.
            ``backbone``) and ``index`` (for modules returning tuples).
            FiDIP: the last backbone stage.
        adv_cfg (dict): ``adv_weight`` (FiDIP's lambda 0.0005),
            ``grl_coeff`` (1.0), and ``carry_pose_step_grads`` (True, FiDIP
            parity: the pose step leaves ``-adv_weight * dBCE`` in the
            discriminator's gradients, which its next step includes; False
            clears them first).
        frozen (Sequence[str]): Parameter-name prefixes of the pose
            estimator that get no gradients (FiDIP: ``backbone.conv1``,
            ``backbone.bn1``, ``backbone.layer1``, ``backbone.layer2``; their
            BN statistics still update in train mode, as in FiDIP).
        data_preprocessor (dict, optional): The pose estimator's.
        init_cfg (dict, optional): Initialisation config.
    """

    DEFAULTS = dict(adv_weight=0.0005, grl_coeff=1.0,
                    carry_pose_step_grads=True)
    LOSS_WEIGHTS = dict(loss_dom='adv_weight')

    def __init__(self,
                 pose_estimator: dict,
                 discriminator: dict,
                 feature: Optional[dict] = None,
                 adv_cfg: Optional[dict] = None,
                 frozen: Sequence[str] = (),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(pose_estimator, data_preprocessor=data_preprocessor,
                         semi_train_cfg=adv_cfg, init_cfg=init_cfg)
        self.discriminator = MODELS.build(discriminator)
        self.domain_bce = MODELS.build(dict(type='DomainBCELoss'))
        self.feature_cfg = dict(feature or dict(module='backbone', index=-1))
        self.freeze(frozen)
        self._features: Optional[Tensor] = None
        try:
            tap = self.pose.get_submodule(self.feature_cfg['module'])
        except AttributeError as e:
            raise ValueError(f'the pose estimator has no sub-module '
                             f'{self.feature_cfg["module"]!r} to take '
                             'discriminator features from') from e
        # a forward hook also sees the features when the pose network runs
        # inside its own DistributedDataParallel wrapper
        tap.register_forward_hook(self._keep_features)

    @property
    def adv_cfg(self) -> dict:
        """The recipe's settings (``adv_cfg`` of the config)."""
        return self.semi_train_cfg

    # ---- plumbing ---------------------------------------------------------
    def freeze(self, prefixes: Sequence[str]) -> None:
        """Stop gradients of the pose parameters under ``prefixes``."""
        for prefix in prefixes:
            hit = [p for n, p in self.pose.named_parameters()
                   if n == prefix or n.startswith(prefix + '.')]
            if not hit:
                raise ValueError(f'frozen prefix {prefix!r} matches no '
                                 'parameter of the pose estimator')
            for p in hit:
                p.requires_grad = False

    def _keep_features(self, module, args, output) -> None:
        index = self.feature_cfg.get('index')
        self._features = output[index] if index is not None else output

    # ---- steps ------------------------------------------------------------
    def run_pose(self, inputs: Tensor) -> tuple:
        """Heatmaps and the tapped features of one pose-network forward
        (through its DDP wrapper when there is one)."""
        self._features = None
        with self.timed(self.forward_part(self.pose)):
            heat = self.pose(inputs, None, mode='tensor')
        if self._features is None:
            raise RuntimeError(f'module {self.feature_cfg["module"]!r} did '
                               'not run in the forward pass')
        feats, self._features = self._features, None
        return heat, feats

    def pose_forward(self, inputs: Tensor, samples: list) -> tuple:
        """Heatmaps, the keypoint loss and the discriminator features."""
        heat, feats = self.run_pose(inputs)
        return heat, self.pose_loss(heat, samples), feats

    @staticmethod
    def domain_labels(samples: list, device) -> Tensor:
        """The batch's domain labels (1 synthetic/source, 0 real/target)."""
        try:
            return torch.tensor([float(s.metainfo['domain']) for s in samples],
                                device=device)
        except KeyError as e:
            raise KeyError('samples carry no domain label: add SetDomainLabel'
                           " to the pipeline and 'domain' to PackPoseInputs' "
                           'meta_keys') from e

    def domain_loss(self, feats: Tensor, labels: Tensor) -> tuple:
        """BCE of the discriminator's logits and its accuracy."""
        logits = self.discriminator(feats)
        return self.domain_bce(logits, labels), \
            self.domain_bce.accuracy(logits, labels)

    def loss(self, inputs: Tensor, samples: list) -> dict:
        """Gradient-reversal form (one optimiser)."""
        _, loss_sup, feats = self.pose_forward(inputs, samples)
        loss_dom, acc = self.domain_loss(
            grad_reverse(feats, self.weight('grl_coeff')),
            self.domain_labels(samples, inputs.device))
        return self.weighted(dict(loss_sup=loss_sup, loss_dom=loss_dom,
                                  acc_dom=acc.detach()))

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, Tensor]:
        """One optimiser: the gradient-reversal loss; an
        ``OptimWrapperDict``: FiDIP's discriminator step, then pose step."""
        if not isinstance(optim_wrapper, OptimWrapperDict):
            return super().train_step(data, optim_wrapper)
        missing = {'pose', 'discriminator'} - set(optim_wrapper.keys())
        if missing:
            raise KeyError(f'the alternating recipe needs optimisers named '
                           f'pose and discriminator; missing {missing}')
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        labels = self.domain_labels(samples, inputs.device)
        opt_p, opt_d = optim_wrapper['pose'], optim_wrapper['discriminator']
        with opt_p.optim_context(self.pose):
            _, loss_sup, feats = self.pose_forward(inputs, samples)
        log = self.discriminator_step(feats.detach(), labels, opt_d)
        with opt_p.optim_context(self.pose):
            loss_conf, _ = self.domain_loss(feats, labels)
            # the pose step maximises the discriminator's (weighted) loss
            loss_adv = -self.weighted(dict(loss_dom=loss_conf))['loss_dom']
            opt_p.update_params(loss_sup + loss_adv)
        log.update(loss_sup=loss_sup.detach(), loss_adv=loss_adv.detach())
        log['loss'] = log['loss_sup'] + log['loss_adv']
        return log

    def discriminator_step(self, feats: Tensor, labels: Tensor,
                           opt_d: OptimWrapper) -> Dict[str, Tensor]:
        """One discriminator update on (detached) features."""
        with opt_d.optim_context(self.discriminator), \
                self.timed('discriminator_step'):
            if not self.adv_cfg['carry_pose_step_grads']:
                opt_d.zero_grad()
            loss_d, acc = self.domain_loss(feats, labels)
            opt_d.update_params(loss_d)
        return dict(loss_dom=loss_d.detach(), acc_dom=acc.detach())

    def pretrain_discriminator_step(self, data: dict, opt_d: OptimWrapper
                                    ) -> Dict[str, Tensor]:
        """FiDIP stage 1: features of the pose network (train mode, no
        gradients), one discriminator step."""
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        with torch.no_grad():
            _, feats = self.run_pose(inputs)
        return self.discriminator_step(
            feats, self.domain_labels(samples, inputs.device), opt_d)
