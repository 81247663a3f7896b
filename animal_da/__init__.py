"""animal_da: domain-adaptive and semi-supervised animal pose for mmpose.

Importing the package checks the OpenMMLab stack, applies the stack
workarounds of :mod:`animal_da.compat` and registers every module into
mmpose's registries (configs name it in ``custom_imports``).
"""
import os

# On CPU, loader workers share the cores with the training threads: OpenMP
# threads that sleep instead of spinning while they wait give measured +12 %
# images/s on 2 cores (README "Performance"). Read when torch loads, so it
# acts where animal_da is imported first (the tools); set the variable to
# override it.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

from .version import __version__  # noqa: E402
from .utils import check_stack_versions, keep_freed_memory  # noqa: E402

check_stack_versions()
# Training steps free and re-allocate the same large buffers: glibc keeps
# them for reuse instead of unmapping them (3-10 % per CPU step, measured;
# see keep_freed_memory; MALLOC_MMAP_THRESHOLD_ set by the user wins).
keep_freed_memory()

from . import compat  # noqa: E402

compat.apply()

from . import (apis, datasets, engine, evaluation, models,  # noqa: E402,F401
               pseudo_labels)

__all__ = ['__version__', 'compat']
