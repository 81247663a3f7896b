"""animal_da: domain-adaptive and semi-supervised animal pose for mmpose.

Importing the package checks the OpenMMLab stack, applies the stack
workarounds of :mod:`animal_da.compat` and registers every module into
mmpose's registries (configs name it in ``custom_imports``).
"""
from .version import __version__
from .utils import check_stack_versions

check_stack_versions()

from . import compat  # noqa: E402

compat.apply()

from . import (apis, datasets, engine, evaluation, models,  # noqa: E402,F401
               pseudo_labels)

__all__ = ['__version__', 'compat']
