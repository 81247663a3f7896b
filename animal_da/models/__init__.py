"""Models: estimators (recipes), heads, losses, pseudo-label machinery."""
from .estimators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .pseudo_labels import *  # noqa: F401,F403
