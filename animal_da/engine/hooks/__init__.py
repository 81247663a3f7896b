"""Hooks: the time-dependent parts of training recipes."""
from .checkpoint_check import CheckpointShapeCheckHook

__all__ = ['CheckpointShapeCheckHook']
