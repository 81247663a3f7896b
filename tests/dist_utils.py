"""Run a config with tools/dist_train.sh on 2 CPU processes."""
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import List

import torch

from conftest import REPO

TESTS = osp.dirname(osp.abspath(__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def probe_config(config: str, tmp_path, custom_hooks: list) -> str:
    """A config inheriting ``config`` that also saves every rank's
    parameters (``SaveRankParamsHook`` from tests/dist_probe.py)."""
    path = str(tmp_path / 'probe_config.py')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{config!r}]\n'
                "custom_imports = dict(imports=['animal_da', 'dist_probe'], "
                'allow_failed_imports=False)\n'
                f'custom_hooks = {custom_hooks!r} + '
                "[dict(type='SaveRankParamsHook')]\n")
    return path


def dist_train(config: str, work: str, options: List[str]):
    """Run dist_train.sh with 2 processes; returns the finished process."""
    env = dict(os.environ, PORT=str(free_port()), PYTHON=sys.executable,
               OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(
                   [TESTS, REPO, os.environ.get('PYTHONPATH', '')]))
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, '2',
           '--work-dir', work, '--cfg-options'] + options
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def differing_params(work: str, prefixes) -> List[str]:
    """Names of parameters under ``prefixes`` that differ between ranks."""
    a = torch.load(osp.join(work, 'params_rank0.pth'))
    b = torch.load(osp.join(work, 'params_rank1.pth'))
    assert a.keys() == b.keys()
    names = [k for k in a if k.startswith(tuple(prefixes))]
    assert names, f'no parameters under {prefixes}'
    return [k for k in names if not torch.equal(a[k], b[k])]
