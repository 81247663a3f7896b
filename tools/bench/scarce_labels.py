"""Scarce-labels benchmark: labelled-only vs ScarceNet on the generated
`real`-style animals with a few labels per species.

Every row runs through the ScarceNet workflow
(``configs/scarcenet/*_demo_workflow.py``, one per seed, in
``WORK/scarce_labels_<preset>/seed<N>/``), so the benchmark chains no stages
itself. Stage 1 (= labelled-only) starts from the source-only model of the
domain-shift benchmark (seed 0, trained on the `synthetic` style; it stands
in for the ImageNet weights the paper starts from and is shared with that
benchmark's work folder). Its final weights are exported and pseudo-label
the unlabelled pool by TTA (precision and recall against the hidden labels
are measured here), and ScarceNet (stage 2) trains from them: the paper's
recipe at ``--preset gpu``, its short-schedule variant at ``cpu-small``. A
second labelled-only row trains stage 1 on for as many epochs as stage 2
has (labelled images only), so that a gain is credited to the unlabelled
pool. All are evaluated on ``target_test`` with their final weights,
ScarceNet's teacher (the evaluated model) and student both. Prints a table
and one JSON line, also written to
``docs/benchmarks/scarce_labels_<preset>.json``. Finished stages are kept,
so an interrupted benchmark resumes, and each finished seed leaves a record
in ``docs/benchmarks/runs/`` that stands in for its run under the same
settings (the source-only start model is then not trained either;
``--fresh`` ignores records, ``--true-label-control`` does not use them).

Example:
    python tools/bench/scarce_labels.py --preset cpu-small
"""
import argparse
import functools
import json
import os.path as osp
import sys
import time
from typing import Callable, Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (RECORDS, REPO, SMOKE_LOADERS,  # noqa: E402
                     collect_rows, evaluated_methods, machine,
                     run_seed_cached, table)

from animal_da.apis.workflow import run_workflow, subset_stages  # noqa
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.evaluation.pseudo_label_quality import (  # noqa: E402
    hidden_labels_as_pseudo_labels, pseudo_label_quality)
from animal_da.utils import dump_json_atomic  # noqa: E402

WORKFLOW = {
    'paper': 'configs/scarcenet/'
             'scarcenet_res18_synanimal-real-5shot_96x96_demo_workflow.py',
    'short': 'configs/scarcenet/scarcenet-short_res18_synanimal-real-'
             '5shot_96x96_demo_workflow.py',
}
PRESETS: Dict[str, dict] = {
    # shots: labelled images per species (the configs have 5); repeat:
    # passes over them per stage-1 epoch; recipe: a key of WORKFLOW (the
    # paper recipe at cpu-small: docs/benchmarks/
    # scarce_labels_cpu-small_paper.json)
    'cpu-small': dict(num_images=2000, stage1_epochs=10, stage2_epochs=6,
                      repeat=20, batch_size=32, tta=3, seeds=[0, 1],
                      ramp=(1, 2), stage2_lr=1e-3, shots=5, recipe='short'),
    # the converging regime of the domain-shift benchmark (half-width
    # ResNet-18, its source-only model as the start)
    'cpu-converged': dict(num_images=2000, stage1_epochs=24,
                          stage2_epochs=12, repeat=20, batch_size=32, tta=3,
                          seeds=[0, 1], ramp=(2, 4), stage2_lr=1e-3, shots=5,
                          recipe='short', width=0.5),
    # on a GPU machine (tools/bench/gpu_lease.sh): cpu-converged's schedule
    # on the full-width network (start: domain_shift's gpu-small source-only
    # model); options: loader workers for every stage
    'gpu-small': dict(num_images=2000, stage1_epochs=24, stage2_epochs=12,
                      repeat=20, batch_size=32, tta=3, seeds=[0, 1],
                      ramp=(2, 4), stage2_lr=1e-3, shots=5, recipe='short',
                      options={'train_dataloader.num_workers': 5,
                               'val_dataloader.num_workers': 2,
                               'test_dataloader.num_workers': 2}),
    # a minutes-long check that every row runs (figures meaningless; start:
    # domain_shift's smoke source-only model)
    'smoke': dict(num_images=16, stage1_epochs=1, stage2_epochs=1, repeat=1,
                  batch_size=8, tta=2, seeds=[0], ramp=(1, 1), stage2_lr=1e-3,
                  shots=1, recipe='short',
                  options=dict(SMOKE_LOADERS)),
    'gpu': dict(num_images=10000, stage1_epochs=60, stage2_epochs=40,
                repeat=20, batch_size=64, tta=5, seeds=[0, 1, 2],
                ramp=(3, 8), stage2_lr=1e-3, shots=5, recipe='paper'),
}
PL_FILTER = dict(type='GlobalPercentileFilter', percentile=0.4)
#: rows -> the evaluate stages of the workflow that give them
ROWS = {
    'labelled_only': ['eval_labelled_only'],
    'scarcenet': ['eval_scarcenet', 'eval_scarcenet_student'],
    'labelled_only_longer': ['eval_labelled_only_longer'],
}


