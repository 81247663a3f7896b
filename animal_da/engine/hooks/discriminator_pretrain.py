"""Pre-train a domain discriminator before the main loop (FiDIP stage 1)."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.runner import Runner
from mmpose.registry import HOOKS


@HOOKS.register_module()
class DiscriminatorPretrainHook(Hook):
    """Train only the discriminator for ``epochs`` passes over its own
    dataloader before the first training iteration (METHODS.md 5.4 stage 1:
    10 epochs on real/synthetic adults, the pose network in train mode
    without gradients).

    Skipped when a run resumes (it has already happened). Needs a model with
    ``pretrain_discriminator_step`` and an ``OptimWrapperDict`` with a
    ``discriminator`` entry.

    Args:
        dataloader (dict): Dataloader config (its samples carry ``domain``).
        epochs (int): Passes over it.
        log_interval (int): Log every this many iterations.
    """
    priority = 'LOW'

    def __init__(self, dataloader: dict, epochs: int = 10,
                 log_interval: int = 50):
        if epochs < 0:
            raise ValueError(f'epochs must be >= 0, got {epochs}')
        self.dataloader_cfg = dataloader
        self.epochs = epochs
        self.log_interval = log_interval

    def before_train(self, runner: Runner) -> None:
        if self.epochs == 0:
            return
        if runner.iter > 0:
            runner.logger.info('DiscriminatorPretrainHook: resumed run, '
                               'pre-training skipped')
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        optim = runner.optim_wrapper
        if not isinstance(optim, OptimWrapperDict) or \
                'discriminator' not in optim.keys():
            raise TypeError('DiscriminatorPretrainHook needs an '
                            'OptimWrapperDict with a discriminator entry')
        if not hasattr(model, 'pretrain_discriminator_step'):
            raise TypeError(f'{type(model).__name__} cannot pre-train a '
                            'discriminator')
        loader = runner.build_dataloader(self.dataloader_cfg,
                                         seed=runner.seed)
        total = self.epochs * len(loader)
        runner.logger.info(f'pre-training the discriminator: {self.epochs} '
                           f'epochs x {len(loader)} iterations')
        model.train()
        step = 0
        last: Optional[dict] = None
        for epoch in range(self.epochs):
            if hasattr(loader.sampler, 'set_epoch'):
                loader.sampler.set_epoch(epoch)
            for data in loader:
                last = model.pretrain_discriminator_step(
                    data, optim['discriminator'])
                step += 1
                if step % self.log_interval == 0 or step == total:
                    runner.logger.info(
                        f'discriminator pre-training [{step}/{total}] '
                        f'loss_dom {float(last["loss_dom"]):.4f} '
                        f'acc_dom {float(last["acc_dom"]):.3f}')
