"""Stop a run whose teacher collapsed to background."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


@HOOKS.register_module()
class TeacherCollapseGuardHook(Hook):
    """Check the teacher's heatmap maxima on validation batches.

    Consistency training on heatmaps can drive the teacher to predict flat
    background, after which every pseudo target is empty. After each
    validation the hook compares the teacher's mean per-keypoint heatmap
    maximum (the keypoint score of mmpose's heatmap decoders) with
    ``min_peak``; below it for
    ``patience`` validations in a row, it stops the run with a message.

    Args:
        min_peak (float): Smallest acceptable mean heatmap maximum.
        patience (int): Validations below ``min_peak`` before stopping.
    """

    def __init__(self, min_peak: float = 0.05, patience: int = 2):
        self.min_peak, self.patience = min_peak, patience
        self._peaks = []
        self._strikes = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        # under TeacherStudentValLoop only the teacher's pass counts
        if getattr(model, 'semi_test_cfg', {}).get('predict_on',
                                                   'teacher') != 'teacher':
            return
        for sample in outputs or []:
            scores = sample.pred_instances.get('keypoint_scores')
            if scores is not None:
                self._peaks.append(float(torch.as_tensor(scores).mean()))

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not self._peaks:
            return
        peak = sum(self._peaks) / len(self._peaks)
        self._peaks = []
        runner.message_hub.update_scalar('val/mean_heatmap_peak', peak)
        self._strikes = self._strikes + 1 if peak < self.min_peak else 0
        if self._strikes >= self.patience:
            raise RuntimeError(
                f'the teacher collapsed to background: mean heatmap maximum '
                f'{peak:.4f} < {self.min_peak} for {self._strikes} '
                'validations. Lower the consistency weight or its ramp, '
                'raise the EMA decay, or start from a better stage-1 model.')