def pretrained_model(preset_name: str, data: str, work_dir: str) -> str:
    """The exported source-only model (seed 0) of the domain-shift
    benchmark, trained there if missing (the same workflow stages, so either
    benchmark reuses the other's run)."""
    from domain_shift import PRESETS as SHIFT
    from domain_shift import source_only_workflow
    wf = source_only_workflow(SHIFT[preset_name], data, 0)
    folder = osp.join(work_dir, f'domain_shift_{preset_name}', 'seed0')
    summary = run_workflow(wf, folder)
    return summary['stages']['pretrained']['outputs']['checkpoint']


def scarcenet_workflow(preset: dict, data: str, seed: int, init: str,
                       rows: List[str]) -> Config:
    """The recipe's workflow for one seed, sized by the preset, starting
    from ``init`` (its own pretraining stages dropped)."""
    cfg = Config.fromfile(osp.join(REPO, WORKFLOW[preset['recipe']]))
    st = cfg.stages
    for name in ('pretrain', 'pretrained'):
        st.pop(name)
    cfg.data_root, cfg.seed = data, seed
    cfg.batch_size = preset['batch_size']
    if preset.get('width', 1.0) != 1.0:
        cfg.width = preset['width']
    if preset['shots'] != 5:
        cfg.labelled = dict(per_category=preset['shots'])
    times = {'train_dataloader.dataset.times': preset['repeat']}
    st.labelled_only.update(init=init, epochs=preset['stage1_epochs'],
                            cfg_options=times)
    st.labelled_only_longer.update(epochs=preset['stage2_epochs'],
                                   cfg_options=times)
    st.pseudo_labels.num_transforms = preset['tta']
    c_len, s_len = preset['ramp']
    hook = 'custom_hooks[ScheduledValuesHook].values'
    st.scarcenet.epochs = preset['stage2_epochs']
    st.scarcenet.cfg_options = {
        f'{hook}.consistency_weight.length': c_len,
        f'{hook}.small_loss_rate.length': s_len,
        'optim_wrapper.optimizer.lr': preset['stage2_lr']}
    for stage in st.values():  # the preset's options in every stage
        if preset.get('options') and stage['kind'] in ('train', 'evaluate'):
            stage.cfg_options = dict(stage.get('cfg_options') or {},
                                     **preset['options'])
    cfg.stages = subset_stages(
        cfg.stages, [s for r in rows for s in ROWS[r]])
    return cfg


