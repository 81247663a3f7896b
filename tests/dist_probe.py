"""A hook for distributed tests: every rank saves its parameters after
training, so a test can check that the ranks stayed identical."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


@HOOKS.register_module()
class SaveRankParamsHook(Hook):
    """Write ``params_rank{r}.pth`` (parameters, unwrapped names)."""

    def after_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        params = {}
        for name, p in model.named_parameters():
            params[name.replace('.module.', '.')] = p.detach().cpu().clone()
        torch.save(params, osp.join(runner.work_dir,
                                    f'params_rank{get_rank()}.pth'))
