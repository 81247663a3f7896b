"""The one home of workarounds for the pinned stack (DESIGN.md section 6).

Three problems are handled here, both applied by :func:`apply` when
``animal_da`` is imported (configs import it through ``custom_imports``, so
this holds for every entry point that parses such a config):

1. **Checkpoints under torch >= 2.6.** ``torch.load`` defaults to
   ``weights_only=True``, and an mmengine 0.10.7 training checkpoint holds
   ``HistoryBuffer`` objects, NumPy reconstructors and a ``builtins.getattr``
   reference, so ``resume=True`` fails. Allow-listing ``getattr`` would make
   every checkpoint able to call arbitrary functions, so instead:

   - training checkpoints are **written weights-only loadable**: the message
     hub's buffers and NumPy values are stored as tagged plain types
     (:func:`encode_plain`) and restored when loaded (:func:`decode_plain`),
     so ``tools/test.py CONFIG work_dirs/RUN/epoch_6.pth`` and a resume need
     no trust at all;
   - local files are loaded weights-only first (model-zoo state dicts, our
     exports and our training checkpoints pass), and a full unpickle happens
     only for files the caller trusts: a Runner's own ``work_dir`` while it
     resumes (whoever built the Runner), directories opened with
     :func:`trusted_checkpoints`, or any file when the caller opted in
     explicitly (``--trust-checkpoint`` / ``trust_checkpoint=True``).
2. **torchvision on CPU machines.** PyPI's torchvision is a CUDA build that
   fails on import next to the CPU torch, yet ``mmpose.visualization`` imports
   ``torchvision.transforms.ToPILImage``. When (and only when) ``import
   torchvision`` fails, a minimal stand-in module with a real ``ToPILImage`` is
   registered.
3. **mmdet's MultiBranchDataPreprocessor under one DDP per network.** Its
   ``to()``/``cuda()``/``cpu()`` return the *inner* preprocessor, and
   mmengine's ``MMSeparateDistributedDataParallel`` stores what ``to()``
   returns, so a recipe with two optimisers and named views (FreeNet) lost
   its multi-branch preprocessing under ``dist_train.sh``. Patched to move
   the inner one and return the wrapper itself.
"""
import contextlib
import contextvars
import os
import os.path as osp
import pickle
import sys
import types
from collections import OrderedDict
from typing import Any, Iterator, Optional, Sequence, Tuple

import numpy as np
import torch

TRUST_OPT_IN = ('pass --trust-checkpoint to tools/train.py or tools/test.py, '
                'or set `trust_checkpoint = True` in the config')

#: Directories whose checkpoints may be fully unpickled, and whether every
#: file is trusted. A ContextVar (not a module-level list) so that trust is
#: scoped to a ``with`` block and never leaks into unrelated code.
_TRUST: contextvars.ContextVar[Tuple[Tuple[str, ...], bool]] = \
    contextvars.ContextVar('animal_da_checkpoint_trust', default=((), False))