def true_label_workflow(wf_cfg: Config, true_file: str,
                        stage1: str) -> Config:
    """ScarceNet's stage 2 on the pool's hidden true labels (a control)."""
    st = wf_cfg.stages.scarcenet
    opts = dict(st.cfg_options)
    opts['pseudo_label_filter'] = dict(percentile=0.0)  # keep every label
    return Config(dict(
        data_root=wf_cfg.data_root, seed=wf_cfg.seed,
        batch_size=wf_cfg.batch_size, **({'labelled': wf_cfg.labelled}
                                         if 'labelled' in wf_cfg else {}),
        stages=dict(
            scarcenet_true_labels=dict(
                st.to_dict(), init=stage1, pseudo_labels=true_file,
                cfg_options=opts,
                config=osp.join(REPO, 'configs/scarcenet', st.config)),
            eval_scarcenet_true_labels=dict(
                kind='evaluate', model='@scarcenet_true_labels',
                method='scarcenet_true_labels'))))


def _quality(summary: dict) -> dict:
    """Pseudo-label quality of a seed's run (empty without the stage)."""
    if 'pseudo_labels' not in summary['stages']:
        return {}
    from mmpose.registry import DATASETS
    pl = summary['stages']['pseudo_labels']['outputs']
    pool = DATASETS.build(dict(pl['dataset'], pipeline=[]))
    return dict(quality=pseudo_label_quality(pl['file'], pool, PL_FILTER))


