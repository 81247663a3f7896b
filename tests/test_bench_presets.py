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
