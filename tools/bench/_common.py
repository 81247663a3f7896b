"""Helpers shared by the benchmarks: where they ran, rows over seeds from
workflow summaries, tables. The benchmarks run workflows
(``animal_da.apis.workflow``); they chain no stages themselves."""
import os
import os.path as osp
import platform
import sys
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import animal_da  # noqa: E402,F401  (before torch: thread settings)
from animal_da.apis.workflow import summary_row  # noqa: E402


def machine() -> str:
    """A one-line description of where the numbers were measured."""
    import torch
    dev = (torch.cuda.get_device_name(0)
           if torch.cuda.is_available() else 'no GPU')
    return (f'{platform.processor() or platform.machine()}, '
            f'{os.cpu_count()} cores, {dev}, torch {torch.__version__}')


def row_name(row: dict) -> str:
    """A summary row's benchmark name: the method, ``_student`` for a
    teacher-student recipe's student."""
    return row['method'] + ('_student' if row.get('predict_on') == 'student'
                            else '')


def runs_by_row(summaries: List[dict]) -> Dict[str, List[dict]]:
    """Per benchmark row, one run per summary (seed): metrics, training
    speed and whether the training was reused from an earlier invocation."""
    runs: Dict[str, List[dict]] = {}
    for s in summaries:
        for r in s['rows']:
            train = s['stages'][r['train_stage']]['outputs']
            # ap, pck_bbox, pck_paper and any per-joint-subset values
            run = {k: v['per_seed'][0] for k, v in r.items()
                   if isinstance(v, dict) and 'per_seed' in v}
            run.update({k: train[k] for k in ('train_images_per_s',
                                              'train_s') if k in train})
            run['reused'] = r['train_stage'] in s.get('skipped', [])
            runs.setdefault(row_name(r), []).append(run)
    return runs


def collect_rows(summaries: List[dict], seeds: List[int]) -> List[dict]:
    """Benchmark rows (mean, std and per-seed values) from one workflow
    summary per seed."""
    return [summary_row(name, runs, seeds)
            for name, runs in runs_by_row(summaries).items()]


def table(rows: List[dict]) -> str:
    """Markdown table of the rows."""
    lines = ['| method | seeds | AP | PCK@0.05 (bbox) | PCK@0.05 (crop) | '
             'train img/s |', '|---|---|---|---|---|---|']
    for r in rows:
        cells = [f'{r[k]["mean"]:.1f} ± {r[k]["std"]:.1f}'
                 for k in ('ap', 'pck_bbox', 'pck_paper')]
        lines.append(f'| {r["method"]} | {len(r["seeds"])} | ' +
                     ' | '.join(cells) +
                     f' | {r.get("train_images_per_s", "")} |')
    return '\n'.join(lines)
