"""ASDA (Bin et al., ECCV 2020): a pose network trained on images onto
which an STN generator pastes body parts where they raise the pose loss
most (METHODS.md 4.4)."""
from typing import Dict, List, Union

import numpy as np
import torch
from mmengine.optim import OptimWrapperDict
from mmpose.registry import MODELS
from torch import Tensor

from .base import SinglePoseRecipe


@MODELS.register_module()
class AdversarialAugPoseEstimator(SinglePoseRecipe):
    """An mmpose pose estimator and ASDA's part generator, trained
    alternately (a min-max game).

    Samples carry part canvases (``SemanticPartCanvas``: ``part_imgs``,
    ``part_masks``, ``part_types`` in their metainfo). Per batch, with
    ``optim_wrapper`` an ``OptimWrapperDict`` of ``pose`` and ``generator``
    (``MultiModuleOptimWrapperConstructor``; paper: Adam, pose lr 1e-3 /
    3e-3, generator 1e-3):

    - :meth:`pose_step` (``nd`` times): ``x^ = G(x, parts)`` (no gradient
      to G: ASDA's generator step zeroes them anyway), ``L = MSE(pose(x^),
      H)``, a pose update;
    - :meth:`generator_step` (``ng`` times): a fresh ``x^' = G(x, parts)``
      and pose forward, the generator minimises ``-L'`` (the pose network's
      gradients from it are cleared before its next step, as the original's
      ``zero_grad``).

    ``stn_first`` runs the generator steps first. Both pose forwards run in
    train mode (BN statistics move twice per batch, as the original).
    Validation, testing and export use the pose network alone. Under
    ``dist_train.sh`` use ``MMSeparateDistributedDataParallel``.

    Args:
        pose_estimator (dict): Config of the pose estimator.
        generator (dict): Config of the generator (``STNPartGenerator``;
            ``RandomPartPlacer`` with ``ng=0`` is the random-placement
            control).
        adv_cfg (dict): ``stn_first`` [False], ``nd`` [1], ``ng`` [1].
        data_preprocessor (dict, optional): Default: the pose estimator's.
        init_cfg (dict, optional): Initialisation config.
    """

    DEFAULTS = dict(stn_first=False, nd=1, ng=1)

    def __init__(self, pose_estimator: dict, generator: dict,
                 adv_cfg: dict = None, data_preprocessor: dict = None,
                 init_cfg: dict = None):
        super().__init__(pose_estimator, data_preprocessor=data_preprocessor,
                         semi_train_cfg=adv_cfg, init_cfg=init_cfg)
        self.generator = MODELS.build(generator)
        for key in ('nd', 'ng'):
            if int(self.semi_train_cfg[key]) < 0:
                raise ValueError(f'{key} must be >= 0')

    # ---- pieces ---------------------------------------------------------
    def parts(self, samples: List, device) -> tuple:
        """The batch's part canvases normalised as the inputs (the data
        preprocessor's mean, std and channel order), masks and types."""
        try:
            imgs = np.stack([s.metainfo['part_imgs'] for s in samples])
            masks = np.stack([s.metainfo['part_masks'] for s in samples])
            types = np.stack([s.metainfo['part_types'] for s in samples])
        except KeyError as e:
            raise KeyError(
                'samples carry no part canvases: add SemanticPartCanvas to '
                "the train pipeline and 'part_imgs', 'part_masks', "
                "'part_types' to PackPoseInputs' meta_keys") from e
        pre = self.data_preprocessor
        parts = torch.as_tensor(imgs, device=device).permute(0, 1, 4, 2,
                                                             3).float()
        if getattr(pre, '_channel_conversion', False):
            parts = parts.flip(2)  # BGR -> RGB, as the preprocessor does
        mean = getattr(pre, 'mean', None)
        if mean is not None:
            parts = (parts - mean.view(1, 1, -1, 1, 1)) / pre.std.view(
                1, 1, -1, 1, 1)
        m = torch.as_tensor(masks, device=device).float()[:, :, None]
        parts = parts * (m > 0)
        return parts, m, torch.as_tensor(types, device=device)

    def paste(self, inputs: Tensor, parts: tuple) -> Tensor:
        """The generator's pasted images (through its DDP wrapper)."""
        with self.timed('generator_forward'):
            return self.generator(inputs, *parts)

    def pose_heatmaps(self, inputs: Tensor, wrapped: bool = True) -> Tensor:
        """The pose network's heatmaps; ``wrapped=False`` bypasses its DDP
        wrapper (a forward whose pose gradients nobody reduces)."""
        net = self.pose if wrapped else self.pose_net
        with self.timed(self.forward_part(self.pose)):
            return net(inputs, None, mode='tensor')

    # ---- steps ----------------------------------------------------------
    def pose_step(self, inputs: Tensor, samples: List, parts: tuple,
                  opt) -> Dict[str, Tensor]:
        """One pose update on the pasted images with the unchanged
        ground truth."""
        opt.zero_grad()  # the generator step's gradients in the pose net
        with opt.optim_context(self.pose):
            with torch.no_grad():
                pasted = self.paste(inputs, parts)
            loss = self.pose_loss(self.pose_heatmaps(pasted), samples)
            opt.update_params(loss)
        return dict(loss_sup=loss.detach())

    def generator_step(self, inputs: Tensor, samples: List, parts: tuple,
                       opt) -> Dict[str, Tensor]:
        """One generator update: a fresh paste and pose forward, the
        generator minimising the negated pose loss.

        The backward reaches the generator's parameters only: the original
        also computed the pose network's weight gradients, then cleared them
        unused; here the pose forward bypasses its DDP wrapper (nothing to
        reduce) and autograd skips those gradients (same generator update,
        a test checks it)."""
        with opt.optim_context(self.generator):
            pasted = self.paste(inputs, parts)
            loss = self.pose_loss(self.pose_heatmaps(pasted, wrapped=False),
                                  samples)
            # mmengine's update_params has no backward(inputs=): its steps
            params = [p for p in self.generator.parameters()
                      if p.requires_grad]
            opt.backward(opt.scale_loss(-loss), inputs=params)
            if opt.should_update():
                opt.step()
                opt.zero_grad()
        return dict(loss_gen=-loss.detach())

    def loss(self, inputs: Tensor, samples: List) -> dict:
        """The pose loss on pasted images (no update; for checks)."""
        parts = self.parts(samples, inputs.device)
        return dict(loss_sup=self.pose_loss(
            self.pose_heatmaps(self.paste(inputs, parts)), samples))

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """``nd`` pose steps and ``ng`` generator steps, in the order of
        ``stn_first``."""
        cfg = self.semi_train_cfg
        need = {'pose'} | ({'generator'} if int(cfg['ng']) else set())
        if not isinstance(optim_wrapper, OptimWrapperDict) or \
                need - set(optim_wrapper.keys()):
            raise KeyError('ASDA needs an OptimWrapperDict with '
                           f'{sorted(need)} optimisers (constructor='
                           "'MultiModuleOptimWrapperConstructor'; ng=0, e.g. "
                           'RandomPartPlacer, needs pose only)')
        data = self.data_preprocessor(data, True)
        inputs, samples = data['inputs'], data['data_samples']
        parts = self.parts(samples, inputs.device)
        steps = [('pose', self.pose_step)] * int(cfg['nd'])
        gen = [('generator', self.generator_step)] * int(cfg['ng'])
        steps = gen + steps if cfg['stn_first'] else steps + gen
        log: Dict[str, Tensor] = {}
        for name, step in steps:
            log.update(step(inputs, samples, parts, optim_wrapper[name]))
        log['loss'] = log.get('loss_sup', inputs.new_zeros(()))
        return log
