"""The one base of every training recipe: what ScarceNet, UDA-Animal-Pose,
FiDIP (and the recipes to come) share, so each recipe is only its steps."""
import contextlib
import copy
import time
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from mmengine.model import BaseModel, is_model_wrapper
from mmpose.registry import MODELS
from torch import Tensor

from ...compat import load_checkpoint_file


class RecipePoseEstimator(BaseModel):
    """Base of recipes that train ordinary mmpose pose estimators.

    It holds, once for every recipe:

    - the recipe settings: ``semi_train_cfg`` merged over the class's
      :attr:`DEFAULTS` (paper values, declared once per recipe), and
      :meth:`value`, the lookup "scheduled value (``ScheduledValuesHook``),
      else the setting";
    - :meth:`weighted`, where every loss weight is applied (the names in
      :attr:`LOSS_WEIGHTS`), so a recipe's ``loss`` returns plain terms;
    - ``dataset_meta`` across the pose networks;
    - loading a plain pose-estimator checkpoint (an exported model, an
      mmpose model-zoo file) into every pose network through a
      ``Pretrained`` ``init_cfg`` (:meth:`load_plain_checkpoint`, with
      :meth:`adapt_plain_state` for recipes whose networks add layers), and
      the key map for such files given as ``load_from``
      (:meth:`plain_to_recipe_keys`);
    - the target stacking and metainfo helpers of the steps.

    Args:
        data_preprocessor (dict, optional): The data preprocessor.
        semi_train_cfg (dict, optional): Recipe settings over
            :attr:`DEFAULTS`.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=P)``
            loads the plain checkpoint ``P`` into every pose network.
    """

    #: recipe settings with their paper values (subclasses declare theirs)
    DEFAULTS: Dict[str, Any] = {}
    #: loss term -> the setting (or scheduled value) that weights it
    LOSS_WEIGHTS: Dict[str, str] = {}
    #: seconds per part of the step, summed while it is a dict (the step
    #: cost benchmark sets it; None: no timing)
    step_times: Optional[Dict[str, float]] = None

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 semi_train_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.semi_train_cfg = copy.deepcopy(dict(self.DEFAULTS))
        self.semi_train_cfg.update(semi_train_cfg or {})
        #: values set by ScheduledValuesHook (weights, rates, top-k)
        self.scheduled: Dict[str, float] = {}

    # ---- settings and weights ------------------------------------------
    def value(self, name: str) -> Any:
        """A scheduled value, else the recipe's setting.

        Raises:
            KeyError: Neither a schedule nor the settings give ``name``.
        """
        if name in self.scheduled:
            return self.scheduled[name]
        if name not in self.semi_train_cfg:
            raise KeyError(f'{type(self).__name__} has no setting {name!r} '
                           '(set it in semi_train_cfg or schedule it with '
                           'ScheduledValuesHook)')
        return self.semi_train_cfg[name]

    def weight(self, name: str) -> float:
        """:meth:`value` as a float."""
        return float(self.value(name))

    def weighted(self, terms: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Apply every loss weight, in one place: each term named in
        :attr:`LOSS_WEIGHTS` is multiplied by its weight; other entries
        (unweighted terms, logged ratios) pass unchanged."""
        return {k: self.weight(self.LOSS_WEIGHTS[k]) * v
                if k in self.LOSS_WEIGHTS else v for k, v in terms.items()}

    @contextlib.contextmanager
    def timed(self, part: str) -> Iterator[None]:
        """Add the block's time to ``step_times[part]`` when timing (CUDA
        synchronised at both ends); nothing otherwise."""
        if self.step_times is None:
            yield
            return
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        try:
            yield
        finally:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.step_times[part] = self.step_times.get(part, 0.) + \
                time.perf_counter() - start

    def forward_part(self, net: torch.nn.Module) -> str:
        """The timing part of a forward of ``net``: ``teacher`` or
        ``student`` (any trained network), ``_forward`` with gradients,
        ``_no_grad`` without."""
        who = 'teacher' if net is getattr(self, 'teacher', None) \
            else 'student'
        return who + ('_forward' if torch.is_grad_enabled() else '_no_grad')

    # ---- networks ------------------------------------------------------
    def pose_networks(self) -> List[torch.nn.Module]:
        """The pose estimators the recipe trains (a plain checkpoint loads
        into each); the first one is the default prediction network."""
        raise NotImplementedError

    @staticmethod
    def unwrap(net: torch.nn.Module) -> torch.nn.Module:
        """A network without its DistributedDataParallel wrapper."""
        return net.module if is_model_wrapper(net) else net

    @property
    def dataset_meta(self) -> Optional[dict]:
        return getattr(self.unwrap(self.pose_networks()[0]), 'dataset_meta',
                       None)

    @dataset_meta.setter
    def dataset_meta(self, meta: dict) -> None:
        for net in self.pose_networks():
            self.unwrap(net).dataset_meta = meta

    def init_weights(self) -> None:
        """Initialise; a ``Pretrained`` ``init_cfg`` names a plain
        pose-estimator checkpoint loaded into every pose network."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            for net in self.pose_networks():
                self.load_plain_checkpoint(self.unwrap(net),
                                           cfg['checkpoint'])
            self._is_init = True
            return
        super().init_weights()

    def load_plain_checkpoint(self, net: torch.nn.Module, path: str) -> None:
        """Load a plain pose-estimator checkpoint into ``net``: strictly,
        after :meth:`adapt_plain_state` (weights-only unless trusted)."""
        ckpt = load_checkpoint_file(path, map_location='cpu')
        state = dict(ckpt.get('state_dict', ckpt))
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items()}
        state, allowed_missing = self.adapt_plain_state(net, state)
        result = net.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys
                   if not k.startswith(tuple(allowed_missing))]
        if missing or result.unexpected_keys:
            raise RuntimeError(
                f'{path} does not fit the pose estimator of '
                f'{type(self).__name__}: missing {missing[:5]}, unexpected '
                f'{result.unexpected_keys[:5]}')
        self.after_plain_load(net, result.missing_keys)

    def adapt_plain_state(self, net: torch.nn.Module, state: dict) -> tuple:
        """A plain state dict made to fit ``net``, and the key prefixes it
        may leave missing (default: as it is, none)."""
        return state, ()

    def after_plain_load(self, net: torch.nn.Module,
                         missing: List[str]) -> None:
        """Called after a plain checkpoint loaded (``missing``: the keys it
        left, all allowed by :meth:`adapt_plain_state`)."""

    def plain_to_recipe_keys(self, state: dict, prefix: str = '') -> dict:
        """Keys of a plain checkpoint given as ``load_from`` mapped into the
        recipe's (default: unchanged; recipes with one pose network under
        :attr:`PLAIN_PREFIX` prefix them)."""
        head = getattr(self, 'PLAIN_PREFIX', None)
        if head is None:
            return state
        ours = [k for k in state if k.startswith(prefix)]
        names = {n for n, _ in self.named_children()}
        if any(k[len(prefix):].split('.', 1)[0] in names for k in ours):
            return state  # already the recipe's keys
        out = {k: v for k, v in state.items() if not k.startswith(prefix)}
        out.update({prefix + head + '.' + k[len(prefix):]: state[k]
                    for k in ours})
        return out

    # ---- helpers of the steps ------------------------------------------
    @staticmethod
    def targets(samples: List, device) -> tuple:
        """A view's target heatmaps (B, K, H, W) and weights (B, K)."""
        heat = torch.stack([s.gt_fields.heatmaps for s in samples]).to(device)
        weights = torch.cat([torch.as_tensor(s.gt_instance_labels.
                                             keypoint_weights)
                             for s in samples]).to(device)
        return heat, weights

    @staticmethod
    def stack_meta(samples: List, key: str, device) -> Tensor:
        """Stack one metainfo entry of a view's samples into a tensor."""
        return torch.as_tensor(
            np.asarray([s.metainfo[key] for s in samples]), device=device,
            dtype=torch.float32 if key != 'flip' else torch.bool)


