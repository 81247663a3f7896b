"""Batch-level augmentations run inside a recipe's training step."""
from .pose_mixup import PoseMixup

__all__ = ['PoseMixup']
