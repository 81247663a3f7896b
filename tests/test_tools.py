"""tools/train.py, test.py, dist_train.sh: train, validate, resume and
evaluate."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import BASELINE, REPO, fast_options
from dist_utils import free_port

sys.path.insert(0, osp.join(REPO, 'tools'))
import test as test_tool  # noqa: E402
import train as train_tool  # noqa: E402


def _adam_steps(ckpt_path: str) -> int:
    from animal_da.compat import trusted_checkpoints
    from mmengine.runner.checkpoint import _load_checkpoint
    with trusted_checkpoints([osp.dirname(ckpt_path)]):
        ckpt = _load_checkpoint(ckpt_path, map_location='cpu')
    steps = {int(s['step']) for s in ckpt['optimizer']['state'].values()}
    assert len(steps) == 1
    return steps.pop()


def test_train_validate_resume(tiny_data, tmp_path):
    work = str(tmp_path / 'run')
    opts = fast_options(tiny_data, max_epochs=1)
    train_tool.main([BASELINE, '--work-dir', work, '--cfg-options'] + opts)
    ckpt1 = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt1)
    iters_per_epoch = 2  # 16 images, batch 8
    assert _adam_steps(ckpt1) == iters_per_epoch
    # keep a copy outside the work_dir (the run keeps only its last one)
    outside = str(tmp_path / 'copied.pth')
    shutil.copy(ckpt1, outside)
    # validation ran with both metrics
    logs = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    assert logs
    with open(logs[0]) as f:
        records = [json.loads(line) for line in f]
    val = [r for r in records if 'coco/AP' in r]
    assert val and 'PCK' in val[0] and 'crop/PCK' in val[0]
    assert 0.0 <= val[0]['PCK'] <= 1.0

    # resume to a later epoch: optimizer state continues, not restarts
    opts2 = fast_options(tiny_data, max_epochs=2)
    train_tool.main([BASELINE, '--work-dir', work, '--resume',
                     '--cfg-options'] + opts2)
    ckpt2 = osp.join(work, 'epoch_2.pth')
    assert _adam_steps(ckpt2) == 2 * iters_per_epoch

    # our checkpoints load weights-only, so a copy elsewhere resumes as is;
    # one in mmengine's own format (Python objects) outside the work_dir
    # needs the opt-in
    train_tool.main([BASELINE, '--work-dir', work, '--resume', outside,
                     '--cfg-options'] + opts2)
    from animal_da.compat import UntrustedCheckpointError, decode_plain
    legacy = str(tmp_path / 'legacy.pth')
    ckpt = torch.load(outside, weights_only=True)
    ckpt.pop('__animal_da_plain__')
    torch.save({k: v if k == 'state_dict' else decode_plain(v)
                for k, v in ckpt.items()}, legacy)
    with pytest.raises(UntrustedCheckpointError, match='trust-checkpoint'):
        train_tool.main([BASELINE, '--work-dir', work, '--resume', legacy,
                         '--cfg-options'] + opts2)
    train_tool.main([BASELINE, '--work-dir', work, '--resume', legacy,
                     '--trust-checkpoint', '--cfg-options'] + opts2)

    # tools/test.py: metrics file and dumped predictions
    out = str(tmp_path / 'metrics.json')
    dump = str(tmp_path / 'preds.pkl')
    metrics = test_tool.main([BASELINE, ckpt2, '--work-dir', work, '--out',
                              out, '--dump', dump, '--cfg-options'] + opts2)
    assert 'coco/AP' in metrics and 'crop/PCK' in metrics
    with open(out) as f:
        assert json.load(f)['PCK'] == pytest.approx(metrics['PCK'])
    assert osp.getsize(dump) > 0


def test_dist_train_two_cpu_processes(tiny_data, tmp_path):
    if not torch.distributed.is_available():
        pytest.skip('torch.distributed is not available in this torch build')
    work = str(tmp_path / 'dist')
    env = dict(os.environ, PORT=str(free_port()), PYTHON=sys.executable,
               OMP_NUM_THREADS='1')
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), BASELINE, '2',
           '--work-dir', work, '--cfg-options'] + fast_options(
               tiny_data, max_epochs=1, batch_size=4)
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # 16 images over 2 ranks at batch 4: 2 iterations each
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    # torchrun exits 0 only when every rank did; rank 0's log shows both
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'Distributed launcher: pytorch' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    if not torch.cuda.is_available():
        assert "'backend': 'gloo'" in log
    assert 'Epoch(train) [1][2/2]' in log and 'Epoch(val)' in log


@pytest.mark.parametrize('config', [
    BASELINE,
    'configs/fidip/fidip_res18_synanimal-syn+real-5shot_96x96_demo.py',
    'configs/freenet/freenet_res18_synanimal-union-10pct_96x96_demo.py',
    'configs/asda/asda_res18_synanimal-real-20shot_96x96_demo.py'])
def test_amp_sets_every_optimiser_wrapper(config):
    """``--amp`` makes the one wrapper, or each network's wrapper of a
    two-optimiser recipe, an AmpOptimWrapper, and adds no top-level type
    to a multi-module config (its constructor would read it as a
    network)."""
    from animal_da.apis.launch import build_train_cfg, parse_train_args
    cfg = build_train_cfg(parse_train_args([osp.join(REPO, config), '--amp']))
    ow = cfg.optim_wrapper
    if 'optimizer' in ow:
        assert ow.type == 'AmpOptimWrapper'
    else:
        subs = [v for v in ow.values() if isinstance(v, dict)]
        assert len(subs) >= 2 and 'type' not in ow
        assert all(v['type'] == 'AmpOptimWrapper' and
                   v['loss_scale'] == 'dynamic' for v in subs)


def test_amp_refuses_what_it_cannot_set():
    """A wrapper of another type, or a config without an optimizer, is an
    error, not a silent fp32 run."""
    from mmengine.config import Config

    from animal_da.apis.launch import set_amp
    with pytest.raises(ValueError, match='needs OptimWrapper'):
        set_amp(Config(dict(optim_wrapper=dict(
            type='ApexOptimWrapper', optimizer=dict(type='Adam')))))
    with pytest.raises(ValueError, match='no optimizer'):
        set_amp(Config(dict(optim_wrapper=dict(
            constructor='MultiModuleOptimWrapperConstructor'))))
    cfg = Config(dict(optim_wrapper=dict(
        constructor='DefaultOptimWrapperConstructor',
        optimizer=dict(type='Adam'), paramwise_cfg=dict(norm_decay_mult=0))))
    set_amp(cfg)  # one wrapper with its own constructor
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