class SinglePoseRecipe(RecipePoseEstimator):
    """Base of recipes with one pose network (``self.pose``) and helper
    networks that are not pose estimators (FiDIP's discriminator, ASDA's
    generator): the pose network is built from ``pose_estimator`` (its
    data preprocessor becomes the recipe's), plain checkpoints given as
    ``load_from`` load into it (keys mapped by :attr:`PLAIN_PREFIX`), and
    validation, testing and export use it alone.

    Args:
        pose_estimator (dict): Config of the mmpose pose estimator.
        data_preprocessor (dict, optional): Default: the pose estimator's.
        semi_train_cfg (dict, optional): Recipe settings.
        init_cfg (dict, optional): Initialisation config.
    """
    #: plain checkpoints given as ``load_from`` load into ``pose``
    PLAIN_PREFIX = 'pose'

    def __init__(self, pose_estimator: dict,
                 data_preprocessor: Optional[dict] = None,
                 semi_train_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = pose_estimator.get('data_preprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         semi_train_cfg=semi_train_cfg, init_cfg=init_cfg)
        pose_estimator = copy.deepcopy(pose_estimator)
        pose_estimator.pop('data_preprocessor', None)
        self.pose = MODELS.build(pose_estimator)
        self._register_load_state_dict_pre_hook(self._accept_plain_keys)

    def pose_networks(self) -> List[torch.nn.Module]:
        """The pose estimator."""
        return [self.pose]

    @property
    def pose_net(self) -> torch.nn.Module:
        """The pose estimator (unwrapped from DDP)."""
        return self.unwrap(self.pose)

    def _accept_plain_keys(self, state_dict, prefix, *args) -> None:
        mapped = self.plain_to_recipe_keys(dict(state_dict), prefix)
        state_dict.clear()
        state_dict.update(mapped)

    def pose_loss(self, heat: Tensor, samples: list) -> Tensor:
        """The pose head's keypoint loss of heatmaps against the samples'
        targets (summed over the stages of a multi-stage head, as mmpose's
        ``CPMHead``)."""
        target, weight = self.targets(samples, heat[-1].device if isinstance(
            heat, (list, tuple)) else heat.device)
        loss_fn = self.pose_net.head.loss_module
        if isinstance(heat, (list, tuple)):  # multi-stage heads (CPMHead)
            return sum(loss_fn(h, target.to(h), weight.to(h)) for h in heat)
        return loss_fn(heat, target.to(heat), weight.to(heat))

    def forward(self, inputs: Tensor, data_samples=None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.pose(inputs, data_samples, mode=mode)
