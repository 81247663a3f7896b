"""Workflows: stages chained by name, resumable, checked before they run;
config edits by type; resuming through a plain mmengine Runner."""
import glob
import json
import os
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config

from animal_da.apis.overrides import (OverrideError, apply_options,
                                      apply_workflow_keys, semi_datasets,
                                      set_typed_path)
from animal_da.apis.workflow import Workflow, WorkflowError, run_workflow

from conftest import BASELINE, REPO

STAGE1 = osp.join(
    REPO, 'configs/scarcenet/td-hm_res18_synanimal-real-5shot_96x96_demo.py')
SHORT = osp.join(REPO, 'configs/scarcenet/'
                 'scarcenet-short_res18_synanimal-real-5shot_96x96_demo.py')
# the workflow of `make demo` (tools/demo.py)
DEMO_WORKFLOW = osp.join(
    REPO, 'configs/scarcenet/'
    'scarcenet-short_res18-half_synanimal-real-5shot_96x96_demo_workflow.py')


def tiny(extra=None) -> dict:
    """Stage cfg_options for a seconds-long run of a plain model."""
    opts = {'train_dataloader.batch_size': 8,
            'model.head.deconv_out_channels': [32, 32, 32],
            'default_hooks.logger.interval': 1}
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    opts.update(extra or {})
    return opts


def three_stages(data_root: str, tta: int = 1) -> Config:
    """train -> export -> pseudo_label on the tiny data."""
    return Config(dict(
        data_root=data_root,
        seed=0,
        labelled=dict(per_category=1),  # the tiny data: 2-3 per species
        stages=dict(
            stage1_train=dict(kind='train', config=STAGE1, epochs=1,
                              validate=False,
                              cfg_options=tiny({
                                  'train_dataloader.dataset.times': 1})),
            stage1=dict(kind='export', model='@stage1_train'),
            pseudo_labels=dict(kind='pseudo_label', model='@stage1',
                               num_transforms=tta, batch_size=4),
        )))


def test_three_stage_workflow_resumes_and_reruns_changed(tiny_data,
                                                         tmp_path,
                                                         monkeypatch):
    work = str(tmp_path / 'wf')
    # "killed" after stage 1: the export stage dies once
    calls = dict(n=0)
    real_export = Workflow._run_export

    def dying_export(self, *args):
        calls['n'] += 1
        if calls['n'] == 1:
            raise KeyboardInterrupt('killed')
        return real_export(self, *args)

    monkeypatch.setattr(Workflow, '_run_export', dying_export)
    with pytest.raises(KeyboardInterrupt):
        run_workflow(three_stages(tiny_data), work)
    with open(osp.join(work, 'workflow_state.json')) as f:
        state = json.load(f)['stages']
    assert state['stage1_train']['status'] == 'done'
    assert state['stage1']['status'] == 'running'
    ckpt = state['stage1_train']['outputs']['checkpoint']
    mtime = os.path.getmtime(ckpt)

    summary = run_workflow(three_stages(tiny_data), work)
    assert os.path.getmtime(ckpt) == mtime  # stage 1 skipped, not retrained
    outs = {n: s['outputs'] for n, s in summary['stages'].items()}
    # outputs passed by name: the export read stage 1's checkpoint, the
    # pseudo labels the export's model
    assert outs['stage1']['source_config'] == \
        outs['stage1_train']['config']
    pl = outs['pseudo_labels']['file']
    with open(pl) as f:
        labels = json.load(f)
    assert labels['info']['checkpoint'] == osp.basename(
        outs['stage1']['checkpoint'])
    assert labels['info']['num_transforms'] == 1
    assert labels['annotations']
    first = {n: s['seconds'] for n, s in summary['stages'].items()}

    # a changed input re-runs that stage only
    summary = run_workflow(three_stages(tiny_data, tta=2), work)
    with open(pl) as f:
        assert json.load(f)['info']['num_transforms'] == 2
    with open(osp.join(work, 'workflow_state.json')) as f:
        state = json.load(f)['stages']
    assert os.path.getmtime(ckpt) == mtime
    assert state['stage1_train']['seconds'] == first['stage1_train']
    assert state['stage1']['seconds'] == first['stage1']
    assert osp.isfile(osp.join(work, 'summary.json'))


