"""The benchmark scripts build workflows whose stages all check (configs
exist and parse, references resolve): the runs themselves are in
tools/bench/, `--preset smoke` checks every row in minutes."""
import json
import os.path as osp
import sys

import pytest

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'bench'))


@pytest.mark.parametrize('preset', ['cpu-small', 'cpu-converged', 'gpu',
                                    'gpu-small', 'smoke'])
def test_domain_shift_workflows_check(preset):
    import domain_shift as ds
    from animal_da.apis.workflow import Workflow
    p = ds.PRESETS[preset]
    methods = list(p['configs']) + ['uda_animal', 'uda_stage1', 'fidip']
    wf = Workflow(ds.domain_shift_workflow(p, 'data/x', 0, methods),
                  'work_dirs/unused')
    evals = {st['method'] for st in wf.stages.values()
             if st['kind'] == 'evaluate'}
    assert evals == set(methods)
    # FiDIP starts from the same source-only stage as the baseline row
    assert wf.stages['fidip']['init'] == '@pretrained.checkpoint'
    assert wf.stages['pretrained']['model'] == '@source_only'
    for name, st in wf.stages.items():
        if st['kind'] == 'train':
            assert osp.isfile(st['config']), (name, st['config'])
    # the scarce-labels benchmark's pretraining is the same stage
    src = ds.source_only_workflow(p, 'data/x', 0).stages
    assert src['source_only'] == wf.stages['source_only']


@pytest.mark.parametrize('recipe', ['paper', 'short'])
def test_scarce_labels_workflows_check(recipe):
    import scarce_labels as sl
    from animal_da.apis.workflow import Workflow
    preset = dict(sl.PRESETS['cpu-small'], recipe=recipe, shots=20)
    cfg = sl.scarcenet_workflow(preset, 'data/x', 1, 'init.pth',
                                list(sl.ROWS))
    wf = Workflow(cfg, 'work_dirs/unused')
    assert wf.keys['labelled'] == dict(per_category=20)
    assert wf.stages['labelled_only']['init'] == 'init.pth'
    assert wf.stages['scarcenet']['epochs'] == preset['stage2_epochs']
    cfg = wf.stage_config('scarcenet', wf.stages['scarcenet'],
                          dict(init='s1.pth', pseudo_labels='pl.json'))
    # every SemiPoseDataset of the stage-2 config, through the wrappers
    from animal_da.apis.overrides import semi_datasets
    found = [d for p, d in semi_datasets(cfg._cfg_dict)
             if p.startswith('train_dataloader')]
    assert len(found) == (1 if recipe == 'paper' else 2)
    for d in found:
        assert d['data_root'] == 'data/x/'
        assert d['labelled']['per_category'] == 20
        if d.get('role') != 'labelled':
            assert d['pseudo_labels']['file'] == 'pl.json'
    assert cfg.model.init_cfg.checkpoint == 's1.pth'
    hook = [h for h in cfg.custom_hooks
            if h['type'] == 'ScheduledValuesHook'][0]
    assert hook['values']['consistency_weight']['length'] == 1
    # only the stages the chosen rows need
    part = sl.scarcenet_workflow(preset, 'data/x', 1, 'init.pth',
                                 ['labelled_only'])
    assert list(part.stages) == ['labelled_only', 'eval_labelled_only']


def test_uda_switch_rows_share_stage1_and_pseudo_labels():
    """--uda-switches: each speed switch is a copy of UDA-Animal-Pose's
    stage 2 with its option, from the same stage 1 and pseudo labels, as
    long, evaluated as teacher and student."""
    import domain_shift as ds
    from animal_da.apis.workflow import Workflow
    p = ds.PRESETS['cpu-converged']
    wf = Workflow(ds.domain_shift_workflow(
        p, 'data/x', 0, ['uda_animal', 'uda_joint_forward']),
        'work_dirs/unused')
    full, joint = wf.stages['uda_animal'], wf.stages['uda_joint_forward']
    assert joint['cfg_options']['model.semi_train_cfg.joint_forward'] is True
    assert 'model.semi_train_cfg.joint_forward' not in (
        full.get('cfg_options') or {})
    for key in ('init', 'pseudo_labels', 'epochs', 'config'):
        assert joint[key] == full[key]
    assert joint['epochs'] == p['uda']['stage2_epochs']
    evals = {(st['method'], st.get('predict_on')) for st in
             wf.stages.values() if st['kind'] == 'evaluate'}
    assert {('uda_joint_forward', 'teacher'),
            ('uda_joint_forward', 'student')} <= evals
    assert not {'source_only', 'oracle'} & {m for m, _ in evals}


def test_uda_rounds_label_again_with_the_first_teacher():
    """--uda-rounds: the second round starts from the first round's
    teacher and trains on the pseudo labels that teacher makes (same TTA);
    the control is the first round trained twice as long from the same
    stage 1 and labels; the choice is read on target_val, never on
    target_test, and the test rows are evaluated apart."""
    import domain_shift as ds
    from animal_da.apis.workflow import Workflow
    p = ds.PRESETS['cpu-converged']
    names = list(ds.UDA_ROUNDS) + [
        f'val_{r}' for r in ('uda_animal', *ds.UDA_ROUNDS)]
    wf = Workflow(ds.domain_shift_workflow(p, 'data/x', 0, names),
                  'work_dirs/unused')
    st = wf.stages
    e = p['uda']['stage2_epochs']
    assert (st['uda_animal']['epochs'], st['uda_long']['epochs'],
            st['uda_round2']['epochs']) == (e, 2 * e, e)
    assert st['uda_long']['init'] == st['uda_animal']['init']
    assert st['uda_long']['pseudo_labels'] == st['uda_animal'][
        'pseudo_labels']
    assert st['uda_round1_teacher'] == dict(
        kind='export', model='@uda_animal', which='teacher')
    assert st['pseudo_labels_round2']['model'] == '@uda_round1_teacher'
    assert st['pseudo_labels_round2']['num_transforms'] == p['uda']['tta']
    assert st['uda_round2']['init'] == '@uda_round1_teacher.checkpoint'
    assert st['uda_round2']['pseudo_labels'] == '@pseudo_labels_round2.file'
    evals = {n: s for n, s in st.items() if s['kind'] == 'evaluate'}
    for n, s in evals.items():
        on_val = (s.get('cfg_options') or {}).get(
            'test_dataloader.dataset.ann_file') == \
            'annotations/target_val.json'
        assert on_val == s['method'].startswith('val_'), n
    assert {(s['method'], s['predict_on']) for s in evals.values()} == {
        (m, net) for m in names for net in ('teacher', 'student')}
    from animal_da.apis.overrides import semi_datasets
    cfg = wf.stage_config('uda_round2', st['uda_round2'],
                          dict(init='t.pth', pseudo_labels='pl2.json'))
    assert cfg.model.init_cfg.checkpoint == 't.pth'
    assert {d['pseudo_labels']['file'] for _, d in semi_datasets(
        cfg._cfg_dict) if d.get('pseudo_labels')} == {'pl2.json'}


