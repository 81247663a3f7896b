"""Heads."""
from .per_joint_head import PerJointHeatmapHead

__all__ = ['PerJointHeatmapHead']
