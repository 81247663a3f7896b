"""The benchmark scripts import and name configs that exist (the runs
themselves are in tools/bench/, `--preset smoke` checks every row in
minutes)."""
import os.path as osp
import sys

import pytest

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'bench'))


@pytest.mark.parametrize('name', ['domain_shift', 'scarce_labels'])
def test_bench_configs_exist(name):
    import importlib
    mod = importlib.import_module(name)
    paths = [v for k, v in vars(mod).items()
             if isinstance(v, str) and v.startswith('configs/')]
    paths += [v for d in vars(mod).values() if isinstance(d, dict)
              for v in d.values()
              if isinstance(v, str) and v.startswith('configs/')]
    for preset in mod.PRESETS.values():
        paths += list(preset.get('configs', {}).values())
        paths += [v for key in ('uda', 'fidip')
                  for v in preset.get(key, {}).values()
                  if isinstance(v, str) and v.startswith('configs/')]
    assert paths
    for p in paths:
        assert osp.isfile(osp.join(REPO, p)), p


@pytest.mark.parametrize('recipe', ['paper', 'short'])
def test_scarce_labels_stage2_options_reach_every_dataset(recipe):
    """Data root, shots and pseudo-label file reach every SemiPoseDataset of
    either stage-2 config, through Concat/Repeat wrappers."""
    from mmengine.config import Config
    import scarce_labels as sl
    config = sl.STAGE2[recipe]
    key, opts = sl.stage2_options(config, 'data/x', 20, 'pl.json', 0.0)
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.merge_from_dict({f'{key}.data_root': 'data/x/'})
    cfg.merge_from_dict(dict(o.split('=', 1) for o in opts))
    found = sl.semi_datasets(cfg)
    assert [k for k, _ in found][0] == key
    assert len(found) == (1 if recipe == 'paper' else 2)
    for _, d in found:
        assert d['data_root'] == 'data/x/'
        assert str(d['labelled']['per_category']) == '20'
        if d.get('role') != 'labelled':
            assert d['pseudo_labels']['file'] == 'pl.json'
            assert str(d['pseudo_labels']['filter']['percentile']) == '0.0'
