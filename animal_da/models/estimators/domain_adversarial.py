"""A pose network trained to fool a domain discriminator (FiDIP, DANN)."""
import copy
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpose.registry import MODELS
from torch import Tensor

from ..heads.domain_discriminators import grad_reverse


@MODELS.register_module()
class DomainAdversarialPoseEstimator(BaseModel):
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

    def __init__(self,
                 pose_estimator: dict,
                 discriminator: dict,
                 feature: Optional[dict] = None,
                 adv_cfg: Optional[dict] = None,
                 frozen: Sequence[str] = (),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = pose_estimator.get('data_preprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        pose_estimator = copy.deepcopy(pose_estimator)
        pose_estimator.pop('data_preprocessor', None)
        self.pose = MODELS.build(pose_estimator)
        self.discriminator = MODELS.build(discriminator)
        self.feature_cfg = dict(feature or dict(module='backbone', index=-1))
        self.adv_cfg = dict(adv_weight=0.0005, grl_coeff=1.0,
                            carry_pose_step_grads=True)
        self.adv_cfg.update(adv_cfg or {})
        self.freeze(frozen)
        #: values set by ScheduledValuesHook (adv_weight, grl_coeff)
        self.scheduled: Dict[str, float] = {}
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
        self._register_load_state_dict_pre_hook(self._accept_plain_keys)

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

    @staticmethod
    def map_checkpoint_keys(state: dict, prefix: str = '') -> dict:
        """Keys of a plain mmpose checkpoint (``backbone.*``, ``head.*``)
        prefixed with ``pose.``, so ``load_from`` may name an mmpose
        model-zoo checkpoint; recipe checkpoints pass unchanged."""
        ours = [k for k in state if k.startswith(prefix)]
        if any(k[len(prefix):].startswith(('pose.', 'discriminator.'))
               for k in ours):
            return state
        out = {k: v for k, v in state.items() if not k.startswith(prefix)}
        out.update({prefix + 'pose.' + k[len(prefix):]: state[k]
                    for k in ours})
        return out

    def _accept_plain_keys(self, state_dict, prefix, *args) -> None:
        mapped = self.map_checkpoint_keys(dict(state_dict), prefix)
        state_dict.clear()
        state_dict.update(mapped)

    @property
    def pose_net(self) -> torch.nn.Module:
        """The pose estimator (unwrapped from DDP)."""
        return self.pose.module if is_model_wrapper(self.pose) else self.pose

    @property
    def dataset_meta(self) -> Optional[dict]:
        return getattr(self.pose_net, 'dataset_meta', None)

    @dataset_meta.setter
    def dataset_meta(self, meta: dict) -> None:
        self.pose_net.dataset_meta = meta

    def value(self, name: str) -> float:
        """A scheduled value, else the config's."""
        return float(self.scheduled.get(name, self.adv_cfg[name]))

    # ---- steps ------------------------------------------------------------
    def run_pose(self, inputs: Tensor) -> tuple:
        """Heatmaps and the tapped features of one pose-network forward
        (through its DDP wrapper when there is one)."""
        self._features = None
        heat = self.pose(inputs, None, mode='tensor')
        if self._features is None:
            raise RuntimeError(f'module {self.feature_cfg["module"]!r} did '
                               'not run in the forward pass')
        feats, self._features = self._features, None
        return heat, feats

    def pose_forward(self, inputs: Tensor, samples: list) -> tuple:
        """Heatmaps, the keypoint loss and the discriminator features."""
        heat, feats = self.run_pose(inputs)
        head = self.pose_net.head
        target = torch.stack([s.gt_fields.heatmaps for s in samples])
        weight = torch.cat([torch.as_tensor(
            s.gt_instance_labels.keypoint_weights) for s in samples])
        loss = head.loss_module(heat, target.to(heat), weight.to(heat))
        return heat, loss, feats

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
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        acc = ((logits > 0).float() == labels).float().mean()
        return loss, acc

    def loss(self, inputs: Tensor, samples: list) -> dict:
        """Gradient-reversal form (one optimiser)."""
        _, loss_kpt, feats = self.pose_forward(inputs, samples)
        loss_dom, acc = self.domain_loss(
            grad_reverse(feats, self.value('grl_coeff')),
            self.domain_labels(samples, inputs.device))
        return dict(loss_kpt=loss_kpt,
                    loss_dom=self.value('adv_weight') * loss_dom,
                    acc_dom=acc.detach())

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
            _, loss_kpt, feats = self.pose_forward(inputs, samples)
        log = self.discriminator_step(feats.detach(), labels, opt_d)
        with opt_p.optim_context(self.pose):
            loss_conf, _ = self.domain_loss(feats, labels)
            loss_adv = -self.value('adv_weight') * loss_conf
            opt_p.update_params(loss_kpt + loss_adv)
        log.update(loss_kpt=loss_kpt.detach(), loss_adv=loss_adv.detach())
        log['loss'] = log['loss_kpt'] + log['loss_adv']
        return log

    def discriminator_step(self, feats: Tensor, labels: Tensor,
                           opt_d: OptimWrapper) -> Dict[str, Tensor]:
        """One discriminator update on (detached) features."""
        with opt_d.optim_context(self.discriminator):
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

    def forward(self, inputs: Tensor, data_samples=None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.pose(inputs, data_samples, mode=mode)
