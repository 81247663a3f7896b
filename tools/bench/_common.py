"""Helpers shared by the benchmarks: one training run, summaries, tables."""
import json
import os
import os.path as osp
import platform
import sys
import time
from typing import List

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from animal_da.apis.launch import (build_runner, build_train_cfg,  # noqa: E402
                                   checkpoint_trust, parse_train_args)
from animal_da.utils import dump_json_atomic  # noqa: E402


def machine() -> str:
    """A one-line description of where the numbers were measured."""
    dev = (torch.cuda.get_device_name(0)
           if torch.cuda.is_available() else 'no GPU')
    return (f'{platform.processor() or platform.machine()}, '
            f'{os.cpu_count()} cores, {dev}, torch {torch.__version__}')


def data_root_options(root: str, train_key: str = 'train_dataloader.dataset'
                      ) -> List[str]:
    """--cfg-options pointing the train, val and test data at ``root``."""
    root = root.rstrip('/') + '/'
    return [f'{train_key}.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']


def run_one(config: str, data_root: str, work_dir: str, epochs: int,
            batch_size: int, seed: int, extra: List[str],
            cosine: bool = True,
            train_key: str = 'train_dataloader.dataset',
            reuse: bool = True) -> dict:
    """Train one model and evaluate its final weights on target_test.

    Args:
        cosine: The config's second lr scheduler is the base's cosine one
            (its length follows ``epochs``).
        train_key: Config path of the train dataset that takes data_root.
        reuse: Return the recorded result of an identical finished run in
            ``work_dir`` instead of training again.

    Returns:
        dict: ``ap``, ``pck_bbox``, ``pck_paper`` (0-100), training images/s
        and seconds, and the final checkpoint path; ``reused`` when the
        result is an earlier run's.
    """
    key = dict(config=config, data_root=data_root, epochs=epochs,
               batch_size=batch_size, seed=seed, extra=list(extra),
               cosine=cosine, train_key=train_key)
    cached = osp.join(work_dir, 'bench_result.json')
    if reuse and osp.isfile(cached):
        with open(cached) as f:
            done = json.load(f)
        if done.get('key') == key:
            return dict(done['result'], reused=True)
    sched = [f'param_scheduler.1.T_max={epochs}',
             f'param_scheduler.1.end={epochs}'] if cosine else []
    opts = data_root_options(data_root, train_key) + sched + [
                f'train_cfg.max_epochs={epochs}',
                # no validation on target labels (mmengine validates after
                # the last epoch unless val_begin lies beyond it)
                f'train_cfg.val_interval={epochs + 1}',
                f'train_cfg.val_begin={epochs + 1}',
                f'train_dataloader.batch_size={batch_size}',
                f'randomness.seed={seed}',
                f'default_hooks.checkpoint.interval={epochs}',
                'default_hooks.checkpoint.save_best=None',
                f'experiment_name={osp.basename(work_dir)}',
                f'visualizer.name=vis_{osp.basename(work_dir)}',
            ] + extra
    cfg = build_train_cfg(parse_train_args(
        [osp.join(REPO, config), '--work-dir', work_dir, '--cfg-options'] +
        opts))
    runner = build_runner(cfg)
    with checkpoint_trust(cfg):
        start = time.perf_counter()
        runner.train()
        train_s = time.perf_counter() - start
        iters = runner.iter
        metrics = runner.test()
    result = dict(ap=100 * metrics['coco/AP'], pck_bbox=100 * metrics['PCK'],
                  pck_paper=100 * metrics['crop/PCK'],
                  train_images_per_s=iters * batch_size / train_s,
                  train_s=train_s,
                  checkpoint=osp.join(work_dir, f'epoch_{epochs}.pth'))
    # a finished run is kept, so an interrupted benchmark resumes
    dump_json_atomic(dict(key=key, result=result), cached)
    return result


def summarise(method: str, seeds: List[int], runs: List[dict]) -> dict:
    """Mean and std over seeds, in the shared benchmark row format."""
    row = dict(method=method, seeds=seeds)
    for key in ('ap', 'pck_bbox', 'pck_paper'):
        vals = np.array([r[key] for r in runs])
        row[key] = dict(mean=round(float(vals.mean()), 2),
                        std=round(float(vals.std()), 2))
    row['train_images_per_s'] = round(
        float(np.mean([r['train_images_per_s'] for r in runs])), 1)
    row['train_minutes'] = round(
        float(np.mean([r['train_s'] for r in runs])) / 60, 1)
    # runs recorded by an earlier invocation (their figures are that run's)
    row['reused_runs'] = sum(bool(r.get('reused')) for r in runs)
    return row


def table(rows: List[dict]) -> str:
    """Markdown table of the rows."""
    lines = ['| method | seeds | AP | PCK@0.05 (bbox) | PCK@0.05 (crop) | '
             'train img/s |', '|---|---|---|---|---|---|']
    for r in rows:
        cells = [f'{r[k]["mean"]:.1f} ± {r[k]["std"]:.1f}'
                 for k in ('ap', 'pck_bbox', 'pck_paper')]
        lines.append(f'| {r["method"]} | {len(r["seeds"])} | ' +
                     ' | '.join(cells) + f' | {r["train_images_per_s"]} |')
    return '\n'.join(lines)
