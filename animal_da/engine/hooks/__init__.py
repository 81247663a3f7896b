"""Hooks: the time-dependent parts of training recipes."""
from .checkpoint_check import CheckpointShapeCheckHook
from .collapse_guard import TeacherCollapseGuardHook
from .discriminator_pretrain import DiscriminatorPretrainHook
from .ema_teacher import EMATeacherHook
from .learning_curve import LearningCurveHook
from .memory_format import MemoryFormatHook
from .pseudo_label_refresh import PseudoLabelRefreshHook
from .schedules import (Constant, CosineRampDown, DANNRampUp, LinearRamp,
                        ScheduledValuesHook, SigmoidRampUp)

__all__ = ['CheckpointShapeCheckHook', 'DiscriminatorPretrainHook',
           'TeacherCollapseGuardHook',
           'EMATeacherHook', 'LearningCurveHook', 'MemoryFormatHook',
           'PseudoLabelRefreshHook', 'Constant', 'CosineRampDown',
           'DANNRampUp', 'LinearRamp',
           'ScheduledValuesHook', 'SigmoidRampUp']
