"""Models: estimators (recipes), heads, losses, pseudo-label machinery."""
from .batch_augments import *  # noqa: F401,F403
from .estimators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
