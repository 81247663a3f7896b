"""Every shipped config parses and builds its model and datasets' types."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO

CONFIGS = sorted(
    f for f in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True)
    if '/_base_/' not in f and not f.endswith('_workflow.py'))
# workflows (*_workflow.py) are checked in test_workflow.py


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(c, REPO) for c in CONFIGS])
def test_config_builds(path):
    from mmpose.registry import DATASETS, MODELS, TRANSFORMS

    from animal_da.datasets.keypoint_sets import metainfo_file
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpose'
    assert 'animal_da' in cfg.custom_imports['imports']
    model_cfg = cfg.model.copy()
    # no downloads: drop pretrained weights before building
    for m in (model_cfg, model_cfg.get('pose_estimator', {})):
        if 'init_cfg' in m:
            m.pop('init_cfg')
        if 'backbone' in m:
            m['backbone'].pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    assert model is not None
    todo, steps = [cfg.train_dataloader.dataset], []
    while todo:  # through RepeatDataset / ConcatDataset / union wrappers
        ds = todo.pop()
        assert DATASETS.get(ds.type) is not None, ds.type
        if ds.get('keypoint_set'):  # a known set, with its metainfo file
            assert osp.isfile(metainfo_file(ds.keypoint_set)), ds
        steps += list(ds.get('pipeline') or [])  # wrappers may hold one
        if 'dataset' in ds:
            todo.append(ds.dataset)
        elif 'datasets' in ds:
            todo += list(ds.datasets)
    assert steps, 'no pipeline in the train dataset'
    while steps:  # MultiBranch views hold pipelines of their own
        step = steps.pop()
        assert TRANSFORMS.get(step.type) is not None, step.type
        for branch in step.get('branch_field', []):
            steps += list(step.get(branch, []))
