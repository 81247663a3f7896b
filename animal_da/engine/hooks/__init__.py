"""Hooks: the time-dependent parts of training recipes."""
from .checkpoint_check import CheckpointShapeCheckHook
from .collapse_guard import TeacherCollapseGuardHook
from .ema_teacher import EMATeacherHook
from .pseudo_label_refresh import PseudoLabelRefreshHook
from .schedules import (Constant, CosineRampDown, LinearRamp,
                        ScheduledValuesHook, SigmoidRampUp)

__all__ = ['CheckpointShapeCheckHook', 'TeacherCollapseGuardHook',
           'EMATeacherHook', 'PseudoLabelRefreshHook', 'Constant', 'CosineRampDown', 'LinearRamp',
           'ScheduledValuesHook', 'SigmoidRampUp']
