"""EMA teacher update with the mean-teacher warm start."""
from typing import Optional

import torch
from mmdet.engine.hooks import MeanTeacherHook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


@HOOKS.register_module()
class EMATeacherHook(MeanTeacherHook):
    """Update ``model.teacher`` from ``model.student`` after each iteration.

    mmdet's ``MeanTeacherHook`` with the warm start of the mean-teacher code
    that UDA-Animal-Pose and ScarceNet use: at global step ``t`` the decay is
    ``min(1 - 1 / (t + 1), decay)``, so the first update copies the student
    and early teachers follow it closely. Only parameters are averaged by
    default; BN statistics then come from the teacher's own train-mode
    forwards, as in the originals (``skip_buffers=False`` averages them too).

    Args:
        decay (float): EMA decay (paper: 0.999).
        warm_start (bool): Use the warm-start rule (paper: True); False gives
            mmdet's constant momentum.
        interval (int): Update every ``interval`` iterations.
        skip_buffers (bool): Do not average buffers (paper: True).
        averaged_model (dict, optional): Use one of mmengine's averaging
            rules instead, e.g. ``dict(type='ExponentialMovingAverage',
            momentum=0.001)`` or ``dict(type='MomentumAnnealingEMA',
            momentum=0.001, gamma=100)``: its ``avg_func`` updates the
            teacher's parameters from the student's (``warm_start`` and
            ``decay`` are then unused).
    """

    def __init__(self, decay: float = 0.999, warm_start: bool = True,
                 interval: int = 1, skip_buffers: bool = True,
                 averaged_model: Optional[dict] = None) -> None:
        super().__init__(momentum=1 - decay, interval=interval,
                         skip_buffer=skip_buffers)
        self.decay = decay
        self.warm_start = warm_start
        self.averager = None
        if averaged_model is not None:
            from mmengine.registry import MODELS
            # mmengine's averaged models hold the rule (avg_func, steps); a
            # stand-in module spares them a copy of the teacher
            self.averager = MODELS.build(dict(
                averaged_model, model=torch.nn.Linear(1, 1)))

    def before_train(self, runner) -> None:
        """Check the contract; the warm start makes the first update a copy."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for name in ('teacher', 'student'):
            if not hasattr(model, name):
                raise AttributeError(
                    f'EMATeacherHook needs model.{name}; '
                    f'{type(model).__name__} has none (use a teacher-student '
                    'estimator such as ScarceNetPoseEstimator)')
        if runner.iter == 0 and not self.warm_start:
            self.momentum_update(model, 1)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """EMA step with the (warm-start) decay of this global step."""
        if (runner.iter + 1) % self.interval != 0:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if self.averager is not None:
            self.mmengine_update(model)
            return
        t = runner.iter
        decay = min(1 - 1 / (t + 1), self.decay) if self.warm_start \
            else self.decay
        self.momentum_update(model, 1 - decay)

    @torch.no_grad()
    def mmengine_update(self, model) -> None:
        """One step of the mmengine averaging rule, teacher <- student."""
        steps = self.averager.steps
        for t, s in zip(model.teacher.parameters(),
                        model.student.parameters()):
            self.averager.avg_func(t.data, s.data, steps)
        if not self.skip_buffers:
            for t, s in zip(model.teacher.buffers(), model.student.buffers()):
                if t.dtype.is_floating_point:
                    self.averager.avg_func(t.data, s.data, steps)
                else:
                    t.data.copy_(s.data)
        self.averager.steps += 1