def test_uda_true_label_control_is_stage2_on_hidden_labels(tmp_path):
    """--uda-true-labels: the recipe's stage 2 from the same stage 1, as
    long, on a file of the target pool's hidden labels, every one kept."""
    import domain_shift as ds
    from animal_da.apis.workflow import Workflow
    from animal_da.datasets.synthetic import ensure_dataset
    from animal_da.pseudo_labels import load_pseudo_labels
    data = str(tmp_path / 'data')
    ensure_dataset(data, 8, seed=0)
    true_file = ds.write_true_labels(data, str(tmp_path))
    labels = load_pseudo_labels(true_file)
    assert len(labels) == 8
    assert all(set(v[:, 2].tolist()) <= {0.0, 1.0} for v in labels.values())
    p = ds.PRESETS['cpu-converged']
    wf = Workflow(ds.domain_shift_workflow(
        p, data, 0, [ds.UDA_TRUE, f'val_{ds.UDA_TRUE}'], true_file),
        str(tmp_path / 'w'))
    st = wf.stages[ds.UDA_TRUE]
    assert st['pseudo_labels'] == true_file
    assert (st['init'], st['epochs']) == ('@stage1.checkpoint',
                                          p['uda']['stage2_epochs'])
    assert 'uda_animal' not in wf.stages  # the control needs stage 1 only
    cfg = wf.stage_config(ds.UDA_TRUE, st, dict(init='s1.pth'))
    from animal_da.apis.overrides import semi_datasets
    filters = [d['pseudo_labels']['filter'] for _, d in semi_datasets(
        cfg._cfg_dict) if d.get('pseudo_labels')]
    assert filters and all(f['percentile'] == 0.0 for f in filters)


def test_uda_keep_rows_filter_the_same_pseudo_labels_otherwise(tmp_path):
    """--uda-keep: each row is the recipe's stage 2 on the same stage 1 and
    pseudo labels, as long, its filter's percentile the row's (not the
    paper's); the full
    recipe is evaluated on target_val beside it; on the gpu preset these
    rows and the true-label control take the preset's stage-2 config."""
    import domain_shift as ds
    from animal_da.apis.overrides import semi_datasets
    from animal_da.apis.workflow import Workflow
    names = list(ds.UDA_KEEP) + [f'val_{r}' for r in ('uda_animal',
                                                      *ds.UDA_KEEP)]
    p = ds.PRESETS['cpu-converged']
    wf = Workflow(ds.domain_shift_workflow(p, 'data/x', 0, names),
                  str(tmp_path / 'w'))
    assert not set(ds.UDA_ROUNDS) & set(wf.stages)
    full = wf.stages['uda_animal']
    for row, percentile in ds.UDA_KEEP.items():
        st = wf.stages[row]
        assert percentile != 0.6  # the paper's 40 % kept is uda_animal
        for k in ('init', 'pseudo_labels', 'epochs', 'config'):
            assert st[k] == full[k], k
        assert {f'val_{row}', f'eval_{row}', f'eval_{row}_student'} <= set(
            wf.stages)
        cfg = wf.stage_config(row, st, dict(init='s1.pth',
                                            pseudo_labels='pl.json'))
        filters = [d['pseudo_labels']['filter'] for _, d in semi_datasets(
            cfg._cfg_dict) if d.get('pseudo_labels')]
        assert filters and all(f['percentile'] == percentile
                               for f in filters)
    assert wf.stages['val_uda_animal']['cfg_options'] == ds.VAL_SPLIT
    gpu = Workflow(ds.domain_shift_workflow(
        ds.PRESETS['gpu'], 'data/x', 0, names + [ds.UDA_TRUE], 't.json'),
        str(tmp_path / 'g'))
    for row in (*ds.UDA_KEEP, ds.UDA_TRUE):
        assert gpu.stages[row]['config'] == gpu.stages['uda_animal'][
            'config'] and gpu.stages[row]['config'].endswith(
            ds.PRESETS['gpu']['uda']['stage2'])


@pytest.mark.parametrize('preset,variant', [('cpu-converged', 's1aug'),
                                            ('gpu', 's1aug'),
                                            ('cpu-converged', 's1photo')])
def test_uda_stage1_aug_rows_and_their_control(preset, variant, tmp_path):
    """--uda-stage1-aug: stage 1 and the source-only control train with the
    variant's transforms right after the crop (the gpu stage 1, which has
    the shear already, does not get it twice), and stage 2 is the recipe's
    from that stage 1 and its own pseudo labels; nothing of the plain
    recipe is trained."""
    import domain_shift as ds
    from animal_da.apis.workflow import Workflow
    n = ds.s1aug_names(variant)
    names = [p + r for r in n['rows'] for p in ('', 'val_')]
    p = ds.PRESETS[preset]
    wf = Workflow(ds.domain_shift_workflow(p, 'data/x', 0, names),
                  str(tmp_path / 'w'))
    trains = {k for k, st in wf.stages.items() if st['kind'] == 'train'}
    assert trains == {n['train'], n['uda'], n['control']}
    evals = {st['method'] for st in wf.stages.values()
             if st['kind'] == 'evaluate'}
    assert evals == set(names)
    full = ds.domain_shift_workflow(p, 'data/x', 0,
                                    ['uda_animal', 'source_only'])
    added = [t['type'] for t in ds.STAGE1_AUGS[variant]]
    for row, like in ((n['train'], 'stage1_train'),
                      (n['control'], 'source_only')):
        st, ref = wf.stages[row], full.stages[like]
        assert st['config'] == ref['config'] and st['epochs'] == ref[
            'epochs']
        cfg = wf.stage_config(row, st, {})
        types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
        crop = types.index('TopdownAffine')
        assert types[crop + 1] in added
        assert all(types.count(t) == 1 for t in added)
        plain = [t['type'] for t in wf.stage_config(
            like, ref, {}).train_dataloader.dataset.pipeline]
        assert [t for t in types if t not in added] == [
            t for t in plain if t not in added]
    uda = wf.stages[n['uda']]
    assert uda['init'] == f'@{n["export"]}.checkpoint'
    assert uda['pseudo_labels'] == f'@{n["pseudo_labels"]}.file'
    assert wf.stages[n['pseudo_labels']]['model'] == f'@{n["export"]}'
    for k in ('config', 'epochs'):
        assert uda[k] == full.stages['uda_animal'][k]
    assert wf.stages[n['pseudo_labels']]['num_transforms'] == p['uda'][
        'tta']
    assert wf.stages[f'val_{n["rows"][0]}']['cfg_options'].items() >= \
        ds.VAL_SPLIT.items()
    # the first variant's names are the ones its seed records were made with
    assert ds.s1aug_names('s1aug')['rows'] == (
        'uda_s1aug_stage1', 'uda_s1aug', 'source_only_s1aug')


