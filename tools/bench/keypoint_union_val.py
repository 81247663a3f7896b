"""FreeNet settings chosen on ``union_val`` (never on ``union_test``): the
keypoint-union benchmark's naive merge and control, and FreeNet variants
(each a set of options over the demo's FreeNet stage), all evaluated on
``union_val``, one seed.

Every trial runs in one workflow that shares the naive merge with the
others and with ``keypoint_union.py``'s run of the same seed (its work dir,
``WORK/keypoint_union_<preset>/seed<N>/``; the evaluate stages here are
``val_*``, so neither script's evaluations replace the other's); finished
stages are kept, so trials can be added and the script re-run. Prints a
table and writes ``docs/benchmarks/keypoint_union_val_<preset>.json``,
keeping the rows of trials that an earlier run of the same seed, data and
naive merge (its figures equal to this run's: training differs a little
between machines) wrote there and this one did not run.

``--budget K`` trains the trials K times as long, with a control K times as
long (``naive_merge_longer_xK``); their rows are named ``..._xK``.
``--controls V ...`` adds control variants (keys of CONTROL_VARIANTS, e.g.
the diagnostic ``all_labelled_lr1e-4``) beside the trials, as long as the
control and from the same start, rows ``naive_merge_longer_<V>``.
``--naive-variants V ...`` adds naive-merge variants (keys of
NAIVE_VARIANTS, e.g. ``all_labelled``), trained like the naive merge from
its initialisation, rows ``naive_merge_<V>``.

Example:
    python tools/bench/keypoint_union_val.py --trials paper labelled_1to1
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional, Sequence

from mmengine.config import Config
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import collect_rows, machine  # noqa: E402
from keypoint_union import (CONTROL_VARIANTS, NAIVE_VARIANTS,  # noqa
                            PRESETS, TRIAL_CONTROLS, TRIALS, control_row,
                            control_variant_stage, ensure_union_data,
                            trial_stage, union_table, union_workflow,
                            variant_control, variant_stage)

from animal_da.apis.workflow import run_workflow  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

VAL = {'test_dataloader.dataset.ann_file': 'annotations/union_val.json'}


def trial_id(name: str, budget: int = 1, from_control: int = 0) -> str:
    """A trial's name in stages, rows and the JSON: ``name``, with
    ``_x<budget>`` for a budget other than 1 and ``_from_x<K>`` when it
    starts from the control trained K times longer."""
    return name + ('' if budget == 1 else f'_x{budget}') + (
        f'_from_x{from_control}' if from_control else '')


def control_of(name: str, budget: int = 1, from_control: int = 0) -> str:
    """The control row a trial is compared with: ``naive_merge_longer``
    (with its ``_x<budget>`` / ``_x<K>_longer`` forms), or for a trial in
    TRIAL_CONTROLS that control with the trial's variant, as long as the
    trial and from the same start."""
    if variant_control(name):
        return variant_row(TRIAL_CONTROLS[name], budget, from_control)
    if from_control:
        return f'naive_merge_longer_x{from_control}_longer'
    return 'naive_merge_longer' + ('' if budget == 1 else f'_x{budget}')


def variant_row(variant: str, budget: int = 1, from_control: int = 0) -> str:
    """The row of a CONTROL_VARIANTS entry run as long as the trials of
    ``budget`` from the base of ``from_control``."""
    return trial_id(control_row(variant), budget, from_control)


def naive_row(variant: str) -> str:
    """The row (and stage) name of a NAIVE_VARIANTS entry."""
    return f'naive_merge_{variant}'


def trials_workflow(preset: dict, data: str, seed: int,
                    trials: List[str], budget: int = 1,
                    from_control: int = 0,
                    controls: Sequence[str] = (),
                    naive_variants: Sequence[str] = ()) -> Config:
    """The naive merge, its control and the chosen FreeNet trials, every
    evaluation on union_val (student and teacher for FreeNet). ``budget``
    multiplies the trials' epochs and adds a control trained that much
    longer too (``naive_merge_longer_x<budget>``). ``from_control`` K:
    the trials start from ``naive_merge_longer_x<K>`` (the naive merge
    trained on K times the control's epochs) instead of the naive merge,
    beside a control trained on from it as long as the trials
    (``naive_merge_longer_x<K>_longer``): does FreeNet gain over further
    supervised training from a better-trained base? ``controls``: control
    variants (CONTROL_VARIANTS) run beside the trials, as long as the
    trials' control and from the same start. ``naive_variants``:
    naive-merge variants (NAIVE_VARIANTS), each trained like the naive
    merge from its initialisation."""
    wf = union_workflow(dict(preset, freenet_trial='paper'), data, seed)
    st = wf.stages.to_dict()
    out = {k: st[k] for k in ('naive_merge', 'base', 'naive_merge_longer')}
    rows = ['naive_merge', 'naive_merge_longer']  # control rows
    for k in sorted({budget, from_control} - {0, 1}):
        ctrl = f'naive_merge_longer_x{k}'
        # the stage of control variant ``xK`` (TRIAL_CONTROLS), so a trial
        # run with --budget K and its ``_xK`` TRIALS entry share it
        out[ctrl] = variant_stage(st['naive_merge_longer'],
                                  {'epochs_scale': k})
        st[f'eval_{ctrl}'] = dict(st['eval_naive_merge_longer'],
                                  model=f'@{ctrl}', method=ctrl)
        rows.append(ctrl)
    init = '@base.checkpoint'
    if from_control:
        src = f'naive_merge_longer_x{from_control}'
        out[f'base_x{from_control}'] = dict(kind='export', model=f'@{src}')
        init = f'@base_x{from_control}.checkpoint'
        ctrl = f'{src}_longer'
        out[ctrl] = dict(st['naive_merge_longer'], init=init,
                         epochs=st['naive_merge_longer']['epochs'] * budget)
        st[f'eval_{ctrl}'] = dict(st['eval_naive_merge_longer'],
                                  model=f'@{ctrl}', method=ctrl)
        rows.append(ctrl)
    # a trial whose setting the control must share (TRIAL_CONTROLS) gets
    # a control with it, from the same start, as long as the trial; the
    # variants asked for run the same way
    base_ctrl = rows[-1] if from_control else (
        f'naive_merge_longer_x{budget}' if budget != 1 else
        'naive_merge_longer')
    variants = [TRIAL_CONTROLS[n] for n in trials if n in TRIAL_CONTROLS]
    for v in dict.fromkeys(variants + list(controls)):
        ctrl = variant_row(v, budget, from_control)
        out[ctrl] = dict(control_variant_stage(out[base_ctrl], v),
                         init=init)
        st[f'eval_{ctrl}'] = dict(st['eval_naive_merge_longer'],
                                  model=f'@{ctrl}', method=ctrl)
        rows.append(ctrl)
    for v in dict.fromkeys(naive_variants):
        row = naive_row(v)
        out[row] = variant_stage(st['naive_merge'], NAIVE_VARIANTS[v])
        st[f'eval_{row}'] = dict(st['eval_naive_merge'], model=f'@{row}',
                                 method=row)
        rows.append(row)
    for row in rows:
        out[f'val_eval_{row}'] = dict(st[f'eval_{row}'], cfg_options=dict(
            st[f'eval_{row}'].get('cfg_options') or {}, **VAL))
    for name in trials:
        tid = trial_id(name, budget, from_control)
        stage = trial_stage(st['freenet'], preset, name, seed)
        out[f'freenet_{tid}'] = dict(stage, epochs=stage['epochs'] * budget,
                                     init=init)
        for net in ('student', 'teacher'):
            out[f'val_eval_freenet_{tid}_{net}'] = dict(
                kind='evaluate', model=f'@freenet_{tid}', predict_on=net,
                method=f'freenet_{tid}' + ('' if net == 'student' else
                                           '_teacher'),
                cfg_options=VAL)
    return Config(dict(wf.to_dict(), stages=out))


def keep_earlier_trials(out: str, rows: List[dict], trials: dict,
                        meta: dict, seed: int,
                        controls: Optional[dict] = None) -> tuple:
    """``rows``, ``trials`` and ``controls`` (the ``--controls`` and
    ``--naive-variants`` rows) plus those of trials and controls in
    ``out`` (an earlier run's JSON with the same data, seed and naive
    merge) that this run did not run."""
    controls = dict(controls or {})
    if not osp.isfile(out):
        return rows, trials, controls
    with open(out) as f:
        old = json.load(f)

    def base(rs):  # the naive merge's metrics: the trials' starting model
        return [{k: v for k, v in r.items() if k.startswith(('ap', 'pck'))}
                for r in rs if r['method'] == 'naive_merge']

    if old.get('data') != meta or old.get('seed') != seed or \
            base(old.get('rows', [])) != base(rows):
        MMLogger.get_instance('animal_da_bench').warning(
            f'{out} came from other data, seed or naive merge: its trials '
            'are not kept')
        return rows, trials, controls
    kept = {k: v for k, v in old.get('trials', {}).items()
            if k not in trials}
    names = {f'freenet_{k}_{net}' for k in kept
             for net in ('student', 'teacher')}
    # a longer budget's control goes with its trials
    names |= {f'naive_merge_longer_x{v["budget"]}' for v in kept.values()
              if v.get('budget', 1) != 1}
    # a trial from a longer-trained base goes with that base and its control
    names |= {f'naive_merge_longer_x{v["from_control"]}{end}'
              for v in kept.values() if v.get('from_control')
              for end in ('', '_longer')}
    # a trial's own control variant goes with it
    names |= {v['control'] for v in kept.values() if v.get('control')}
    kept_controls = {k: v for k, v in old.get('controls', {}).items()
                     if k not in controls}
    names |= set(kept_controls)
    names -= {r['method'] for r in rows}
    return (rows + [r for r in old['rows'] if r['method'] in names],
            dict(trials, **kept), dict(controls, **kept_controls))


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--trials', nargs='*', choices=sorted(TRIALS),
                        default=['paper'])
    parser.add_argument('--budget', type=int, default=1,
                        help='the trials\' epochs times this, with a '
                        'control trained as much longer (default 1)')
    parser.add_argument('--from-control', type=int, default=0, metavar='K',
                        help='start the trials from the naive merge trained '
                        'on K times the control\'s epochs, beside a control '
                        'trained on from it as long (K >= 2)')
    parser.add_argument('--controls', nargs='+', default=[],
                        choices=sorted(CONTROL_VARIANTS),
                        help='control variants to run beside the trials '
                        '(as long as the control, from the same start)')
    parser.add_argument('--naive-variants', nargs='+', default=[],
                        choices=sorted(NAIVE_VARIANTS),
                        help='naive-merge variants to run beside the '
                        'trials (from the naive merge\'s initialisation)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default='data/synanimal_union')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out')
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    logger = MMLogger.get_instance('animal_da_bench')
    meta = ensure_union_data(preset, args.data)
    # the benchmark's work dir: the naive merge of a seed is trained once
    work = osp.join(args.work_dir, f'keypoint_union_{args.preset}',
                    f'seed{args.seed}')
    if args.budget < 1:
        parser.error('--budget must be 1 or more')
    if args.from_control == 1 or args.from_control < 0:
        parser.error('--from-control must be 2 or more (0: the naive merge)')
    summary = run_workflow(trials_workflow(
        preset, args.data, args.seed, args.trials, args.budget,
        args.from_control, args.controls, args.naive_variants), work)
    rows = collect_rows([summary], [args.seed])
    out = args.out or osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'docs', 'benchmarks',
        f'keypoint_union_val_{args.preset}.json')
    trials = {trial_id(k, args.budget, args.from_control): dict(
        epochs_scale=TRIALS[k][0],
        options={o: list(v) if isinstance(v, tuple) else v
                 for o, v in TRIALS[k][1].items()},
        control=control_of(k, args.budget, args.from_control),
        **({} if args.budget == 1 and not args.from_control else dict(
            trial=k, budget=args.budget, from_control=args.from_control)))
        for k in args.trials}
    controls = {variant_row(v, args.budget, args.from_control): dict(
        variant=v, options=CONTROL_VARIANTS[v]) for v in args.controls}
    controls.update({naive_row(v): dict(
        variant=v, options=NAIVE_VARIANTS[v], start='initialisation')
        for v in args.naive_variants})
    rows, trials, controls = keep_earlier_trials(out, rows, trials, meta,
                                                 args.seed, controls)
    result = dict(bench='keypoint_union_val', preset=args.preset,
                  split='union_val', machine=machine(), data=meta,
                  seed=args.seed, trials=trials, controls=controls,
                  rows=rows)
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + union_table(rows))
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
