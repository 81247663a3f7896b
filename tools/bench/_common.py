"""Helpers shared by the benchmarks: where they ran, rows over seeds from
workflow summaries, tables. The benchmarks run workflows
(``animal_da.apis.workflow``); they chain no stages themselves."""
import json
import os
import os.path as osp
import platform
import sys
from typing import Callable, Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import animal_da  # noqa: E402,F401  (before torch: thread settings)
from animal_da.apis.workflow import run_workflow, summary_row  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

#: loader options of the benchmarks' smoke presets: no worker processes
SMOKE_LOADERS = {f'{split}_dataloader.{key}': value
                 for split in ('train', 'val', 'test')
                 for key, value in (('num_workers', 0),
                                    ('persistent_workers', False))}

#: committed per-seed results of long benchmarks (``seed_record``): a run
#: split over several sessions (machines) keeps its finished seeds
RECORDS = osp.join(REPO, 'docs', 'benchmarks', 'runs')


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


def evaluated_methods(workflow) -> set:
    """The methods of a workflow's evaluate stages (its summary rows)."""
    return {st.get('method', n) for n, st in workflow.stages.items()
            if st['kind'] == 'evaluate'}


def seed_record(summary: dict, settings: dict, **extra) -> dict:
    """What the benchmarks read of one seed's workflow summary (rows,
    training speed, reuse), small enough to commit, with the settings it
    was run under and ``extra`` values (e.g. pseudo-label quality)."""
    train = {r['train_stage'] for r in summary['rows']}
    rows = [{k: v for k, v in r.items() if k != 'checkpoint'}
            for r in summary['rows']]
    return dict(settings=settings, rows=rows,
                skipped=[n for n in summary.get('skipped', [])
                         if n in train],
                stages={n: dict(outputs={
                    k: v for k, v in (summary['stages'][n]['outputs'] or
                                      {}).items()
                    if k in ('train_images_per_s', 'train_s')})
                    for n in train}, **extra)


def run_seed_cached(workflow, work_dir: str, record: str, settings: dict,
                    wanted: List[str], fresh: bool = False,
                    extra: Optional[Callable[[dict], dict]] = None,
                    logger=None) -> dict:
    """One seed's workflow, or its committed record when one exists for
    the same ``settings`` with every ``wanted`` row: a long benchmark can
    then be finished seed by seed on different machines (the record's
    rows count as reused runs). A finished run writes its record.

    Args:
        workflow: The seed's workflow config, or a function that builds it
            (called only when the seed runs: e.g. one whose start model
            must be trained first).
        work_dir (str): Its folder (finished stages there are kept too).
        record (str): The record's JSON path.
        settings (dict): What the rows depend on (preset values); a record
            made under other settings is not used.
        wanted (list[str]): Methods (rows) the caller needs.
        fresh (bool): Ignore an existing record.
        extra (callable, optional): ``summary -> dict`` of values kept in
            the record beside the rows (computed from the run's files).
        logger: Where to say that a record was used.

    Returns:
        dict: The summary or the record (``rows``, ``stages``, ``skipped``
        and the ``extra`` values).
    """
    settings = json.loads(json.dumps(settings))  # tuples as JSON has them
    if not fresh and osp.isfile(record):
        with open(record) as f:
            rec = json.load(f)
        have = {r['method'] for r in rec['rows']}
        if rec.get('settings') == settings and set(wanted) <= have:
            if logger:
                logger.info(f'rows of {record} reused (finished earlier; '
                            '--fresh to run again)')
            rec['skipped'] = sorted(rec['stages'])
            return rec
    if callable(workflow):
        workflow = workflow()
    summary = run_workflow(workflow, work_dir)
    rec = seed_record(summary, settings, **(extra(summary) if extra else {}))
    dump_json_atomic(rec, record, indent=2)
    return dict(summary, **{k: rec[k] for k in rec if k not in (
        'settings', 'rows', 'skipped', 'stages')})


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
