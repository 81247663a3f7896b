"""Re-label the unlabelled training instances from the current teacher."""
import numpy as np
from mmcv.transforms import Compose
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...datasets import SemiPoseDataset
from ...pseudo_labels import TTAPseudoLabeler


def _find_semi_dataset(dataset):
    """The pseudo-labelled ``SemiPoseDataset`` inside dataset wrappers
    (``RepeatDataset``, ``ConcatDataset`` of source and target...)."""
    found, todo = [], [dataset]
    while todo:
        d = todo.pop(0)
        if isinstance(d, SemiPoseDataset):
            found.append(d)
        todo += list(getattr(d, 'datasets', []))
        if hasattr(d, 'dataset'):
            todo.append(d.dataset)
    with_pl = [d for d in found if d.pseudo_label_cfg]
    if len(with_pl) == 1 or (len(found) == 1 and not with_pl):
        return (with_pl or found)[0]
    raise TypeError(f'PseudoLabelRefreshHook needs one (pseudo-labelled) '
                    f'SemiPoseDataset to train on; {type(dataset).__name__} '
                    f'holds {len(found)} SemiPoseDatasets, {len(with_pl)} '
                    'with pseudo labels')


@HOOKS.register_module()
class PseudoLabelRefreshHook(Hook):
    """Every ``interval`` epochs, pseudo-label the unlabelled instances again
    with the current teacher (TTA as ``tools/pseudo_label.py``) and replace
    the training targets.

    Beyond the papers: UDA-Animal-Pose and ScarceNet never regenerate their
    offline labels (keep this hook out of parity configs). The train loader
    must not use ``persistent_workers`` (workers would keep old labels).

    Args:
        interval (int): Epochs between refreshes.
        num_transforms (int): TTA views.
        filter (dict, optional): Score filter (default: the dataset's).
        batch_size (int): Instances per forward.
    """
    priority = 'LOW'

    def __init__(self, interval: int = 1, num_transforms: int = 5,
                 filter: dict = None, batch_size: int = 16):
        self.interval, self.num_transforms = interval, num_transforms
        self.filter, self.batch_size = filter, batch_size

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if getattr(loader, 'persistent_workers', False):
            raise ValueError('PseudoLabelRefreshHook: set '
                             'train_dataloader.persistent_workers=False, '
                             'or workers keep the old pseudo labels')
        _find_semi_dataset(loader.dataset)

    def after_train_epoch(self, runner) -> None:
        if not self.every_n_epochs(runner, self.interval):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        dataset = _find_semi_dataset(runner.train_dataloader.dataset)
        unlabelled = [i for i in range(len(dataset))
                      if not dataset.get_data_info(i)['is_labelled']]
        pipeline = dataset.pipeline
        dataset.pipeline = Compose([dict(type='LoadImage'),
                                    dict(type='GetBBoxCenterScale')])
        teacher = model.teacher
        was_training = teacher.training
        teacher.eval()
        try:
            labeler = TTAPseudoLabeler(teacher, self.num_transforms,
                                       seed=runner.epoch)
            entries = labeler.label_dataset(dataset, self.batch_size,
                                            indices=unlabelled,
                                            show_progress=False)
        finally:
            dataset.pipeline = pipeline
            teacher.train(was_training)
        labels = {e['id']: np.asarray(e['keypoints'],
                                      np.float32).reshape(-1, 3)
                  for e in entries}
        dataset.update_pseudo_labels(labels, self.filter)
        runner.logger.info(f'refreshed {len(labels)} pseudo labels from the '
                           f'teacher after epoch {runner.epoch}')