def test_domain_factor_styles_switch_one_group_each():
    """domain_factors.py: each row's style is ``synthetic`` with exactly
    its group's fields at their ``real`` values; the groups cover every
    field in which the two styles differ."""
    from dataclasses import asdict

    import domain_factors as df
    from animal_da.datasets.synthetic import get_style
    rows = df.factor_styles()
    src, tgt = asdict(get_style('synthetic')), asdict(get_style('real'))
    assert list(rows)[0] == 'synthetic' and list(rows)[-1] == 'real'
    covered = set()
    for group, fields in df.FACTORS.items():
        style = asdict(get_style(rows[f'synthetic+{group}']))
        changed = {k for k in src if k != 'name' and style[k] != src[k]}
        assert changed and changed <= set(fields), group
        assert all(style[k] == tgt[k] for k in fields)
        covered |= set(fields)
    assert {k for k in src if src[k] != tgt[k]} - {'name'} <= covered


def test_preset_options_reach_stage_configs_as_values():
    """A preset's loader options arrive in every train and evaluate stage
    as the values --cfg-options gives (the number 0, not the string '0'),
    and in the merged stage configs."""
    import domain_shift as ds
    import scarce_labels as sl
    from animal_da.apis.workflow import Workflow
    assert ds.preset_options(ds.PRESETS['smoke'])[
        'train_dataloader.persistent_workers'] is False
    wf = Workflow(ds.domain_shift_workflow(
        ds.PRESETS['gpu-small'], 'data/x', 0, ['source_only', 'uda_animal']),
        'work_dirs/unused')
    for name in ('source_only', 'uda_animal', 'eval_source_only'):
        assert wf.stages[name]['cfg_options'][
            'train_dataloader.num_workers'] == 5
    cfg = wf.stage_config('uda_animal', wf.stages['uda_animal'],
                          dict(init='s1.pth', pseudo_labels='pl.json'))
    assert cfg.train_dataloader.num_workers == 5
    assert cfg.test_dataloader.num_workers == 2
    p = sl.PRESETS['gpu-small']
    wf = Workflow(sl.scarcenet_workflow(p, 'data/x', 0, 'init.pth',
                                        list(sl.ROWS)), 'work_dirs/unused')
    for name, st in wf.stages.items():
        if st['kind'] in ('train', 'evaluate'):
            assert st['cfg_options']['train_dataloader.num_workers'] == 5, \
                name
    # the stage's own options stay beside the preset's
    assert 'optim_wrapper.optimizer.lr' in wf.stages['scarcenet'][
        'cfg_options']
    # its start model is the domain-shift preset of the same name
    assert sl.PRESETS.keys() >= {'gpu-small', 'smoke'} and \
        ds.PRESETS.keys() >= {'gpu-small', 'smoke'}


def test_converged_preset_and_uda_ablation_rows():
    """The cpu-converged preset's narrower model reaches every stage of
    every row (recipes included); the ablation rows are the full stage 2
    with terms switched off."""
    import domain_shift as ds
    from animal_da.apis.workflow import Workflow
    p = ds.PRESETS['cpu-converged']
    methods = ['source_only', 'oracle', 'uda_animal', 'fidip'] + list(
        ds.UDA_ABLATION)
    wf = Workflow(ds.domain_shift_workflow(p, 'data/x', 0, methods),
                  'work_dirs/unused')
    assert wf.keys['width'] == p['width']
    for name in ('source_only', 'uda_animal', 'uda_pl_only', 'fidip',
                 'stage1_train'):
        st = wf.stages[name]
        cfg = wf.stage_config(name, st, {k: f'<{k}>' for k in (
            'init', 'pseudo_labels') if k in st})
        nets = [cfg.model] + [cfg.model[k] for k in ('pose_estimator', )
                              if k in cfg.model]
        assert any(n.get('backbone', {}).get('base_channels') == 32
                   for n in nets), name
    full = wf.stage_config('uda_animal', wf.stages['uda_animal'],
                           dict(init='a.pth', pseudo_labels='pl.json'))
    alone = wf.stage_config('uda_pl_only', wf.stages['uda_pl_only'],
                            dict(init='a.pth', pseudo_labels='pl.json'))
    assert full.model.semi_train_cfg.mixup is not None
    assert alone.model.semi_train_cfg.mixup is None
    assert alone.model.semi_train_cfg.adv_weight == 0
    hook = [h for h in alone.custom_hooks if h['type'] ==
            'ScheduledValuesHook' and 'consistency_weight' in h['values']][0]
    assert hook['values']['consistency_weight']['max'] == 0
    assert wf.stages['uda_pl_only']['epochs'] == p['uda']['stage2_epochs']
    evals = {(st['method'], st.get('predict_on')) for st in
             wf.stages.values() if st['kind'] == 'evaluate'}
    assert ('uda_pl_adv', 'student') in evals


def test_learning_curve_plateau_rule():
    """Plateau = mean of the last points; reached at the first point within
    the tolerance; the smoke preset's workflow checks."""
    import learning_curves as lc
    from animal_da.apis.workflow import Workflow
    pts = [dict(epoch=e, train_minutes=e / 2, metrics={'coco/AP': ap,
                                                       'PCK': ap})
           for e, ap in ((4, .05), (8, .20), (12, .285), (16, .30),
                         (20, .31))]
    out = lc.curve_summary(pts, tail=3, tol=1.0)
    assert out['ap']['plateau'] == 29.83
    assert out['ap']['best'] == 31.0
    assert out['ap']['epochs_to_plateau'] == 16  # 28.5 < 29.83 - 1
    assert out['ap']['minutes_to_plateau'] == 8.0
    assert out['ap']['tail_gain'] == 2.5 and not out['ap']['converged']
    wf = Workflow(lc.workflow(lc.PRESETS['cpu-small'], 'data/x',
                              ['res18_half'], ['oracle'], 0),
                  'work_dirs/unused')
    st = wf.stages['oracle_res18_half']
    cfg = wf.stage_config('oracle_res18_half', st, {})
    assert cfg.train_cfg.val_interval == 4
    assert cfg.model.backbone.base_channels == 32


