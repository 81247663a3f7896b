"""Refuse checkpoints whose tensors do not fit the model."""
from typing import Dict, List

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...models.estimators.base import RecipePoseEstimator


@HOOKS.register_module()
class CheckpointShapeCheckHook(Hook):
    """Stop with a clear error when a loaded checkpoint's tensors have other
    shapes than the model's (mmengine only warns, and the mismatched layers
    silently keep their random initialisation).

    The typical case is a keypoint-count mismatch: a 17-keypoint AP-10K
    checkpoint loaded into an 18-keypoint TigDog model. To fine-tune on purpose
    with a re-initialised head, set ``allow_mismatch=True``.

    Args:
        allow_mismatch (bool): Only log mismatches instead of raising.
    """
    priority = 'VERY_HIGH'

    def __init__(self, allow_mismatch: bool = False) -> None:
        self.allow_mismatch = allow_mismatch

    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        """Compare the checkpoint's shapes with the model's."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        own = model.state_dict()
        state = checkpoint.get('state_dict', checkpoint)
        state = {k[len('module.'):] if k.startswith('module.') else k: v
                 for k, v in state.items()}
        if isinstance(model, RecipePoseEstimator):  # plain checkpoints
            state = model.plain_to_recipe_keys(state)
        problems: List[str] = []
        for key, value in state.items():
            if key in own and hasattr(value, 'shape') and tuple(
                    value.shape) != tuple(own[key].shape):
                problems.append(f'{key}: checkpoint {list(value.shape)}, '
                                f'model {list(own[key].shape)}')
        if not problems:
            return
        source = runner.cfg.get('load_from') or 'the checkpoint'
        msg = (f'{source} does not fit the model: ' + '; '.join(problems[:5])
               + (f' (and {len(problems) - 5} more)' if len(problems) > 5
                  else '') +
               '. A different first dimension in the head usually means a '
               'different keypoint count: use a checkpoint of the same '
               'keypoint set, or set allow_mismatch=True in '
               'CheckpointShapeCheckHook to re-initialise those layers.')
        if self.allow_mismatch:
            runner.logger.warning(msg)
        else:
            raise RuntimeError(msg)