def run_seed(preset: dict, data: str, work: str, seed: int,
             init: Callable[[], str], rows: List[str], control: bool,
             logger, record: Optional[str] = None,
             settings: Optional[dict] = None, fresh: bool = False) -> dict:
    """One seed's workflow (``init()`` gives its start model); its rows,
    pseudo-label quality and skips. With ``record`` (not with ``control``,
    which needs the run's files), a committed record of the seed under the
    same ``settings`` stands in for the run."""
    folder = osp.join(work, f'seed{seed}')
    if record and not control:
        wanted = evaluated_methods(
            scarcenet_workflow(preset, data, seed, 'unused', rows))
        summary = run_seed_cached(
            lambda: scarcenet_workflow(preset, data, seed, init(), rows),
            folder, record, settings, wanted, fresh=fresh, extra=_quality,
            logger=logger)
    else:
        cfg = scarcenet_workflow(preset, data, seed, init(), rows)
        summary = run_workflow(cfg, folder)
        summary = dict(summary, **_quality(summary))
    out = dict(summary=summary)
    stages = summary['stages']
    if 'quality' in summary:
        out['quality'] = summary['quality']
        logger.info(f'pseudo labels seed {seed}: {out["quality"]}')
        if control:
            from mmpose.registry import DATASETS
            pool = DATASETS.build(dict(
                stages['pseudo_labels']['outputs']['dataset'], pipeline=[]))
            true_file = osp.join(folder, 'hidden_labels_as_pseudo_labels.json')
            hidden_labels_as_pseudo_labels(pool, true_file)
            out['control'] = run_workflow(true_label_workflow(
                cfg, true_file, stages['stage1']['outputs']['checkpoint']),
                osp.join(folder, 'true_labels'))
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument('--rows', nargs='+', choices=sorted(ROWS),
                        default=list(ROWS),
                        help='rows to run (default: all)')
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--nproc', type=int, default=2,
                        help='processes generating missing data (the bytes '
                        'do not depend on it)')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out')
    parser.add_argument('--true-label-control', action='store_true',
                        help='also train stage 2 on the hidden true labels '
                        'of the pool (row scarcenet_true_labels): what the '
                        'recipe gives with perfect pseudo labels')
    parser.add_argument('--fresh', action='store_true',
                        help='run seeds again even where docs/benchmarks/'
                        'runs/ holds their record under the same settings')
    parser.add_argument('--override', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='change preset values (quick trials), e.g. '
                        'stage2_epochs=1 num_images=40')
    args = parser.parse_args(argv)
    preset = dict(PRESETS[args.preset])
    for item in args.override:
        key, _, value = item.partition('=')
        if key not in preset:
            parser.error(f'unknown preset key {key!r}; keys: {list(preset)}')
        try:
            preset[key] = json.loads(value)
        except json.JSONDecodeError:  # a bare string: recipe=paper
            preset[key] = value
        if key == 'recipe' and preset[key] not in WORKFLOW:
            parser.error(f'recipe must be one of {sorted(WORKFLOW)}')
    seeds = args.seeds or preset['seeds']
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0,
                          nproc=args.nproc)
    shots = '' if preset['shots'] == PRESETS[args.preset]['shots'] else \
        f'_{preset["shots"]}shot'
    work = osp.join(args.work_dir, f'scarce_labels_{args.preset}{shots}')
    # the source-only model, trained only if a seed runs (once)
    init = functools.cache(
        lambda: pretrained_model(args.preset, args.data, args.work_dir))

    from domain_shift import PRESETS as SHIFT
    # what a seed's rows depend on: a committed record made under the same
    # settings stands in for its run (seeds finished in other sessions)
    settings = dict({k: v for k, v in preset.items() if k != 'seeds'},
                    data=meta,
                    init=dict(SHIFT[args.preset], row='source_only',
                              seed=0))
    record = osp.join(RECORDS, f'scarce_labels_{args.preset}{shots}_'
                      '{}.json')
    per_seed = [run_seed(preset, args.data, work, s, init, args.rows,
                         args.true_label_control, logger,
                         record.format(f'seed{s}'), settings, args.fresh)
                for s in seeds]
    summaries = [p['summary'] for p in per_seed]
    if args.true_label_control:
        summaries = [dict(s, rows=s['rows'] + p['control']['rows'],
                          stages=dict(s['stages'],
                                      **p['control']['stages']),
                          skipped=s['skipped'] + p['control']['skipped'])
                     for s, p in zip(summaries, per_seed)]
    rows = collect_rows(summaries, seeds)
    by = {r['method']: r for r in rows}
    result = dict(
        bench='scarce_labels', preset=args.preset, machine=machine(),
        overrides=args.override, data=meta,
        stage1_init='source-only model (synthetic style, no target labels)',
        labels_per_species=preset['shots'], stage2_recipe=preset['recipe'],
        workflow=WORKFLOW[preset['recipe']], rows=rows,
        # this invocation's wall time: short when rows reuse finished runs
        total_minutes=round((time.perf_counter() - t0) / 60, 1))
    if all('quality' in p for p in per_seed) and 'scarcenet' in by:
        by['scarcenet']['pseudo_labels'] = {
            k: round(float(np.mean([p['quality'][k] for p in per_seed])), 1)
            for k in ('precision', 'recall', 'kept')}
    if 'scarcenet' in by and 'labelled_only' in by:
        plain_ips = by['labelled_only'].get('train_images_per_s')
        scn_ips = by['scarcenet'].get('train_images_per_s')
        if plain_ips and scn_ips:
            result['teacher_student_cost'] = dict(
                plain_images_per_s=plain_ips, scarcenet_images_per_s=scn_ips,
                extra_time_per_image=round(plain_ips / scn_ips - 1, 3))
        result['ap_gain'] = round(by['scarcenet']['ap']['mean'] -
                                  by['labelled_only']['ap']['mean'], 2)
        result['ap_spread'] = max(by['scarcenet']['ap']['std'],
                                  by['labelled_only']['ap']['std'])
    if 'scarcenet' in by and 'labelled_only_longer' in by:
        # the same comparison against labelled-only trained as many epochs
        longer = by['labelled_only_longer']
        result['ap_gain_vs_longer'] = round(
            by['scarcenet']['ap']['mean'] - longer['ap']['mean'], 2)
        result['ap_spread_vs_longer'] = max(by['scarcenet']['ap']['std'],
                                            longer['ap']['std'])
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'scarce_labels_{args.preset}{shots}.json')
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + table(rows))
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