def test_seed_records_reused_only_for_same_settings(tmp_path, monkeypatch):
    """A seed's committed record stands in for its run only when made
    under the same settings with every wanted row; a run writes one."""
    import _common
    calls = []

    def fake_run(workflow, work_dir):
        calls.append(work_dir)
        return dict(rows=[dict(method='oracle', train_stage='oracle',
                               checkpoint='/tmp/x.pth',
                               ap=dict(mean=1.0, std=0.0, per_seed=[1.0]))],
                    skipped=[], stages=dict(oracle=dict(outputs=dict(
                        train_images_per_s=50.0, train_s=10.0,
                        checkpoint='/tmp/x.pth'))))

    monkeypatch.setattr(_common, 'run_workflow', fake_run)
    record = str(tmp_path / 'runs' / 'seed0.json')
    settings = dict(epochs=48, ramp=(2, 4))
    got = _common.run_seed_cached(None, 'w0', record, settings, {'oracle'},
                                  extra=lambda s: dict(note=len(s['rows'])))
    assert calls == ['w0'] and got['note'] == 1
    import json
    with open(record) as f:
        rec = json.load(f)
    assert 'checkpoint' not in rec['rows'][0]
    assert rec['stages'] == dict(oracle=dict(outputs=dict(
        train_images_per_s=50.0, train_s=10.0)))
    # same settings: the record, its rows counted as reused
    again = _common.run_seed_cached(None, 'w1', record, dict(settings),
                                    {'oracle'})
    assert calls == ['w0'] and again['skipped'] == ['oracle']
    runs = _common.runs_by_row([again])
    assert runs['oracle'][0]['reused'] and runs['oracle'][0]['ap'] == 1.0
    # other settings, a missing row, or --fresh: run again
    _common.run_seed_cached(None, 'w2', record, dict(epochs=12), {'oracle'})
    _common.run_seed_cached(None, 'w3', record, settings,
                            {'oracle', 'source_only'})
    _common.run_seed_cached(None, 'w4', record, settings, {'oracle'},
                            fresh=True)
    assert calls == ['w0', 'w2', 'w3', 'w4']


