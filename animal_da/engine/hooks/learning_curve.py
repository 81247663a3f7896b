"""A learning curve of a run: validation metrics against training time."""
import json
import os.path as osp
import time
from typing import Dict, Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from ...utils import dump_json_atomic


@HOOKS.register_module()
class LearningCurveHook(Hook):
    """Record every validation's metrics with the training time spent so far.

    Training time counts the train iterations only (data loading included,
    validation excluded), so a curve says how many minutes of training a
    model needs to reach a value. After each validation the curve is written
    to ``work_dir/<file>`` (a resumed run continues the curve it finds
    there)::

        {"points": [{"epoch": 5, "iter": 315, "train_minutes": 1.9,
                     "metrics": {"coco/AP": 12.3, ...}}, ...]}

    mmengine's own logs hold the metrics too, but not the training time
    without validation; this hook adds it in one file per run.

    Args:
        file (str): File name in the work folder.
    """

    priority = 'LOW'

    def __init__(self, file: str = 'learning_curve.json') -> None:
        self.file = file
        self.train_s = 0.0
        self.points = []
        self._start: Optional[float] = None

    def before_train(self, runner) -> None:
        path = osp.join(runner.work_dir, self.file)
        if runner.iter > 0 and osp.isfile(path):  # resumed: keep the curve
            with open(path) as f:
                old = json.load(f)
            self.points = [p for p in old['points']
                           if p['iter'] <= runner.iter]
            self.train_s = 60 * (self.points[-1]['train_minutes']
                                 if self.points else 0.0)

    def before_train_epoch(self, runner) -> None:
        self._start = time.perf_counter()  # data loading counts as training

    def after_train_epoch(self, runner) -> None:
        if self._start is not None:
            self.train_s += time.perf_counter() - self._start
            self._start = None

    def after_val_epoch(self, runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        self.points.append(dict(
            epoch=runner.epoch, iter=runner.iter,
            train_minutes=round(self.train_s / 60, 3),
            metrics={k: float(v) for k, v in (metrics or {}).items()}))
        self._write(runner)

    @master_only
    def _write(self, runner) -> None:
        dump_json_atomic(dict(points=self.points),
                         osp.join(runner.work_dir, self.file), indent=1)
