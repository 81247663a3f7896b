"""User-facing helpers: export and the tools' shared launch code."""
from .export import export_pose_model, to_plain

__all__ = ['export_pose_model', 'to_plain']