def test_keypoint_union_val_trials_evaluate_on_val_only():
    """FreeNet trials are chosen on union_val: every evaluation of the
    trials workflow reads union_val, each trial is the demo's FreeNet stage
    with its options and about the same number of iterations."""
    import keypoint_union as ku
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-small']
    wf = Workflow(kv.trials_workflow(preset, 'data/x', 0, list(kv.TRIALS)),
                  'work_dirs/unused')
    evals = [st for st in wf.stages.values() if st['kind'] == 'evaluate']
    assert len(evals) == 2 + 2 * len(kv.TRIALS) + len(
        set(kv.TRIAL_CONTROLS.values()))
    for st in evals:
        assert st['cfg_options']['test_dataloader.dataset.ann_file'] == \
            'annotations/union_val.json'
    for name, (scale, opts) in kv.TRIALS.items():
        st = wf.stages[f'freenet_{name}']
        assert st['init'] == '@base.checkpoint'
        for k, v in opts.items():
            if k == 'seed_offset':  # the stage's seed: workflow seed + it
                assert st['seed'] == 0 + v and wf.keys['seed'] == 0
                continue
            got = st[k] if k in ku.STAGE_KEYS else st['cfg_options'][k]
            assert got == (list(v) if isinstance(v, tuple) else v)
        if 'seed_offset' not in opts:
            assert 'seed' not in st
        # iterations per epoch of DomainBalancedSampler with 1,620
        # unlabelled and 180 labelled instances, batches of 32 unless set
        u, lab = opts.get('train_dataloader.sampler.ratio', (7, 1))
        per_epoch = (u + lab) * max(-(-1620 // u), -(-180 // lab)) / \
            opts.get('batch_size', 32)
        # a trial K times as long (a TRIALS scale K above 1) has a control
        # as long (the naive merge's epoch: 180 labelled, 6 iterations)
        k = max(1.0, scale)
        assert abs(per_epoch * st['epochs'] - 348 * k) < 60 * k, name
        ctrl = wf.stages[kv.control_of(name)]
        assert abs(6 * ctrl['epochs'] - per_epoch * st['epochs']) < 60 * k


def test_keypoint_union_val_budget_trains_trials_and_control_longer():
    """``budget`` K: each trial K times its epochs, named ``_xK``, beside a
    control K times as long; the naive merge and 1x control are the same
    stages as without it (shared work dir), every evaluation on union_val."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-small']
    one = kv.trials_workflow(preset, 'data/x', 0, ['labelled_1to1'])
    three = kv.trials_workflow(preset, 'data/x', 0, ['labelled_1to1'], 3)
    Workflow(three, 'work_dirs/unused')  # a valid workflow
    a, b = one.stages, three.stages
    for k in ('naive_merge', 'naive_merge_longer', 'val_eval_naive_merge'):
        assert a[k] == b[k]
    ctrl = b['naive_merge_longer_x3']
    assert ctrl['epochs'] == 3 * a['naive_merge_longer']['epochs']
    assert ctrl['init'] == '@base.checkpoint'
    ev = b['val_eval_naive_merge_longer_x3']
    assert ev['model'] == '@naive_merge_longer_x3'
    assert ev['method'] == 'naive_merge_longer_x3'
    trial = b['freenet_labelled_1to1_x3']
    assert trial['epochs'] == 3 * a['freenet_labelled_1to1']['epochs']
    assert trial['cfg_options'] == a['freenet_labelled_1to1']['cfg_options']
    assert 'freenet_labelled_1to1' not in b
    for name, st in b.items():
        if st['kind'] == 'evaluate':
            assert st['cfg_options']['test_dataloader.dataset.ann_file'] \
                == 'annotations/union_val.json', name


def test_keypoint_union_val_trials_from_a_longer_trained_base():
    """``from_control`` K: the trials start from the export of the control
    trained K times longer, beside a control trained on from that export as
    long as the trials; the naive merge stages are the shared ones."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-small']
    one = kv.trials_workflow(preset, 'data/x', 0, ['labelled_1to1'])
    wf = kv.trials_workflow(preset, 'data/x', 0, ['labelled_1to1'],
                            from_control=3)
    Workflow(wf, 'work_dirs/unused')  # a valid workflow
    a, b = one.stages, wf.stages
    for k in ('naive_merge', 'naive_merge_longer', 'val_eval_naive_merge'):
        assert a[k] == b[k]
    assert b['naive_merge_longer_x3']['epochs'] == \
        3 * a['naive_merge_longer']['epochs']
    assert b['base_x3'] == dict(kind='export',
                                model='@naive_merge_longer_x3')
    trial = b['freenet_labelled_1to1_from_x3']
    ctrl = b['naive_merge_longer_x3_longer']
    assert trial['init'] == ctrl['init'] == '@base_x3.checkpoint'
    assert trial['epochs'] == a['freenet_labelled_1to1']['epochs']
    assert trial['cfg_options'] == a['freenet_labelled_1to1']['cfg_options']
    assert ctrl['epochs'] == a['naive_merge_longer']['epochs']
    assert a['freenet_labelled_1to1']['init'] == '@base.checkpoint'
    evals = {st['method'] for st in b.values() if st['kind'] == 'evaluate'}
    assert {'naive_merge_longer_x3', 'naive_merge_longer_x3_longer',
            'freenet_labelled_1to1_from_x3',
            'freenet_labelled_1to1_from_x3_teacher'} <= evals


def test_keypoint_union_val_trial_with_its_own_control():
    """A trial in TRIAL_CONTROLS (the student's lr) is compared with a
    control that shares its setting: the control stage from the same start
    with the variant's options, as long as the trial's own control, at every
    budget and base; other trials keep the plain control."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-converged']
    name = 'labelled_1to1_quarter_lr1e-4'
    assert kv.TRIAL_CONTROLS[name] == 'lr1e-4'
    for budget, start in ((1, 0), (3, 0), (1, 3)):
        wf = kv.trials_workflow(preset, 'data/x', 0,
                                [name, 'labelled_1to1_quarter'], budget,
                                start)
        Workflow(wf, 'work_dirs/unused')  # a valid workflow
        st = wf.stages
        ctrl = kv.control_of(name, budget, start)
        plain = kv.control_of('labelled_1to1_quarter', budget, start)
        assert ctrl != plain and plain in st
        assert st[ctrl]['cfg_options']['optim_wrapper.optimizer.lr'] == 1e-4
        assert 'optim_wrapper.optimizer.lr' not in (
            st[plain].get('cfg_options') or {})
        tid = kv.trial_id(name, budget, start)
        assert st[ctrl]['init'] == st[plain]['init'] == \
            st[f'freenet_{tid}']['init']
        assert st[ctrl]['epochs'] == st[plain]['epochs']
        assert st[f'freenet_{tid}']['cfg_options'][
            'optim_wrapper.student.optimizer.lr'] == 1e-4
        ev = st[f'val_eval_{ctrl}']
        assert ev['model'] == f'@{ctrl}' and ev['method'] == ctrl
        assert ev['cfg_options']['test_dataloader.dataset.ann_file'] == \
            'annotations/union_val.json'


def test_keypoint_union_val_all_labelled_control():
    """``controls``: the diagnostic all-labelled control runs beside the
    trials from the same start, at lr 1e-4, with every training instance of
    every source labelled (its config's labelled subsets at ratio 1) and
    about as many iterations as FreeNet's stage (1,800 instances an epoch,
    batches of 32)."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-converged']
    name = 'labelled_1to1_quarter_lr1e-4'
    wf = Workflow(kv.trials_workflow(preset, 'data/x', 0, [name],
                                     controls=['all_labelled_lr1e-4',
                                               'lr1e-4']),
                  'work_dirs/unused')
    row = kv.variant_row('all_labelled_lr1e-4')
    st, plain = wf.stages[row], wf.stages['naive_merge_longer']
    assert st['init'] == plain['init'] == wf.stages[f'freenet_{name}'][
        'init']
    assert abs(st['epochs'] * -(-1800 // 32) - 348) < 20
    # the trial's own control is not run twice
    assert sum(k.startswith('naive_merge_longer_lr1e-4')
               for k in wf.stages) == 1
    ev = wf.stages[f'val_eval_{row}']
    assert ev['model'] == f'@{row}' and ev['method'] == row
    assert ev['cfg_options']['test_dataloader.dataset.ann_file'] == \
        'annotations/union_val.json'
    cfg = wf.stage_config(row, st, {'init': 'x.pth'})
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.train_cfg.max_epochs == st['epochs']
    train = cfg.train_dataloader.dataset.datasets
    assert len(train) == 3 and all(
        d['labelled']['ratio'] == 1.0 for d in train)
    base = wf.stage_config('naive_merge_longer', plain, {'init': 'x.pth'})
    assert [d['labelled']['ratio'] for d in
            base.train_dataloader.dataset.datasets] == [0.1] * 3


def test_keypoint_union_val_all_labelled_naive_merge():
    """``naive_variants``: the all-labelled naive merge trains like the
    naive merge (same initialisation, config and lr), with every training
    instance labelled and as many instances seen (a tenth of the epochs of
    ten times the instances), evaluated on union_val; no trial needed."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-converged']
    wf = Workflow(kv.trials_workflow(preset, 'data/x', 0, [],
                                     naive_variants=['all_labelled']),
                  'work_dirs/unused')
    assert not any(k.startswith('freenet') for k in wf.stages)
    st, plain = wf.stages['naive_merge_all_labelled'], \
        wf.stages['naive_merge']
    assert 'init' not in st and st['config'] == plain['config']
    assert st['epochs'] * 10 == plain['epochs'] == 1200
    ev = wf.stages['val_eval_naive_merge_all_labelled']
    assert ev['model'] == '@naive_merge_all_labelled'
    assert ev['cfg_options']['test_dataloader.dataset.ann_file'] == \
        'annotations/union_val.json'
    cfg = wf.stage_config('naive_merge_all_labelled', st, {})
    base = wf.stage_config('naive_merge', plain, {})
    assert cfg.optim_wrapper.optimizer.lr == base.optim_wrapper.optimizer.lr
    assert cfg.train_cfg.max_epochs == 120
    assert [d['labelled']['ratio'] for d in
            cfg.train_dataloader.dataset.datasets] == [1.0] * 3
    assert [d['labelled']['ratio'] for d in
            base.train_dataloader.dataset.datasets] == [0.1] * 3


def test_keypoint_union_val_fresh_student_trials():
    """The fresh-student trials start the student from its own
    initialisation and train ten times as long beside a control as long;
    the annotations diagnostic differs from the pseudo-label trial only in
    what the student is trained on."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-converged']
    names = ['fresh_student_quarter', 'fresh_student_quarter_annotations']
    wf = Workflow(kv.trials_workflow(preset, 'data/x', 0, names),
                  'work_dirs/unused')
    cfgs = {}
    for name in names:
        st = wf.stages[f'freenet_{name}']
        assert st['epochs'] == 60
        assert kv.control_of(name) == kv.variant_row('x10')
        cfgs[name] = wf.stage_config(f'freenet_{name}', st,
                                     {'init': 'x.pth'})
    ctrl = wf.stages[kv.variant_row('x10')]
    assert ctrl['epochs'] == 580
    plain, ann = (cfgs[n] for n in names)
    for cfg in (plain, ann):
        assert cfg.model.semi_train_cfg.student_init == 'own'
        assert cfg.model.semi_train_cfg.pl_locate == 'quarter'
    assert plain.model.semi_train_cfg.get('pl_source', 'teacher') == \
        'teacher'
    assert ann.model.semi_train_cfg.pl_source == 'annotations'
    assert all(d['unlabelled_annotations']
               for d in ann.train_dataloader.dataset.datasets)
    assert not any(d.get('unlabelled_annotations')
                   for d in plain.train_dataloader.dataset.datasets)


def test_keypoint_union_val_annotation_trials():
    """The diagnostic trials that put the unlabelled instances'
    annotations in place of FreeNet's pseudo labels: the lr-1e-4 trial's
    stage with pl_source set and every source dataset keeping its
    unlabelled annotations, compared with the lr-1e-4 control."""
    import keypoint_union_val as kv
    from animal_da.apis.workflow import Workflow
    preset = kv.PRESETS['cpu-converged']
    names = ['labelled_1to1_quarter_lr1e-4_annotations',
             'labelled_1to1_quarter_lr1e-4_annotations_filtered',
             'labelled_7to1_quarter_lr1e-4_annotations']
    wf = Workflow(kv.trials_workflow(
        preset, 'data/x', 0, names + ['labelled_1to1_quarter_lr1e-4']),
        'work_dirs/unused')
    plain = wf.stage_config(
        'freenet_labelled_1to1_quarter_lr1e-4',
        wf.stages['freenet_labelled_1to1_quarter_lr1e-4'], {'init': 'x.pth'})
    assert plain.model.semi_train_cfg.get('pl_source', 'teacher') == \
        'teacher'
    assert not any(d.get('unlabelled_annotations') for d in
                   plain.train_dataloader.dataset.datasets)
    for name, source in zip(names, ('annotations', 'annotations_filtered',
                                    'annotations')):
        assert kv.control_of(name) == kv.variant_row('lr1e-4')
        st = wf.stages[f'freenet_{name}']
        # 1:1 batches: 101 iterations an epoch, 7:1 (FreeNet's): 58
        assert st['epochs'] == (6 if '7to1' in name else 3)
        cfg = wf.stage_config(f'freenet_{name}', st, {'init': 'x.pth'})
        assert cfg.model.semi_train_cfg.pl_source == source
        assert cfg.optim_wrapper.student.optimizer.lr == 1e-4
        train = cfg.train_dataloader.dataset.datasets
        assert len(train) == 3 and all(d['unlabelled_annotations']
                                       for d in train)
        assert [d['labelled']['ratio'] for d in train] == [0.1] * 3
        assert cfg.train_dataloader.sampler.ratio == (
            (7, 1) if '7to1' in name else [1, 1])
    # every trial with the student at lr 1e-4 has the control at 1e-4
    assert {t for t, (_, o) in kv.TRIALS.items() if o.get(
        'optim_wrapper.student.optimizer.lr') == 1e-4} == {
        t for t, v in kv.TRIAL_CONTROLS.items() if v == 'lr1e-4'}


def test_keypoint_union_benchmark_adds_the_trials_own_control():
    """Run with a trial in TRIAL_CONTROLS, the benchmark evaluates that
    trial's control (same start and length as the usual control, with the
    variant's options) as part of the control row, and not otherwise."""
    import keypoint_union as ku
    from animal_da.apis.workflow import Workflow
    preset = dict(ku.PRESETS['cpu-small'],
                  freenet_trial='labelled_1to1_quarter_lr1e-4')
    rows = ['naive_merge', 'naive_merge_longer', 'freenet']
    wf = Workflow(ku.union_workflow(preset, 'data/x', 0, rows),
                  'work_dirs/unused')
    ctrl = ku.variant_control(preset['freenet_trial'])
    a, b = wf.stages['naive_merge_longer'], wf.stages[ctrl]
    assert (a['init'], a['epochs']) == (b['init'], b['epochs'])
    assert b['cfg_options']['optim_wrapper.optimizer.lr'] == 1e-4
    assert ctrl in ku.evaluated_methods(wf)
    assert wf.stages['freenet']['cfg_options'][
        'optim_wrapper.student.optimizer.lr'] == 1e-4
    plain = ku.union_workflow(ku.PRESETS['cpu-small'], 'data/x', 0, rows)
    assert ku.PRESETS['cpu-small']['freenet_trial'] not in ku.TRIAL_CONTROLS
    assert ctrl not in plain.stages
    assert ctrl not in ku.union_workflow(preset, 'data/x', 0,
                                         ['freenet']).stages
    by = {m: {'ap': dict(mean=m == 'freenet_student', std=0.)}
          for m in ('freenet_student', ctrl)}
    assert ku.gains(by)[ctrl]['ap']['gain'] == 1


def test_keypoint_union_fresh_test_split(tmp_path):
    """``--test-seed``: a union_test drawn with another generator seed (new
    images, nothing else written), read by every evaluate stage while the
    train stages stay as they were (so their cached runs are reused)."""
    import copy
    import json
    import keypoint_union as ku
    from mmengine.config import Config
    from animal_da.apis.overrides import apply_options
    preset = dict(ku.PRESETS['cpu-small'], num_images=16, eval_images=3)
    data = str(tmp_path / 'union')
    with pytest.raises(ValueError, match='test-seed 0'):
        ku.ensure_test_data(preset, data, 0)
    folder, meta = ku.ensure_test_data(preset, data, 1)
    assert folder == data + '_test_seed1'
    assert meta['seed'] == 1 and meta['splits'] == {'union_test': 3}
    ku.ensure_union_data(dict(preset, eval_images=3), data)
    ann = {d: json.load(open(osp.join(d, 'annotations', 'union_test.json')))
           for d in (data, folder)}
    assert len(ann[folder]['images']) == 3
    assert ann[folder]['categories'] == ann[data]['categories']
    kps = {d: [a['keypoints'] for a in ann[d]['annotations']] for d in ann}
    assert kps[folder] != kps[data]  # other animals, not a copy
    rows = ['naive_merge', 'naive_merge_longer', 'freenet']
    wf = ku.union_workflow(preset, data, 0, rows)
    moved = ku.on_test_data(wf, folder)
    naive = Config.fromfile(osp.join(
        REPO, 'configs/freenet/'
        'td-hm_res18_synanimal-union-naive-10pct_96x96_demo.py'))
    for name, st in wf.stages.items():
        if st['kind'] == 'evaluate':
            cfg = copy.deepcopy(naive)
            apply_options(cfg, moved.stages[name]['cfg_options'])
            assert cfg.test_dataloader.dataset.data_root == folder
            assert cfg.train_dataloader.dataset.datasets[0].data_root \
                != folder
        else:
            assert moved.stages[name] == st
    assert moved.data_root == wf.data_root and moved.seed == wf.seed


def test_keypoint_union_val_keeps_earlier_trials(tmp_path):
    """A val run adds its trials to the JSON of an earlier run on the same
    data and seed (its own rows replace the earlier ones), and starts
    afresh on other data."""
    import json
    import keypoint_union_val as kv
    out = str(tmp_path / 'val.json')
    names = ('naive_merge', 'freenet_a_student', 'freenet_a_teacher',
             'freenet_b_student', 'freenet_b_teacher')
    old = dict(data=dict(n=600), seed=0, trials=dict(a={}, b={}), rows=[
        dict(method=m, ap=1, train_minutes=3) for m in names])
    with open(out, 'w') as f:
        json.dump(old, f)
    # the same naive merge (its training time is not a metric)
    new = [dict(method='naive_merge', ap=1, train_minutes=4),
           dict(method='freenet_b_student')]
    rows, trials, _ = kv.keep_earlier_trials(out, new, dict(b={}),
                                             dict(n=600), 0)
    assert [r['method'] for r in rows] == [
        'naive_merge', 'freenet_b_student', 'freenet_a_student',
        'freenet_a_teacher']
    assert rows[0]['train_minutes'] == 4 and set(trials) == {'a', 'b'}
    assert kv.keep_earlier_trials(out, new, dict(b={}), dict(n=150),
                                  0) == (new, dict(b={}), {})
    # a longer budget's trial keeps its control row
    with open(out, 'w') as f:
        json.dump(dict(old, trials=dict(a={}, b_x3=dict(budget=3)),
                       rows=old['rows'] + [
                           dict(method='naive_merge_longer_x3', ap=1),
                           dict(method='freenet_b_x3_student')]), f)
    rows3, trials3, _ = kv.keep_earlier_trials(out, new, dict(b={}),
                                               dict(n=600), 0)
    assert {'naive_merge_longer_x3', 'freenet_b_x3_student'} <= {
        r['method'] for r in rows3} and set(trials3) == {'a', 'b', 'b_x3'}
    # a trial's own control variant is kept with it
    with open(out, 'w') as f:
        json.dump(dict(old, trials=dict(a={}, c=dict(control='ctrl_c')),
                       rows=old['rows'] + [
                           dict(method='ctrl_c', ap=1),
                           dict(method='freenet_c_student')]), f)
    rows_c, _, _ = kv.keep_earlier_trials(out, new, dict(b={}), dict(n=600),
                                          0)
    assert {'ctrl_c', 'freenet_c_student'} <= {r['method'] for r in rows_c}
    # a control run on its own (--controls) is kept, unless run again
    with open(out, 'w') as f:
        json.dump(dict(old, controls=dict(ctrl_d=dict(variant='d')),
                       rows=old['rows'] + [dict(method='ctrl_d', ap=1)]), f)
    rows_d, _, ctrls = kv.keep_earlier_trials(out, new, dict(b={}),
                                              dict(n=600), 0)
    assert 'ctrl_d' in {r['method'] for r in rows_d} and set(ctrls) == {
        'ctrl_d'}
    again = new + [dict(method='ctrl_d', ap=2)]
    rows_d, _, ctrls = kv.keep_earlier_trials(
        out, again, dict(b={}), dict(n=600), 0, dict(ctrl_d=dict(variant='e')))
    assert [r['ap'] for r in rows_d if r['method'] == 'ctrl_d'] == [2]
    assert ctrls == dict(ctrl_d=dict(variant='e'))
    with open(out, 'w') as f:
        json.dump(old, f)
    # trials that started from another naive merge are not kept
    other = [dict(method='naive_merge', ap=2)] + new[1:]
    assert kv.keep_earlier_trials(out, other, dict(b={}), dict(n=600),
                                  0) == (other, dict(b={}), {})


@pytest.mark.parametrize('name', ['cpu-small', 'cpu-converged'])
def test_keypoint_union_runs_the_trial_chosen_on_val(name):
    """The benchmark's FreeNet stage carries its preset's trial (epochs
    scaled, options set), the trial is the best FreeNet student on union_val
    exclusive joints in the preset's committed val benchmark, and ``rows``
    keeps only the stages those rows need."""
    import json
    import keypoint_union as ku
    from animal_da.apis.workflow import Workflow
    preset = ku.PRESETS[name]
    scale, opts = ku.TRIALS[preset['freenet_trial']]
    wf = Workflow(ku.union_workflow(preset, 'data/x', 0), 'work_dirs/unused')
    st = wf.stages['freenet']
    assert st['epochs'] == round(preset['freenet_epochs'] * scale)
    for k, v in opts.items():
        assert st['cfg_options'][k] == (list(v) if isinstance(v, tuple)
                                        else v)
    assert {f'{s}_only' for s in ku.SOURCES} <= set(wf.stages)
    with open(osp.join(REPO, 'docs', 'benchmarks',
                       f'keypoint_union_val_{name}.json')) as f:
        val = json.load(f)
    # the val run saw the preset's data (its union_val size among it)
    n = preset['eval_images']
    assert val['data']['split_sizes'] == dict(union_test=n, union_val=n)
    # among the trials at the preset's budget (``--budget`` rows compare
    # with their own, longer control)
    same = {f'freenet_{k}_student' for k, v in val['trials'].items()
            if v.get('budget', 1) == 1 and not v.get('from_control')}
    students = {r['method']: r['ap_exclusive']['mean'] for r in val['rows']
                if r['method'] in same}
    best = max(students, key=students.get)
    assert best == f'freenet_{preset["freenet_trial"]}_student'
    sub = ku.union_workflow(preset, 'data/x', 0, ['freenet', 'naive_merge'])
    assert set(sub.stages) == {'naive_merge', 'base', 'freenet',
                               'eval_naive_merge', 'eval_freenet',
                               'eval_freenet_teacher'}


def test_keypoint_union_gpu_preset_is_paper_sized(tmp_path):
    """--preset gpu: every row trains FreeNet's paper model (HRNet-W32,
    256x256 in, 64x64 heatmaps, the 24-joint union, no ImageNet download)
    on the generated sources, with the preset's epochs and batch size; the
    naive merge, its control and FreeNet label the same instances."""
    import keypoint_union as ku
    from animal_da.apis.workflow import Workflow
    preset = ku.PRESETS['gpu']
    wf = Workflow(ku.union_workflow(preset, 'data/x', 0), str(tmp_path))
    trains = {n for n, st in wf.stages.items() if st['kind'] == 'train'}
    assert trains == {'naive_merge', 'naive_merge_longer', 'freenet',
                      *(f'{s}_only' for s in ku.SOURCES)}
    labelled = {}
    for name in trains:
        st = wf.stages[name]
        cfg = wf.stage_config(name, st, dict(init='base.pth'))
        pose = cfg.model.get('pose_estimator', cfg.model)
        assert pose.backbone.type == 'HRNet', name
        assert pose.backbone.get('init_cfg') is None, name
        assert pose.head.out_channels == 24
        assert tuple(pose.head.decoder.input_size) == (256, 256)
        assert tuple(pose.head.decoder.heatmap_size) == (64, 64)
        assert cfg.train_cfg.max_epochs == st['epochs']
        assert cfg.train_dataloader.batch_size == preset['batch_size']
        sources = cfg.train_dataloader.dataset.datasets
        assert all(d.data_root.startswith('data/x') for d in sources)
        labelled[name] = {d.keypoint_set: d.labelled for d in sources}
        assert cfg.test_dataloader.dataset.ann_file.endswith(
            'union_test.json')
    assert labelled['naive_merge'] == labelled['freenet'] == labelled[
        'naive_merge_longer']
    assert set(labelled['naive_merge']) == set(ku.SOURCES)
    assert wf.stages['freenet']['epochs'] == preset['freenet_epochs']


def test_scarce_labels_seed_record_skips_the_start_model(tmp_path,
                                                         monkeypatch):
    """A scarce-labels seed with a record under the same settings is not
    run, and its start model (the source-only run) is not trained; a seed
    without one trains it once and writes its record."""
    import _common
    import scarce_labels as sl
    from mmengine.logging import MMLogger
    runs, inits = [], []

    def fake_run(workflow, work_dir):
        runs.append(work_dir)
        assert workflow.stages.labelled_only.init == 'start.pth'
        return dict(rows=[dict(method='labelled_only',
                               train_stage='labelled_only',
                               ap=dict(mean=2.0, std=0.0, per_seed=[2.0]))],
                    skipped=[], stages=dict(labelled_only=dict(outputs=dict(
                        train_images_per_s=40.0, train_s=5.0))))

    def init():
        inits.append(1)
        return 'start.pth'

    monkeypatch.setattr(_common, 'run_workflow', fake_run)
    preset = sl.PRESETS['cpu-converged']
    record = str(tmp_path / 'seed0.json')
    args = (preset, 'data/x', str(tmp_path / 'work'), 0, init,
            ['labelled_only'], False, MMLogger.get_instance('test'), record,
            dict(preset=1))
    first = sl.run_seed(*args)
    assert len(runs) == 1 and inits == [1] and 'quality' not in first
    again = sl.run_seed(*args)
    assert len(runs) == 1 and inits == [1]
    assert again['summary']['skipped'] == ['labelled_only']


def test_step_cost_keep_going_drops_a_broken_row(tiny_data, tmp_path):
    """With ``failed`` (``--keep-going``) a row that raises is recorded and
    dropped; the other rows are still timed (on the device asked for)."""
    import step_cost as sc
    specs = dict(plain=(sc.ROWS['plain'], None),
                 broken=(dict(config='configs/baselines/missing.py'), None),
                 fidip=(sc.ROWS['fidip'], None))
    failed = {}
    rows = sc.measure(specs, tiny_data.rstrip('/') + '/', 4, 1,
                      str(tmp_path), width=0.25, device='cpu',
                      failed=failed, data_wait=1)
    assert set(rows) == {'plain', 'fidip'}
    assert rows['plain']['ms_per_image'] > 0
    # each kept row also trained from its own loader, timing the waits
    assert all(r['breakdown_ms']['data_wait'] >= 0 for r in rows.values())
    assert set(failed) == {'broken'} and 'missing.py' in failed['broken']
    with pytest.raises(Exception):  # without it, errors propagate
        sc.measure({'broken': specs['broken']}, tiny_data, 4, 1,
                   str(tmp_path))


def test_step_cost_scarcenet_rows_train_on_hidden_labels(tiny_data, tmp_path):
    """The ScarceNet rows' unlabelled training instances carry their hidden
    labels as pseudo labels (read from --data, none filtered out)."""
    import json

    import step_cost as sc
    from mmengine.config import Config

    from animal_da.apis.overrides import semi_datasets
    cfg = Config.fromfile(osp.join(REPO, sc.ROWS['scarcenet']['config']))
    for _, d in semi_datasets(cfg._cfg_dict):  # 16 images: 1 per species
        if d.get('labelled'):
            d['labelled'] = dict(d['labelled'], per_category=1)
    sc.Run._hidden_labels(cfg, tiny_data.rstrip('/') + '/', str(tmp_path))
    train = [d for p, d in semi_datasets(cfg._cfg_dict)
             if p.startswith('train_dataloader')]
    assert train and all(d['pseudo_labels']['filter']['percentile'] == 0
                         for d in train if d.get('role') != 'labelled')
    with open(train[0]['pseudo_labels']['file']) as f:
        entries = json.load(f)['annotations']
    assert entries and all(max(e['keypoints'][2::3]) > 0 for e in entries)


def test_freenet_pseudo_label_check_counts_and_locates(tiny_union_data,
                                                       tmp_path):
    """freenet_pseudo_labels.py: with the annotations themselves as the
    teacher's heatmaps, every kept label of an annotated joint in the crop
    is right (its argmax within half a heatmap pixel, its OKS term near 1)
    and none is wrong; with random weights the script runs end to end; DARK
    places a label on a Gaussian at a sub-pixel position nearer than the
    integer argmax does."""
    import numpy as np
    import torch

    import freenet_pseudo_labels as fpl
    from animal_da.pseudo_labels.geometry import render_gaussian
    from mmengine.runner import set_random_seed

    def annotations(model, ori, samples):  # a teacher that is always right
        kpts = torch.stack([torch.as_tensor(
            s.gt_instances.transformed_keypoints[0], dtype=torch.float32)
            for s in samples]) / 4
        heat, _ = render_gaussian(kpts, torch.ones(kpts.shape[:2]), 1.0,
                                  (24, 24), mode='untruncated')
        return heat

    set_random_seed(0)
    model, loader = fpl.build(fpl.CONFIG, tiny_union_data, None, 0.5, 8)
    r = fpl.measure(model, loader, 2, labeller=annotations)
    for name in ('shared', 'exclusive'):
        s = r[name]
        assert s['kept'] > 0 and s['wrong_pct'] == 0
        assert s['right_pct'] + s['outside_crop_pct'] == 100
        assert s['right_pct'] > 50
        assert s['error_px']['argmax']['mean'] <= 2 * 2 ** 0.5
        assert s['error_px']['argmax']['mean_oks'] > 0.5
    out = str(tmp_path / 'pl.json')
    r = fpl.main(['--data', tiny_union_data, '--batches', '1',
                  '--batch-size', '8', '--floor', '0', '--out', out])
    assert json.load(open(out))['subsets'] == r['subsets']
    assert r['subsets']['exclusive']['kept'] > 0
    assert set(r['subsets']) >= {'only_tigdog', 'only_animalpose'}
    assert all(0 <= v['passed_pct'] <= 100 for v in r['subsets'].values())
    r = fpl.main(['--data', tiny_union_data, '--batches', '1',
                  '--batch-size', '8', '--part-groups', 'by_source',
                  '--out', out])
    assert 'exclusive@tigdog' in r['keep_ratios']
    true = torch.tensor([[[10.3, 7.6]]])
    heat, _ = render_gaussian(true, torch.ones(1, 1), 1.0, (24, 24),
                              mode='untruncated')
    ways = fpl.locations(heat, 1.0)
    err = {k: float(np.linalg.norm(v[0, 0] - true[0, 0].numpy()))
           for k, v in ways.items()}
    assert err['dark3'] < err['quarter'] <= err['argmax']
