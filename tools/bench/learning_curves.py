"""Learning curves of the embedded benchmark's baselines: where does a CPU
model plateau, and after how many minutes?

For each model of the preset (the cpu-small ResNet-18 and a faster CPU
model) and each row (source-only: trained on the `synthetic` style; oracle:
trained on labelled `real` images), one long run of the baseline config
validates on ``target_val`` every few epochs (AP and PCK@0.05); the
workflow's train stage records each validation against the training minutes
spent (``learning_curve.json`` in the stage's folder, validation time
excluded). A curve's ``plateau`` is the mean of its last ``tail`` points,
and ``minutes_to_plateau`` the training time of its first point within
``tol`` of it; ``converged`` is False where the last points still gain more
than ``tol`` (``tail_gain``). Runs are workflow stages in
``WORK/learning_curves_<preset>/``: finished runs are reused, an interrupted
one resumes. Writes ``docs/benchmarks/learning_curves_<preset>.json`` and a
plot beside it (``.png``). Choose nothing on ``target_test``: these curves
are on ``target_val``.

Example:
    python tools/bench/learning_curves.py --preset cpu-small
    python tools/bench/learning_curves.py --models res18_half --rows oracle
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402

from animal_da.apis.workflow import run_workflow  # noqa: E402
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

ROWS = dict(
    source_only='configs/baselines/'
    'td-hm_res18_synanimal-source-only_96x96_demo.py',
    oracle='configs/baselines/td-hm_res18_synanimal-oracle_96x96_demo.py')
#: CPU models as overrides of the cpu-small ResNet-18 configs
MODELS = dict(
    res18={},
    # half-width ResNet-18 and head (what the workflow key width=0.5 sets):
    # 2.3x the training step's images/s
    res18_half={'model.backbone.base_channels': 32,
                'model.head.in_channels': 256,
                'model.head.deconv_out_channels': (64, 64, 64)},
)
METRICS = dict(ap='coco/AP', pck_bbox='PCK')
PRESETS = {
    'cpu-small': dict(num_images=2000, batch_size=32, val_interval=4,
                      epochs=dict(res18=32, res18_half=60), tail=3, tol=1.0),
    'smoke': dict(num_images=16, batch_size=8, val_interval=1,
                  epochs=dict(res18=2, res18_half=2), tail=1, tol=1.0,
                  options={'train_dataloader.num_workers': 0,
                           'train_dataloader.persistent_workers': False,
                           'val_dataloader.num_workers': 0,
                           'val_dataloader.persistent_workers': False}),
}


def curve_summary(points: List[dict], tail: int, tol: float) -> dict:
    """Plateau and minutes to reach it, per metric, of a recorded curve.

    Args:
        points (list[dict]): ``learning_curve.json`` points.
        tail (int): The plateau is the mean of the last ``tail`` points.
        tol (float): A point within ``tol`` (percent points) of the plateau
            has reached it.

    Returns:
        dict: Per metric ``curve`` (``[epoch, minutes, value]`` rows),
        ``plateau``, ``best``, ``epochs_to_plateau``,
        ``minutes_to_plateau``.
    """
    out = {}
    for key, name in METRICS.items():
        curve = [[p['epoch'], p['train_minutes'],
                  round(100 * p['metrics'][name], 2)] for p in points
                 if name in p['metrics']]
        if not curve:
            continue
        vals = np.array([c[2] for c in curve])
        plateau = float(vals[-tail:].mean())
        first = next(c for c in curve if c[2] >= plateau - tol)
        gain = float(vals[-1] - vals[-tail]) if len(vals) >= tail else 0.
        out[key] = dict(curve=curve, plateau=round(plateau, 2),
                        best=round(float(vals.max()), 2),
                        epochs_to_plateau=first[0],
                        minutes_to_plateau=round(first[1], 1),
                        # a curve that still gains more than tol over its
                        # last points has not plateaued: more epochs help
                        tail_gain=round(gain, 2), converged=gain <= tol)
    return out


def workflow(preset: dict, data: str, models: List[str],
             rows: List[str], seed: int) -> Config:
    """One train stage per model and row, validating every few epochs."""
    stages = {}
    for m in models:
        for r in rows:
            opts = dict(MODELS[m], **preset.get('options', {}))
            opts['train_cfg.val_interval'] = preset['val_interval']
            stages[f'{r}_{m}'] = dict(
                kind='train', config=osp.join(REPO, ROWS[r]),
                epochs=preset['epochs'][m], cfg_options=opts)
    return Config(dict(data_root=data, seed=seed,
                       batch_size=preset['batch_size'], stages=stages))


def plot(result: dict, path: str) -> None:
    """AP and PCK curves against training minutes, one line per run."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, label in zip(axes, METRICS, ('AP', 'PCK@0.05 (bbox)')):
        for name, run in result['runs'].items():
            if key not in run:
                continue
            c = np.array(run[key]['curve'])
            ax.plot(c[:, 1], c[:, 2], marker='.', label=name)
        ax.set_xlabel('training minutes (2 CPU cores)')
        ax.set_ylabel(f'{label} on target_val')
        ax.grid(alpha=.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f'learning curves, preset {result["preset"]}')
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--models', nargs='+', choices=sorted(MODELS),
                        default=list(MODELS))
    parser.add_argument('--rows', nargs='+', choices=sorted(ROWS),
                        default=list(ROWS))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out', help='JSON output (default: docs/'
                        'benchmarks/learning_curves_<preset>.json)')
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0, nproc=2)
    work = osp.join(args.work_dir, f'learning_curves_{args.preset}')
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'learning_curves_{args.preset}.json')
    result = dict(bench='learning_curves', preset=args.preset,
                  machine=machine(), data=meta, seed=args.seed,
                  batch_size=preset['batch_size'],
                  epochs=preset['epochs'], val_interval=preset[
                      'val_interval'], split='target_val',
                  plateau_rule=f'mean of the last {preset["tail"]} points; '
                  f'reached at the first point within {preset["tol"]}',
                  runs={})
    if osp.isfile(out):  # keep the runs of other models and rows
        with open(out) as f:
            old = json.load(f)
        if old.get('preset') == args.preset:
            result['runs'] = old.get('runs', {})
    # one stage at a time, so each finished run is written at once
    for m in args.models:
        for r in args.rows:
            summary = run_workflow(
                workflow(preset, args.data, [m], [r], args.seed),
                osp.join(work, f'seed{args.seed}'))
            st = summary['stages'][f'{r}_{m}']['outputs']
            with open(st['learning_curve']) as f:
                points = json.load(f)['points']
            run: Dict = curve_summary(points, preset['tail'], preset['tol'])
            run.update(model=m, row=r, epochs=preset['epochs'][m],
                       train_images_per_s=st['train_images_per_s'],
                       train_minutes=round(st['train_s'] / 60, 1))
            result['runs'][f'{r}_{m}'] = run
            # this invocation's minutes (as in the other benchmarks: runs
            # reused from an earlier one cost nothing), and the training
            # minutes of every run in the file
            result['total_minutes'] = round(
                (time.perf_counter() - t0) / 60, 1)
            result['train_minutes_all_runs'] = round(sum(
                r.get('train_minutes', 0) for r in result['runs'].values()),
                1)
            dump_json_atomic(result, out, indent=1)
            plot(result, osp.splitext(out)[0] + '.png')
            logger.info(f'{r} {m}: ' + ', '.join(
                f'{k} plateau {v["plateau"]} after {v["minutes_to_plateau"]}'
                f' min (epoch {v["epochs_to_plateau"]})'
                for k, v in run.items() if isinstance(v, dict)))
    logger.info(f'written to {out}')
    print(json.dumps({k: {m: v[m]['plateau'] for m in METRICS if m in v}
                      for k, v in result['runs'].items()}))
    return result


if __name__ == '__main__':
    main()