def _expect_error(cfg: Config, tmp_path, *words):
    work = tmp_path / f'bad_{uuid.uuid4().hex[:6]}'
    with pytest.raises(WorkflowError) as err:
        Workflow(cfg, str(work)).run()
    for w in words:
        assert w in str(err.value)
    assert not work.exists()  # nothing ran
    return err


def test_invalid_workflows_fail_before_training(tiny_data, tmp_path):
    good = three_stages(tiny_data)
    bad = Config(good.to_dict())
    bad.stages.stage1.kind = 'exprot'
    _expect_error(bad, tmp_path, "'stage1'", 'exprot')
    bad = Config(good.to_dict())
    bad.stages.pseudo_labels.model = '@nowhere'
    _expect_error(bad, tmp_path, "'pseudo_labels'", 'nowhere')
    bad = Config(good.to_dict())
    bad.stages.pseudo_labels.model = '@stage1.file'
    _expect_error(bad, tmp_path, "'pseudo_labels'", "'file'")
    bad = Config(good.to_dict())
    bad.stages.stage1_train.config = str(tmp_path / 'missing.py')
    _expect_error(bad, tmp_path, "'stage1_train'", 'not found')
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(\n')
    bad = Config(good.to_dict())
    bad.stages.stage1_train.config = str(broken)
    _expect_error(bad, tmp_path, "'stage1_train'", 'broken.py')
    # a stage that reads pseudo labels into a config that takes none
    bad = Config(good.to_dict())
    bad.stages.stage1_train.pseudo_labels = '@stage1_train.checkpoint'
    _expect_error(bad, tmp_path, "'stage1_train'")
    bad = Config(good.to_dict())
    bad.stages.stage1.colour = 'red'
    _expect_error(bad, tmp_path, "'stage1'", 'colour')


def test_overrides_by_type_reach_every_semi_dataset():
    cfg = Config.fromfile(SHORT)
    found = [p for p, _ in semi_datasets(cfg._cfg_dict)
             if p.startswith('train_dataloader')]
    # ConcatDataset of RepeatDataset(labelled) and the pseudo-labelled pool
    assert found == ['train_dataloader.dataset.datasets.0.dataset',
                     'train_dataloader.dataset.datasets.1']
    apply_options(cfg, {'data_root': 'data/elsewhere',
                        'pseudo_label_file': 'pl.json',
                        'labelled.per_category': 10,
                        'init_checkpoint': 'plain.pth'})
    for path, d in semi_datasets(cfg._cfg_dict):
        assert d['data_root'] == 'data/elsewhere/', path
        assert d['labelled']['per_category'] == 10, path
    with_pl = [d for _, d in semi_datasets(cfg._cfg_dict)
               if d.get('pseudo_labels')]
    assert [d['pseudo_labels']['file'] for d in with_pl] == ['pl.json']
    assert cfg.pseudo_label_file == 'pl.json'
    assert cfg.model.init_cfg.checkpoint == 'plain.pth'
    for split in ('val', 'test'):
        assert cfg[f'{split}_dataloader'].dataset.data_root == \
            'data/elsewhere/'
    assert cfg.pseudo_label_dataset.data_root == 'data/elsewhere/'
    # a hook found by its type, whatever its position
    cfg.custom_hooks = list(reversed(cfg.custom_hooks))
    set_typed_path(cfg, 'custom_hooks[ScheduledValuesHook].values.'
                   'small_loss_rate.length', 7)
    hook = [h for h in cfg.custom_hooks
            if h['type'] == 'ScheduledValuesHook'][0]
    assert hook['values']['small_loss_rate']['length'] == 7
    with pytest.raises(OverrideError):
        set_typed_path(cfg, 'custom_hooks[NoSuchHook].x', 1)
    # epochs move the cosine schedule with them
    apply_workflow_keys(cfg, epochs=9)
    cos = [s for s in cfg.param_scheduler
           if s['type'] == 'CosineAnnealingLR'][0]
    assert (cos['T_max'], cos['end'], cfg.train_cfg.max_epochs) == (9, 9, 9)
    # a plain model starts from load_from
    base = Config.fromfile(BASELINE)
    apply_workflow_keys(base, init_checkpoint='plain.pth')
    assert base.load_from == 'plain.pth'
    with pytest.raises(OverrideError):
        apply_workflow_keys(base, pseudo_label_file='pl.json')


def test_plain_runner_resumes_its_own_work_dir(tiny_data, tmp_path):
    """A Runner built by any entry point (here Runner.from_cfg, as mmpose's
    tools/train.py) resumes from checkpoints it wrote; they load
    weights-only, so tools/test.py needs no trust either."""
    from mmengine.runner import Runner

    from conftest import fast_options
    from mmengine.config import DictAction
    import argparse

    work = str(tmp_path / 'run')

    def cfg_for(epochs):
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        opts = parser.parse_args(
            ['--o'] + fast_options(tiny_data, max_epochs=epochs)).o
        cfg = Config.fromfile(BASELINE)
        cfg.merge_from_dict(opts)
        cfg.work_dir = work
        return cfg

    Runner.from_cfg(cfg_for(1)).train()
    ckpt = osp.join(work, 'epoch_1.pth')
    loaded = torch.load(ckpt, weights_only=True)  # no trust needed
    assert 'message_hub' in loaded and 'optimizer' in loaded
    cfg = cfg_for(2)
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 2
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    # the resumed message hub has its history back
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) > 0

    from animal_da.apis.launch import (build_test_cfg, parse_test_args,
                                       test)
    # mmpose's usual call: a run's checkpoint, another folder, no opt-in
    metrics = test(build_test_cfg(parse_test_args(
        [BASELINE, osp.join(work, 'epoch_2.pth'), '--work-dir',
         str(tmp_path / 'elsewhere'), '--cfg-options'] +
        fast_options(tiny_data))))
    assert 'coco/AP' in metrics


