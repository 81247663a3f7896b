"""Shared fixtures: a tiny generated dataset and config overrides that keep
training runs to seconds."""
import os
import os.path as osp
import uuid
from typing import List

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASELINE = osp.join(
    REPO, 'configs/baselines/td-hm_res18_synanimal-source-only_96x96_demo.py')


def real_data_root() -> str:
    """The shared real samples (``../shared/data/real`` beside the repo)."""
    return os.environ.get('ANIMAL_DA_REAL_DATA',
                          osp.join(REPO, '..', 'shared', 'data', 'real'))


def fast_options(data_root: str, max_epochs: int = 1,
                 batch_size: int = 8, head: str = 'model.head',
                 cosine: bool = True,
                 train_key: str = 'train_dataloader.dataset') -> List[str]:
    """--cfg-options for a seconds-long run on ``data_root``.

    Args:
        head: Config path of the pose head (``model.pose_estimator.head`` in
            teacher-student recipes).
        cosine: The config's second lr scheduler is the base's cosine one.
        train_key: Config path of the train dataset that takes data_root
            (None: none; pass the workflow key ``data_root=...``).
    """
    root = data_root.rstrip('/') + '/'
    # unique names: mmengine keeps loggers and visualisers per name in the
    # process, so several runs in one pytest process must not share them
    run = uuid.uuid4().hex[:8]
    opts = [
        f'experiment_name=run_{run}', f'visualizer.name=vis_{run}',
        f'train_cfg.max_epochs={max_epochs}', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
        f'train_dataloader.batch_size={batch_size}',
        f'{head}.deconv_out_channels=[32,32,32]',
    ]
    if cosine:
        opts += [f'param_scheduler.1.T_max={max_epochs}',
                 f'param_scheduler.1.end={max_epochs}']
    if train_key:  # None: set by type instead (data_root=...)
        opts.append(f'{train_key}.data_root={root}')
    for split in ('train', 'val', 'test'):
        if split != 'train':
            opts.append(f'{split}_dataloader.dataset.data_root={root}')
        opts += [f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    return opts


@pytest.fixture(autouse=True, scope='session')
def mmpose_scope():
    """Build registry objects in mmpose's scope, as configs do."""
    import animal_da  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory) -> str:
    """16 images a train split (4 in val/test) at 96 px, all splits."""
    from animal_da.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('data') / 'synanimal')
    generate_dataset(root, 16, seed=0, img_size=96, nproc=1,
                     show_progress=False)
    return root


@pytest.fixture(scope='session')
def tiny_union_data(tmp_path_factory) -> str:
    """The keypoint-set layout: 16 images per source (4 in val/test)."""
    from animal_da.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('data') / 'synanimal_union')
    generate_dataset(root, 16, seed=0, img_size=96, nproc=1,
                     show_progress=False, layout='keypoint_sets')
    return root