STANDIN_VERSION = '0.0.0+animal_da.standin'


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds Python objects and was not marked as trusted."""


@contextlib.contextmanager
def trusted_checkpoints(dirs: Sequence[str] = (),
                        trust_all: bool = False) -> Iterator[None]:
    """Trust checkpoints under ``dirs`` (or all, if ``trust_all``) in a block.

    Args:
        dirs (Sequence[str]): Directories whose files may hold Python objects
            beyond tensors (a run's own ``work_dir`` when resuming).
        trust_all (bool): Trust every checkpoint file. Only on the user's
            explicit request.
    """
    old_dirs, old_all = _TRUST.get()
    new_dirs = old_dirs + tuple(osp.realpath(d) for d in dirs if d)
    token = _TRUST.set((new_dirs, old_all or bool(trust_all)))
    try:
        yield
    finally:
        _TRUST.reset(token)


def is_trusted(filename: str) -> bool:
    """Whether ``filename`` may be unpickled beyond weights-only.

    Args:
        filename (str): Checkpoint path.

    Returns:
        bool: True if the file lies in a trusted directory or all are trusted.
    """
    dirs, trust_all = _TRUST.get()
    if trust_all:
        return True
    path = osp.realpath(filename)
    return any(path == d or path.startswith(d + os.sep) for d in dirs)


def load_checkpoint_file(filename: str, map_location=None):
    """Load a local checkpoint, weights-only unless the file is trusted.

    Args:
        filename (str): Local checkpoint path.
        map_location: Same as :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: The file does not exist.
        UntrustedCheckpointError: The file needs a full unpickle and is not
            trusted; the message names the opt-in.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    try:
        return _decode_checkpoint(torch.load(
            filename, map_location=map_location, weights_only=True))
    except pickle.UnpicklingError as err:
        if not is_trusted(filename):
            raise UntrustedCheckpointError(
                f'{filename} holds Python objects beyond tensors, so it is '
                'not loaded weights-only, and it lies outside this run\'s '
                'work_dir. A checkpoint can run code when unpickled: if you '
                f'trust this file, {TRUST_OPT_IN}. (Checkpoints written by '
                'tools/export_model.py always load weights-only.) '
                f'torch said: {str(err).splitlines()[0]}') from err
    return torch.load(filename, map_location=map_location, weights_only=False)


#: top-level key of a checkpoint whose Python objects are tagged plain types
ENCODED_KEY = '__animal_da_plain__'
_TAG = '__animal_da__'


class _NotPlain(TypeError):
    """A value with no weights-only form."""


def encode_plain(obj: Any) -> Any:
    """A checkpoint value as types ``torch.load(weights_only=True)`` reads.

    NumPy arrays and scalars and mmengine's ``HistoryBuffer`` become dicts
    tagged ``__animal_da__``; dict subclasses (``ConfigDict``) become dicts.

    Args:
        obj: A nested checkpoint value.

    Returns:
        The encoded value.

    Raises:
        _NotPlain: A value of another type (the checkpoint is then written
            as mmengine writes it).
    """
    from mmengine.logging import HistoryBuffer
    if isinstance(obj, np.generic):  # before float: np.float64 is a float
        return {_TAG: 'npscalar', 'dtype': obj.dtype.str,
                'value': obj.item()}
    if isinstance(obj, (torch.Tensor, torch.Size, torch.dtype, torch.device,
                        bool, int, float, str, bytes, type(None))):
        return obj
    if isinstance(obj, dict):
        if _TAG in obj:
            raise _NotPlain(f'a dict already holds the key {_TAG}')
        out = {k: encode_plain(v) for k, v in obj.items()}
        return OrderedDict(out) if isinstance(obj, OrderedDict) else out
    if isinstance(obj, list):
        return [encode_plain(v) for v in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(encode_plain(v) for v in obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in 'biufcU?':
            raise _NotPlain(f'NumPy array of dtype {obj.dtype}')
        return {_TAG: 'ndarray', 'dtype': obj.dtype.str,
                'shape': list(obj.shape), 'data': obj.reshape(-1).tolist()}
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {_TAG: 'HistoryBuffer', 'max_length': obj.max_length,
                'log': encode_plain(log), 'count': encode_plain(count)}
    raise _NotPlain(f'a value of type {type(obj).__name__}')


def decode_plain(obj: Any) -> Any:
    """Undo :func:`encode_plain`."""
    if isinstance(obj, dict):
        tag = obj.get(_TAG)
        if tag == 'ndarray':
            return np.asarray(obj['data'], dtype=np.dtype(
                obj['dtype'])).reshape(obj['shape'])
        if tag == 'npscalar':
            return np.dtype(obj['dtype']).type(obj['value'])
        if tag == 'HistoryBuffer':
            from mmengine.logging import HistoryBuffer
            return HistoryBuffer(decode_plain(obj['log']),
                                 decode_plain(obj['count']),
                                 obj['max_length'])
        out = {k: decode_plain(v) for k, v in obj.items()}
        return OrderedDict(out) if isinstance(obj, OrderedDict) else out
    if isinstance(obj, list):
        return [decode_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(decode_plain(v) for v in obj)
    return obj


def _encode_checkpoint(checkpoint: dict) -> dict:
    """The checkpoint with its Python objects as tagged plain types, or as
    it is when some value has no such form (logged)."""
    try:
        # only the small metadata is walked; tensors pass through as is
        out = {k: (v if k == 'state_dict' else encode_plain(v))
               for k, v in checkpoint.items()}
    except _NotPlain as e:
        from mmengine.logging import print_log
        print_log(f'checkpoint saved as mmengine writes it (it loads only '
                  f'where trusted): {e} has no weights-only form',
                  logger='current', level=30)
        return checkpoint
    out[ENCODED_KEY] = 1
    return out


def _decode_checkpoint(checkpoint: Any) -> Any:
    if isinstance(checkpoint, dict) and checkpoint.get(ENCODED_KEY):
        out = {k: (v if k == 'state_dict' else decode_plain(v))
               for k, v in checkpoint.items() if k != ENCODED_KEY}
        return out
    return checkpoint


def _patch_runner() -> None:
    """Runners write weights-only loadable checkpoints and trust their own
    ``work_dir`` while resuming, whoever built them."""
    import mmengine.runner.runner as runner_mod
    from mmengine.runner import Runner
    if getattr(runner_mod.save_checkpoint, '_animal_da', False):
        return
    save = runner_mod.save_checkpoint

    def save_checkpoint(checkpoint, filename, *args, **kwargs):
        return save(_encode_checkpoint(checkpoint), filename, *args,
                    **kwargs)

    save_checkpoint._animal_da = True
    runner_mod.save_checkpoint = save_checkpoint
    resume = Runner.resume

    def resume_trusting_work_dir(self, filename, *args, **kwargs):
        # a checkpoint written by an older version holds Python objects;
        # the run's own work_dir is where it came from
        with trusted_checkpoints([self.work_dir]):
            return resume(self, filename, *args, **kwargs)

    resume_trusting_work_dir.__doc__ = resume.__doc__
    Runner.resume = resume_trusting_work_dir


def _register_checkpoint_loader() -> None:
    """Route mmengine's local-file checkpoint scheme through our loader."""
    from mmengine.runner.checkpoint import CheckpointLoader

    # mmengine logs the loader's name after its first 10 characters.
    def load_from_local_weights_first(filename, map_location):
        return load_checkpoint_file(filename, map_location)

    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_weights_first, force=True)


class ToPILImage:
    """Stand-in for ``torchvision.transforms.ToPILImage`` built on PIL.

    Converts a CHW tensor or an HWC ``np.ndarray`` to a ``PIL.Image``, with
    torchvision's rule that float inputs in [0, 1] are scaled by 255.

    Args:
        mode (str, optional): PIL mode of the output.
    """

    def __init__(self, mode: Optional[str] = None):
        self.mode = mode

    def __call__(self, pic):
        from PIL import Image
        if isinstance(pic, torch.Tensor):
            if pic.ndim == 2:
                pic = pic.unsqueeze(0)
            if pic.ndim != 3:
                raise ValueError(
                    f'pic should be 2 or 3 dimensional, got {pic.ndim}')
            if pic.is_floating_point() and self.mode != 'F':
                pic = pic.mul(255).byte()
            arr = pic.detach().cpu().permute(1, 2, 0).numpy()
        elif isinstance(pic, np.ndarray):
            arr = pic[:, :, None] if pic.ndim == 2 else pic
            if arr.ndim != 3:
                raise ValueError(
                    f'pic should be 2 or 3 dimensional, got {pic.ndim}')
            if arr.dtype.kind == 'f' and self.mode != 'F':
                arr = (arr * 255).astype(np.uint8)
        else:
            raise TypeError(
                f'pic should be Tensor or ndarray, got {type(pic)}')
        if arr.shape[2] == 1:
            arr = arr[:, :, 0]
        return Image.fromarray(arr, mode=self.mode)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mode={self.mode})'


def torchvision_works() -> bool:
    """Whether a real torchvision imports in this environment."""
    saved = {k: v for k, v in sys.modules.items()
             if k == 'torchvision' or k.startswith('torchvision.')}
    if getattr(saved.get('torchvision'), '__version__', '') == STANDIN_VERSION:
        return False
    try:
        import torchvision  # noqa: F401
        return True
    except Exception:  # a CUDA build next to CPU torch raises RuntimeError
        # drop half-imported submodules so the stand-in is seen whole
        for name in [k for k in sys.modules
                     if k == 'torchvision' or k.startswith('torchvision.')]:
            del sys.modules[name]
        return False


def install_torchvision_standin() -> bool:
    """Register the torchvision stand-in if the real one cannot be imported.

    Returns:
        bool: True if the stand-in is (now) in use.
    """
    if torchvision_works():
        return False
    if getattr(sys.modules.get('torchvision'), '__version__',
               '') == STANDIN_VERSION:
        return True
    tv = types.ModuleType('torchvision')
    tv.__doc__ = ('animal_da stand-in for torchvision: only '
                  'transforms.ToPILImage, which mmpose.visualization imports. '
                  'Installed because `import torchvision` failed here.')
    tv.__version__ = STANDIN_VERSION
    transforms = types.ModuleType('torchvision.transforms')
    transforms.ToPILImage = ToPILImage
    tv.transforms = transforms
    sys.modules['torchvision'] = tv
    sys.modules['torchvision.transforms'] = transforms
    return True


def _patch_multi_branch_preprocessor() -> None:
    """mmdet 3.3's ``MultiBranchDataPreprocessor.to`` returns the inner
    preprocessor (not itself), which ``MMSeparateDistributedDataParallel``
    then installs in its place."""
    from mmdet.models.data_preprocessors import MultiBranchDataPreprocessor
    cls = MultiBranchDataPreprocessor
    if getattr(cls, '_animal_da_patched', False):
        return

    def _moved(name):
        def move(self, *args, **kwargs):
            getattr(self.data_preprocessor, name)(*args, **kwargs)
            return self
        move.__name__ = name
        return move
    for name in ('to', 'cuda', 'cpu'):
        setattr(cls, name, _moved(name))
    cls._animal_da_patched = True


def apply() -> None:
    """Apply every workaround; safe to call more than once."""
    _register_checkpoint_loader()
    _patch_runner()
    install_torchvision_standin()
    _patch_multi_branch_preprocessor()