def test_demo_workflow_parses_and_first_stage_trains(tiny_data, tmp_path):
    wf = Workflow(DEMO_WORKFLOW, str(tmp_path / 'demo'),
                  options={'data_root': tiny_data})
    assert list(wf.stages)[:2] == ['pretrain', 'pretrained']
    first = list(wf.stages)[0]
    st = wf.stages[first]
    # the demo's own model options (half width), sped up for the test
    stage = dict(st, epochs=1, cfg_options=dict(st['cfg_options'], **tiny()),
                 config=wf._config_path(first, st['config']))
    only = Config(dict(data_root=tiny_data, seed=0, stages={first: stage}))
    summary = run_workflow(only, str(tmp_path / 'demo'))
    out = summary['stages'][first]['outputs']
    assert osp.isfile(out['checkpoint'])
    assert Config.fromfile(out['config']).model.backbone.base_channels == 32


WORKFLOWS = sorted(glob.glob(
    osp.join(REPO, 'configs', '*', '*_workflow.py')))


@pytest.mark.parametrize('path', WORKFLOWS,
                         ids=[osp.basename(p) for p in WORKFLOWS])
def test_every_workflow_checks(path, tmp_path):
    """Every shipped workflow: known kinds, references that resolve,
    stage configs that parse and take the stage's settings."""
    wf = Workflow(path, str(tmp_path / 'w'))
    assert any(s['kind'] == 'evaluate' for s in wf.stages.values())


