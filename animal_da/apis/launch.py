"""What ``tools/train.py`` and ``tools/test.py`` share: arguments, config
merging, device set-up and checkpoint trust.

Kept in the package (not the scripts) so tests can run the tools in-process.
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from ..compat import trusted_checkpoints
from ..engine.distributed import prepare_distributed
from .overrides import apply_options


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments both tools take, spelled as mmpose's tools spell them."""
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=10')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher (dist_*.sh pass pytorch)')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow loading checkpoints that hold Python objects beyond '
        'tensors from outside the work_dir (a checkpoint can run code when '
        'unpickled; only use it for files you trust)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_train_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``tools/train.py`` arguments."""
    parser = argparse.ArgumentParser(description='Train a pose model')
    add_common_args(parser)
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or (no value) from the latest one '
        'in the work_dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (CUDA)')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by the actual over the base batch size')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def parse_test_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``tools/test.py`` arguments."""
    parser = argparse.ArgumentParser(description='Evaluate a pose model')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--dump', help='dump predictions to this pickle file (.pkl)')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def _default_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    """work_dir priority: CLI, then config, then work_dirs/<config name>."""
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])


def _load(args: argparse.Namespace) -> Config:
    """The config with --cfg-options, work_dir, launcher and trust applied."""
    cfg = Config.fromfile(args.config)
    # dotted keys as mmengine merges them; typed keys and workflow keys
    # (data_root, pseudo_label_file, init_checkpoint...) by type
    apply_options(cfg, args.cfg_options)
    _default_work_dir(cfg, args)
    cfg.launcher = args.launcher
    if args.trust_checkpoint:
        cfg.trust_checkpoint = True
    return cfg


def set_amp(cfg: Config) -> None:
    """Mixed precision for every optimiser wrapper of ``cfg``: the one
    wrapper, or each network's of a multi-module constructor (recipes with
    two optimisers: FiDIP, FreeNet, ASDA).

    Raises:
        ValueError: A wrapper type other than ``OptimWrapper`` (it may have
            its own AMP setting).
    """
    ow = cfg.optim_wrapper
    # one wrapper has an optimizer; a multi-module config has one per network
    wrappers = [ow] if 'optimizer' in ow else [
        v for v in ow.values() if isinstance(v, dict) and 'optimizer' in v]
    if not wrappers:
        raise ValueError('--amp: optim_wrapper has no optimizer, neither its '
                         'own nor per network')
    for w in wrappers:
        kind = w.get('type', 'OptimWrapper')
        if kind not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs OptimWrapper, the config uses '
                             f'{kind}; set its own AMP option instead')
        w['type'] = 'AmpOptimWrapper'
        w.setdefault('loss_scale', 'dynamic')


def build_train_cfg(args: argparse.Namespace) -> Config:
    """Load the config and apply the training arguments.

    Args:
        args: Output of :func:`parse_train_args`.

    Returns:
        Config: The merged config.
    """
    cfg = _load(args)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        set_amp(cfg)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(
                f'--resume {args.resume}: no such checkpoint file')
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise ValueError('--auto-scale-lr needs `auto_scale_lr = '
                             'dict(base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True
    return cfg


def build_test_cfg(args: argparse.Namespace) -> Config:
    """Load the config and apply the test arguments.

    Args:
        args: Output of :func:`parse_test_args`.

    Returns:
        Config: The merged config.
    """
    cfg = _load(args)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    cfg.load_from = args.checkpoint
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump {args.dump}: use a .pkl file name')
        dump = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluator) if isinstance(
            evaluator, (list, tuple)) else [evaluator]) + [dump]
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build a Runner (or the config's ``runner_type``) after device set-up.

    Args:
        cfg (Config): A merged config.

    Returns:
        Runner: The runner.
    """
    prepare_distributed(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def checkpoint_trust(cfg: Config):
    """The trust scope for a run: its own work_dir, plus all on opt-in."""
    return trusted_checkpoints([cfg.work_dir],
                               trust_all=bool(cfg.get('trust_checkpoint')))


def train(cfg: Config) -> torch.nn.Module:
    """Build a runner from ``cfg`` and train.

    Args:
        cfg (Config): A merged config (see :func:`build_train_cfg`).

    Returns:
        nn.Module: The trained model.
    """
    runner = build_runner(cfg)
    with checkpoint_trust(cfg):
        return runner.train()


def test(cfg: Config) -> dict:
    """Build a runner from ``cfg`` and evaluate ``cfg.load_from``.

    Args:
        cfg (Config): A merged config (see :func:`build_test_cfg`).

    Returns:
        dict: The metrics.
    """
    runner = build_runner(cfg)
    with checkpoint_trust(cfg):
        return runner.test()
