"""Engine parts: hooks and the distributed set-up."""
from .distributed import (DeviceAwareDistributedDataParallel,
                          DeviceAwareSeparateDistributedDataParallel,
                          prepare_distributed)
from .hooks import *  # noqa: F401,F403
from .optim_constructors import MultiModuleOptimWrapperConstructor

__all__ = ['DeviceAwareDistributedDataParallel',
           'DeviceAwareSeparateDistributedDataParallel', 'prepare_distributed',
           'MultiModuleOptimWrapperConstructor']