def test_dist_run_workflow_two_cpu_processes(tiny_data, tmp_path):
    """tools/dist_run_workflow.sh: the train and evaluate stages on both
    ranks, the export on rank 0, one state file."""
    import subprocess
    import sys

    from dist_utils import free_port
    if not torch.distributed.is_available():
        pytest.skip('torch.distributed is not available in this torch build')
    wf = three_stages(tiny_data)
    wf.stages.pop('pseudo_labels')
    wf.stages['evaluate'] = dict(kind='evaluate', model='@stage1_train',
                                 method='labelled_only',
                                 cfg_options=tiny())
    path = str(tmp_path / 'two_stage_workflow.py')
    with open(path, 'w') as f:  # a file as users write it, stages in order
        for key, value in wf.to_dict().items():
            f.write(f'{key} = {value!r}\n')
    work = str(tmp_path / 'dist_wf')
    env = dict(os.environ, PORT=str(free_port()), PYTHON=sys.executable,
               OMP_NUM_THREADS='1')
    out = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_run_workflow.sh'), path, '2',
         '--work-dir', work], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with open(osp.join(work, 'summary.json')) as f:
        summary = json.load(f)
    assert [s['status'] for s in summary['stages'].values()] == ['done'] * 3
    assert osp.isfile(summary['stages']['stage1']['outputs']['checkpoint'])
    assert summary['rows'][0]['method'] == 'labelled_only'


def test_a_file_given_as_it_is_starts_a_stage(tmp_path):
    """``init`` / ``pseudo_labels`` may name files instead of stages."""
    wf = Workflow(Config(dict(stages=dict(
        s2=dict(kind='train', config=SHORT, init='plain.pth',
                pseudo_labels='pl.json')))), str(tmp_path / 'w'))
    st = wf.stages['s2']
    cfg = wf.stage_config('s2', st, wf.resolve('s2', st, {}))
    assert cfg.model.init_cfg.checkpoint == 'plain.pth'
    assert [d['pseudo_labels']['file'] for _, d in semi_datasets(
        cfg._cfg_dict) if d.get('pseudo_labels')][0] == 'pl.json'


def test_a_stage_batch_size_epochs_and_seed_override_the_workflow_keys(
        tmp_path):
    """A train stage's own ``batch_size`` / ``epochs`` / ``seed`` win over
    the workflow-wide keys (which a stage's ``cfg_options`` do not: the keys
    are applied after them); other stages keep the workflow's."""
    wf = Workflow(Config(dict(batch_size=8, epochs=3, seed=5, stages=dict(
        a=dict(kind='train', config=SHORT, batch_size=16, epochs=2, seed=7,
               cfg_options={'randomness.seed': 9}),
        b=dict(kind='train', config=SHORT,
               cfg_options={'randomness.seed': 9})))), str(tmp_path / 'w'))
    got = {}
    for name in ('a', 'b'):
        st = wf.stages[name]
        cfg = wf.stage_config(name, st, wf.resolve(name, st, {}))
        got[name] = (cfg.train_dataloader.batch_size,
                     cfg.train_cfg.max_epochs, cfg.randomness.seed)
    assert got == dict(a=(16, 2, 7), b=(8, 3, 5))


