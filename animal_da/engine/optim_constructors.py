"""One optimiser per sub-module (two-optimiser adversarial recipes)."""
import copy

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmpose.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn


# mmengine ships no multi-module constructor (mmagic has one; it is not part
# of our stack), so this one builds mmengine's default per sub-module
@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiModuleOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one entry per named sub-module.

    Example (FiDIP)::

        optim_wrapper = dict(
            constructor='MultiModuleOptimWrapperConstructor',
            pose=dict(type='OptimWrapper', optimizer=dict(type='Adam',
                                                          lr=1e-3)),
            discriminator=dict(type='OptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-3)))

    Each entry may have its own ``paramwise_cfg``.

    Args:
        optim_wrapper_cfg (dict): Sub-module name to optim-wrapper config.
        paramwise_cfg (dict, optional): Must be None (give it per entry).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        if paramwise_cfg is not None:
            raise ValueError('give paramwise_cfg inside each optimiser entry')
        if not optim_wrapper_cfg:
            raise ValueError('MultiModuleOptimWrapperConstructor needs at '
                             'least one sub-module entry')
        self.cfgs = {k: copy.deepcopy(dict(v))
                     for k, v in optim_wrapper_cfg.items()}

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, cfg in self.cfgs.items():
            sub = getattr(model, name, None)
            if not isinstance(sub, nn.Module):
                raise AttributeError(f'{type(model).__name__} has no '
                                     f'sub-module {name!r} to optimise')
            if is_model_wrapper(sub):
                sub = sub.module
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise)(sub)
        return OptimWrapperDict(**wrappers)
