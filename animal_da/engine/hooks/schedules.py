"""Named values that follow a curve over epochs or iterations."""
import math
from typing import Dict

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import Registry
from mmpose.registry import HOOKS

#: curves of scheduled values (their own registry: they are not models)
CURVES = Registry('schedule curve', scope='animal_da')


@CURVES.register_module()
class SigmoidRampUp:
    """``max * exp(-5 (1 - min(t, length) / length)^2)`` (mean teacher).

    Args:
        length (float): Steps to reach ``max``.
        max (float): Final value.
    """

    def __init__(self, length: float, max: float = 1.0):
        self.length, self.max = length, max

    def __call__(self, t: float) -> float:
        if self.length <= 0:
            return self.max
        p = 1.0 - min(t, self.length) / self.length
        return self.max * math.exp(-5.0 * p * p)


@CURVES.register_module()
class CosineRampDown:
    """``clip(max * (1 + cos(pi min(t, length) / length)) / 2, min, max)``.

    ScarceNet's small-loss rate: ``length=30, min=0.8, max=1``.

    Args:
        length (float): Steps of the half cosine.
        min (float): Floor.
        max (float): Start value.
    """

    def __init__(self, length: float, min: float = 0.0, max: float = 1.0):
        self.length, self.min, self.max = length, min, max

    def __call__(self, t: float) -> float:
        v = self.max * 0.5 * (1 + math.cos(math.pi * min(t, self.length) /
                                           self.length))
        return float(min(max(v, self.min), self.max))


@CURVES.register_module()
class LinearRamp:
    """Linear from ``start_value`` at ``begin`` to ``end_value`` at ``end``.

    Args:
        begin (float): Step where the ramp starts.
        end (float): Step where it ends.
        start_value (float): Value up to ``begin``.
        end_value (float): Value from ``end`` on.
    """

    def __init__(self, begin: float, end: float, start_value: float = 0.0,
                 end_value: float = 1.0):
        self.begin, self.end = begin, end
        self.start_value, self.end_value = start_value, end_value

    def __call__(self, t: float) -> float:
        if t <= self.begin:
            return self.start_value
        if t >= self.end:
            return self.end_value
        f = (t - self.begin) / (self.end - self.begin)
        return self.start_value + f * (self.end_value - self.start_value)


@CURVES.register_module()
class DANNRampUp:
    """DANN's reversal schedule ``max * (2 / (1 + exp(-gamma p)) - 1)`` with
    ``p = t / length`` clipped to [0, 1].

    UDA-Animal-Pose: by iteration, ``length`` = all training iterations,
    ``gamma=10``.

    Args:
        length (float): Steps of the whole schedule.
        gamma (float): Steepness.
        max (float): Final value.
    """

    def __init__(self, length: float, gamma: float = 10.0, max: float = 1.0):
        if length <= 0:
            raise ValueError(f'length must be positive, got {length}')
        self.length, self.gamma, self.max = length, gamma, max

    def __call__(self, t: float) -> float:
        p = min(max(t / self.length, 0.0), 1.0)
        return self.max * (2.0 / (1.0 + math.exp(-self.gamma * p)) - 1.0)


@CURVES.register_module()
class Constant:
    """A constant value."""

    def __init__(self, value: float):
        self.value = value

    def __call__(self, t: float) -> float:
        return self.value


@HOOKS.register_module()
class ScheduledValuesHook(Hook):
    """Set ``model.scheduled[name]`` from curves before each iteration.

    Example::

        custom_hooks = [dict(type='ScheduledValuesHook', by_epoch=True,
            values=dict(consistency_weight=dict(type='SigmoidRampUp',
                                                length=10, max=2.0)))]

    Args:
        values (dict): Name to curve config.
        by_epoch (bool): Curves take the epoch (else the iteration).
        by_progress (bool): Curves take the training progress
            ``iteration / max_iters`` in [0, 1] (DANN's schedule);
            overrides ``by_epoch``.
    """
    priority = 'HIGH'

    def __init__(self, values: Dict[str, dict], by_epoch: bool = True,
                 by_progress: bool = False):
        if not values:
            raise ValueError('ScheduledValuesHook needs at least one value')
        self.curves = {k: CURVES.build(v) for k, v in values.items()}
        self.by_epoch = by_epoch
        self.by_progress = by_progress

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'scheduled'):
            raise AttributeError(f'{type(model).__name__} has no `scheduled` '
                                 'dict for ScheduledValuesHook to set')
        if self.by_progress:
            t = runner.iter / max(runner.max_iters, 1)
        else:
            t = runner.epoch if self.by_epoch else runner.iter
        for name, curve in self.curves.items():
            model.scheduled[name] = curve(t)
            runner.message_hub.update_scalar(f'train/{name}',
                                             model.scheduled[name])