def test_interrupted_train_stage_resumes_from_its_checkpoint(tiny_data,
                                                             tmp_path):
    """A train stage killed during its second epoch (state 'running', only
    epoch 1 saved) resumes from epoch 1 instead of starting again."""
    work = str(tmp_path / 'wf')
    cfg = Config(dict(data_root=tiny_data, seed=0, stages=dict(
        source=dict(kind='train', config=BASELINE, epochs=2, validate=False,
                    cfg_options=tiny({
                        'default_hooks.checkpoint.interval': 1,
                        'default_hooks.checkpoint.max_keep_ckpts': 3})))))
    run_workflow(cfg, work)
    folder = osp.join(work, 'source')
    # the kill: epoch 2 never saved, the stage never marked done
    os.remove(osp.join(folder, 'epoch_2.pth'))
    with open(osp.join(folder, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(folder, 'epoch_1.pth'))
    state_file = osp.join(work, 'workflow_state.json')
    with open(state_file) as f:
        state = json.load(f)
    state['stages']['source'] = dict(
        status='running', kind='train',
        fingerprint=state['stages']['source']['fingerprint'])
    with open(state_file, 'w') as f:
        json.dump(state, f)
    summary = run_workflow(cfg, work)
    out = summary['stages']['source']['outputs']
    assert out['resumed'] is True
    assert out['checkpoint'].endswith('epoch_2.pth')
    ckpt = torch.load(out['checkpoint'], weights_only=True)
    assert ckpt['meta']['epoch'] == 2


def test_evaluated_model_is_a_workflow_setting(tmp_path, monkeypatch):
    """teacher / student / best_on_val: the workflow's evaluated_model, a
    stage's own which / predict_on first; best_on_val evaluates both
    networks on the val split once and takes the better."""
    calls = []

    def fake_test(self, src, ckpt, work_dir, predict_on=None, on_val=False,
                  cfg_options=None):
        calls.append((predict_on, on_val))
        ap = dict(teacher=0.2, student=0.3)[predict_on]
        return {'coco/AP': ap, 'PCK': ap}

    monkeypatch.setattr(Workflow, '_test', fake_test)
    stages = dict(s2=dict(kind='train', config=SHORT, epochs=1))
    wf = Workflow(Config(dict(stages=stages, evaluated_model='best_on_val')),
                  str(tmp_path / 'wf'))
    src = dict(config=SHORT, work_dir=str(tmp_path))
    net, val = wf.network_of('ev', {}, 'predict_on', src, 's2', 'a.pth')
    assert net == 'student' and val['student']['coco/AP'] == 0.3
    assert calls == [('teacher', True), ('student', True)]
    # cached per checkpoint; a stage's own setting wins
    assert wf.network_of('ex', {}, 'which', src, 's2', 'a.pth')[0] == \
        'student' and len(calls) == 2
    assert wf.network_of('ev', dict(predict_on='teacher'), 'predict_on', src,
                         's2', 'a.pth') == ('teacher', {})
    # the recipe's own choice when the workflow names none
    wf2 = Workflow(Config(dict(stages=stages)), str(tmp_path / 'wf2'))
    assert wf2.network_of('ev', {}, 'predict_on', src, 's2',
                          'a.pth')[0] == 'teacher'
    # a plain model has one network
    plain = dict(config=BASELINE, work_dir=str(tmp_path))
    assert wf.network_of('ev', {}, 'predict_on', plain, 's2',
                         'b.pth') == (None, {})
    with pytest.raises(WorkflowError, match='teacher-student'):
        wf.network_of('ev', dict(predict_on='student'), 'predict_on', plain,
                      's2', 'b.pth')
    # a metric the val evaluation does not give
    wf3 = Workflow(Config(dict(stages=stages, evaluated_model='best_on_val',
                               selection_metric='coco/AR')),
                   str(tmp_path / 'wf3'))
    with pytest.raises(WorkflowError, match='coco/AR'):
        wf3.network_of('ev', {}, 'predict_on', src, 's2', 'c.pth')
    # bad values fail when the workflow is checked
    with pytest.raises(WorkflowError, match='evaluated_model'):
        Workflow(Config(dict(stages=stages, evaluated_model='ema')),
                 str(tmp_path / 'wf4'))
    bad = dict(stages, ev=dict(kind='evaluate', model='@s2',
                               predict_on='best'))
    with pytest.raises(WorkflowError, match='best_on_val'):
        Workflow(Config(dict(stages=bad)), str(tmp_path / 'wf5'))


def test_train_stage_records_its_learning_curve(tiny_data, tmp_path):
    """Every validation of a train stage is recorded with the training
    minutes spent before it (validation excluded)."""
    cfg = Config(dict(data_root=tiny_data, seed=0, stages=dict(
        source=dict(kind='train', config=BASELINE, epochs=2,
                    cfg_options=tiny({'train_cfg.val_interval': 1})))))
    summary = run_workflow(cfg, str(tmp_path / 'wf'))
    out = summary['stages']['source']['outputs']
    with open(out['learning_curve']) as f:
        points = json.load(f)['points']
    assert [p['epoch'] for p in points] == [1, 2]
    assert 0 < points[0]['train_minutes'] < points[1]['train_minutes']
    assert points[1]['train_minutes'] * 60 <= out['train_s']
    assert 'coco/AP' in points[0]['metrics']


@pytest.mark.parametrize('config', [
    BASELINE,
    'configs/uda_animal/td-hm_res18-refine_synanimal-source_96x96_demo.py',
    'configs/uda_animal/uda-animal_res18_synanimal-to-real_96x96_demo.py',
    'configs/scarcenet/scarcenet_res18_synanimal-real-5shot_96x96_demo.py',
    'configs/fidip/fidip_res18_synanimal-syn+real-5shot_96x96_demo.py'])
def test_width_key_builds_a_narrower_model_of_every_recipe(config):
    """``width=0.5``: every network of a recipe half as wide, its heads and
    discriminators fitting what they read."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    sizes = {}
    for width in (1.0, 0.5):
        cfg = Config.fromfile(osp.join(REPO, config))
        apply_workflow_keys(cfg, width=width)
        cfg.model.pop('init_cfg', None)
        model = MODELS.build(cfg.model)
        sizes[width] = sum(p.numel() for p in model.parameters())
        x = torch.randn(2, 3, 96, 96)
        with torch.no_grad():
            if hasattr(model, 'run'):  # UDA: features into the discriminator
                out = model.run(model.student, x)
                model.discriminator(out['features'])
            elif hasattr(model, 'run_pose'):  # FiDIP
                model.discriminator(model.run_pose(x)[1])
            else:
                model(x, None, mode='tensor')
    assert sizes[0.5] < 0.4 * sizes[1.0]
    with pytest.raises(OverrideError, match='ResNet'):
        cfg = Config.fromfile(osp.join(REPO, 'configs/scarcenet/'
                                       'scarcenet_hrnet-w32_ap10k-5shot_'
                                       '256x256.py'))
        apply_workflow_keys(cfg, width=0.5)


def _counting_part_bank(monkeypatch) -> dict:
    """Stub the part-bank stage (no rendering): counts its runs."""
    calls = dict(n=0)

    def stub(self, name, st, resolved, outputs, cfg):
        calls['n'] += 1
        os.makedirs(osp.join(self.work_dir, name), exist_ok=True)
        return dict(dir=osp.join(self.work_dir, name))

    monkeypatch.setattr(Workflow, '_run_part_bank', stub)
    return calls


def test_regenerated_data_runs_the_stages_again(tmp_path, monkeypatch):
    """The fingerprint holds generated data's meta.json: the same data skips
    a finished stage, regenerated data (other sizes) runs it again."""
    calls = _counting_part_bank(monkeypatch)
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'meta.json').write_text(json.dumps(dict(splits=dict(a=150))))
    cfg = Config(dict(data_root=str(data), stages=dict(
        parts=dict(kind='part_bank', num_images=1))))
    work = str(tmp_path / 'wf')
    run_workflow(cfg, work)
    run_workflow(cfg, work)
    assert calls['n'] == 1
    (data / 'meta.json').write_text(json.dumps(dict(splits=dict(a=600))))
    run_workflow(cfg, work)
    assert calls['n'] == 2


def test_one_workflow_at_a_time_in_a_work_dir(tmp_path, monkeypatch):
    """A second workflow in a work dir that another one holds stops with a
    clear error before running anything; once released, it runs."""
    fcntl = pytest.importorskip('fcntl')
    calls = _counting_part_bank(monkeypatch)
    cfg = Config(dict(stages=dict(parts=dict(kind='part_bank',
                                             num_images=1))))
    work = tmp_path / 'wf'
    work.mkdir()
    with open(work / '.workflow.lock', 'w') as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(WorkflowError, match='another workflow'):
            run_workflow(cfg, str(work))
    assert calls['n'] == 0
    run_workflow(cfg, str(work))
    assert calls['n'] == 1
