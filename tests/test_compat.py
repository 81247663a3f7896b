"""Stack workarounds: checkpoint trust and the torchvision stand-in."""
import os
import pickle
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

import animal_da  # noqa: F401
from animal_da.compat import (STANDIN_VERSION, ToPILImage,
                              UntrustedCheckpointError, trusted_checkpoints)


class _Evil:
    """Unpickling this runs a command that leaves a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Evil(str(marker))}, path)
    with pytest.raises(UntrustedCheckpointError) as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(err.value)
    assert '--trust-checkpoint' in str(err.value)
    assert not marker.exists()
    # trusting another folder does not trust this one
    with trusted_checkpoints([str(tmp_path / 'elsewhere')]):
        with pytest.raises(UntrustedCheckpointError):
            _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_state_dict_loads_without_trust(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': {'a': [1, 2]}},
               path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))


def test_mmengine_objects_need_trust(tmp_path):
    from mmengine.logging import HistoryBuffer
    run = tmp_path / 'run'
    run.mkdir()
    path = run / 'epoch_1.pth'
    torch.save({'message_hub': {'b': HistoryBuffer([1.0, 2.0], [1, 1])}}, path)
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(str(path), map_location='cpu')
    with trusted_checkpoints([str(run)]):
        ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert ckpt['message_hub']['b'].mean() == 1.5
    with trusted_checkpoints(trust_all=True):
        assert 'message_hub' in _load_checkpoint(str(path), 'cpu')
    # the trust ends with the block
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(str(path), map_location='cpu')


def test_missing_checkpoint_names_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'), map_location='cpu')


def test_to_pil_image():
    img = ToPILImage()(torch.rand(3, 5, 7))
    assert img.size == (7, 5) and img.mode == 'RGB'
    import numpy as np
    gray = ToPILImage()(np.zeros((4, 6), np.uint8))
    assert gray.size == (6, 4) and gray.mode == 'L'


def _run_with_fake_torchvision(tmp_path, body: str) -> str:
    pkg = tmp_path / 'torchvision'
    pkg.mkdir()
    (pkg / '__init__.py').write_text(body)
    code = textwrap.dedent("""
        import animal_da, torchvision
        import mmpose.visualization  # imports torchvision.transforms
        print(torchvision.__version__)
    """)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run([sys.executable, '-c', code], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_standin_when_torchvision_is_broken(tmp_path):
    broken = "raise RuntimeError('operator torchvision::nms does not exist')"
    assert _run_with_fake_torchvision(tmp_path, broken) == STANDIN_VERSION


def test_real_torchvision_is_kept(tmp_path):
    working = textwrap.dedent("""
        __version__ = '9.9.9'
        from types import SimpleNamespace
        transforms = SimpleNamespace(ToPILImage=object)
        import sys
        sys.modules['torchvision.transforms'] = transforms
    """)
    assert _run_with_fake_torchvision(tmp_path, working) == '9.9.9'


def test_version_check_names_the_package():
    from animal_da.utils import check_stack_versions
    with pytest.raises(ImportError, match=r'mmpose 1\.3\.2 is installed'):
        check_stack_versions({'mmpose': ('9.0.0', '10.0.0')})
    with pytest.raises(ImportError, match='not-a-package is not installed'):
        check_stack_versions({'not-a-package': ('1.0', '2.0')})
    check_stack_versions()  # the installed stack passes


def test_pickle_error_is_an_unpickling_error():
    assert issubclass(UntrustedCheckpointError, pickle.UnpicklingError)


def test_multi_branch_preprocessor_moves_as_itself():
    """mmdet's MultiBranchDataPreprocessor.to() returned its inner
    preprocessor, which one-DDP-per-network wrapping then installed."""
    from mmdet.models.data_preprocessors import MultiBranchDataPreprocessor
    pre = MultiBranchDataPreprocessor(data_preprocessor=dict(
        type='mmpose.PoseDataPreprocessor'))
    assert pre.to('cpu') is pre and pre.cpu() is pre
    assert str(pre.device) == 'cpu'


_FAULTS = '''
import resource, sys
import torch
if sys.argv[1] == 'tuned':
    import animal_da  # noqa: F401  (keep_freed_memory on import)
for _ in range(2):  # 40 MB (UDA's joint-forward features are 57), warm-up
    torch.ones(10 << 20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    torch.ones(10 << 20)  # allocated, written, freed
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
'''


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason="glibc's malloc only")
def test_keep_freed_memory_reuses_large_blocks():
    """After ``import animal_da`` a freed 40 MB tensor's memory is reused by
    the next allocation (few page faults); without it glibc unmaps it and
    the next one faults its pages in again. A user's
    ``MALLOC_MMAP_THRESHOLD_`` is left alone, and
    ``ANIMAL_DA_KEEP_FREED_MEMORY=0`` turns it off."""
    from animal_da.utils import keep_freed_memory
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('MALLOC_') and
           k != 'ANIMAL_DA_KEEP_FREED_MEMORY'}

    def faults(mode: str) -> int:
        return int(subprocess.run(
            [sys.executable, '-c', _FAULTS, mode], env=env, check=True,
            capture_output=True, text=True).stdout.split()[-1])

    plain, tuned = faults('plain'), faults('tuned')
    # 40 MB = 10,240 pages of 4 kB; glibc maps blocks above 32 MB afresh
    # every time by default; tuned, at most two are faulted in again (where
    # the heap's top had moved)
    assert plain >= 9 * 10240 and tuned <= 2 * 10240
    for key, value in (('MALLOC_MMAP_THRESHOLD_', '65536'),
                       ('ANIMAL_DA_KEEP_FREED_MEMORY', '0')):
        os.environ[key] = value
        try:
            assert keep_freed_memory() is False
        finally:
            del os.environ[key]
