"""ScarceNet end to end on tiny data: stage 1, export, TTA pseudo labels
(resumable), stage 2 with three views, export of teacher and student."""
import glob
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, fast_options

sys.path.insert(0, osp.join(REPO, 'tools'))
import export_model  # noqa: E402
import pseudo_label as pl_tool  # noqa: E402
import train as train_tool  # noqa: E402


STAGE1 = osp.join(REPO, 'configs/scarcenet/'
                  'td-hm_res18_synanimal-real-5shot_96x96_demo.py')
STAGE2 = osp.join(REPO, 'configs/scarcenet/'
                  'scarcenet_res18_synanimal-real-5shot_96x96_demo.py')
SHORT = osp.join(REPO, 'configs/scarcenet/'
                 'scarcenet-short_res18_synanimal-real-5shot_96x96_demo.py')


def _stage1_opts(data):
    root = data.rstrip('/') + '/'
    return fast_options(
        data, train_key='train_dataloader.dataset.dataset') + [
        'train_dataloader.dataset.times=2',
        'train_dataloader.dataset.dataset.labelled.per_category=1',
        f'pseudo_label_dataset.data_root={root}',
        'pseudo_label_dataset.labelled.per_category=1',
    ]


@pytest.fixture(scope='module')
def stage1(tiny_data, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('stage1'))
    opts = _stage1_opts(tiny_data)
    train_tool.main([STAGE1, '--work-dir', work, '--cfg-options'] + opts)
    ckpt = osp.join(work, 'epoch_1.pth')
    out = str(tmp_path_factory.mktemp('stage1_export'))
    _, plain = export_model.main([STAGE1, ckpt, '--out', out, '--work-dir',
                                  work])
    return work, ckpt, plain, opts


def _stage1_cfg_file(data: str, tmp_path) -> str:
    """The stage-1 config pointed at ``data`` (for tools that take a file)."""
    from mmengine.config import Config
    cfg = Config.fromfile(STAGE1)
    cfg.pseudo_label_dataset.data_root = data.rstrip('/') + '/'
    cfg.pseudo_label_dataset.labelled.per_category = 1
    cfg.model.head.deconv_out_channels = (32, 32, 32)  # as fast_options
    path = str(tmp_path / 'stage1.py')
    cfg.dump(path)
    return path


def test_pseudo_labels_resume(stage1, tiny_data, tmp_path):
    from animal_da.evaluation.pseudo_label_quality import \
        pseudo_label_quality
    from animal_da.pseudo_labels import generate_pseudo_labels
    from animal_da.utils import dump_json_atomic
    from mmengine.config import Config
    work, ckpt, plain, opts = stage1
    cfg_file = _stage1_cfg_file(tiny_data, tmp_path)
    cfg = Config.fromfile(cfg_file)
    full = str(tmp_path / 'full.json')
    pl_tool.main([cfg_file, plain, '--out', full, '--num-transforms', '3',
                  '--batch-size', '4'])
    with open(full) as f:
        done = json.load(f)['annotations']
    n_unlabelled = 16 - 7  # one labelled image per species
    assert len(done) == n_unlabelled
    assert all(len(e['keypoints']) == 51 for e in done)
    # an interrupted run: the partial file holds the first batch of four
    from mmpose.registry import DATASETS
    ds = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[]))
    first = {int(ds.get_data_info(i)['id']) for i in range(4)}
    resumed = str(tmp_path / 'resumed.json')
    dump_json_atomic(dict(annotations=[e for e in done if e['id'] in first]),
                     resumed + '.partial')
    generate_pseudo_labels(cfg_file, plain, resumed, num_transforms=3,
                           batch_size=4, show_progress=False)
    assert not osp.exists(resumed + '.partial')
    with open(resumed) as f:
        again = json.load(f)['annotations']
    assert [e['id'] for e in again] == [e['id'] for e in done]
    assert again == done  # same batches, same numbers
    q = pseudo_label_quality(full, ds, dict(type='GlobalPercentileFilter',
                                            percentile=0.4))
    assert 0 <= q['precision'] <= 100 and 55 <= q['kept'] <= 65


def test_pseudo_labels_subpixel(stage1, tiny_data, tmp_path):
    """--subpixel moves each label at most a quarter heatmap pixel (mmpose's
    refinement) from the integer argmax, and moves some; scores stay."""
    from mmengine.config import Config
    from mmpose.registry import DATASETS
    work, ckpt, plain, opts = stage1
    cfg_file = _stage1_cfg_file(tiny_data, tmp_path)
    runs = {}
    for name, extra in (('int', []), ('sub', ['--subpixel'])):
        out = str(tmp_path / f'{name}.json')
        pl_tool.main([cfg_file, plain, '--out', out, '--num-transforms', '2',
                      '--batch-size', '4'] + extra)
        with open(out) as f:
            runs[name] = {e['id']: np.reshape(e['keypoints'], (-1, 3))
                          for e in json.load(f)['annotations']}
    assert runs['int'].keys() == runs['sub'].keys()
    cfg = Config.fromfile(cfg_file)
    ds = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[]))
    codec = cfg.codec
    stride = codec.input_size[0] / codec.heatmap_size[0]
    moved = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        a, b = runs['int'][int(info['id'])], runs['sub'][int(info['id'])]
        np.testing.assert_array_equal(a[:, 2], b[:, 2])
        # identity view: one input pixel is bbox_scale / input_size image px
        px = 1.25 * np.max(info['bbox'][0][2:] - info['bbox'][0][:2]) / \
            codec.input_size[0]
        d = np.abs(a[:, :2] - b[:, :2])
        assert d.max() <= 0.25 * stride * px + 0.02
        moved += int((d > 0.02).sum())
    assert moved > 0


class _DotModel:
    """Stands in for a trained top-down model: a Gaussian at the brightest
    input pixel x, at x / stride in the heatmap as mmpose's codec puts it."""

    def __init__(self):
        from types import SimpleNamespace
        from mmpose.models import PoseDataPreprocessor
        self.data_preprocessor = PoseDataPreprocessor()
        self.head = SimpleNamespace(
            forward=self.heatmaps,
            decoder=SimpleNamespace(input_size=(96, 96),
                                    heatmap_size=(24, 24)))

    def extract_feat(self, x):
        return x

    @staticmethod
    def heatmaps(x):
        flat = x[:, 0].flatten(1).argmax(1)
        cx, cy = (flat % 96).float() / 4, (flat // 96).float() / 4
        u = torch.arange(24.)
        gx = torch.exp(-(u[None] - cx[:, None]) ** 2 / 2)
        gy = torch.exp(-(u[None] - cy[:, None]) ** 2 / 2)
        return (gy[:, :, None] * gx[:, None, :])[:, None]


def test_pseudo_labels_flip_shift_removes_the_left_bias():
    """Flip averaging without mmpose's one-pixel shift (the papers' way)
    pulls labels left; flip_shift=True removes most of that bias."""
    from animal_da.pseudo_labels import TTAPseudoLabeler
    loaded = []
    for i, x in enumerate(range(8, 88)):
        img = np.zeros((96, 96, 3), np.uint8)
        img[40, x] = 255
        loaded.append(dict(img=img, bbox_center=np.array([[48., 48.]]),
                           bbox_scale=np.array([[96., 96.]]), id=i,
                           img_id=i, category_id=1))
    err = {}
    for shift in (False, True):
        labeler = TTAPseudoLabeler(_DotModel(), num_transforms=1,
                                   flip_shift=shift)
        got = np.array([e['keypoints'][0] for e in labeler(loaded, [0])])
        err[shift] = (got - np.arange(8, 88)).mean()
    assert err[False] < -1
    assert abs(err[True]) < abs(err[False]) / 2


def test_hidden_labels_control_is_perfect(tiny_data, tmp_path):
    """The true-label control file loads as pseudo labels that are all kept
    (percentile 0) and all correct: precision and recall 100."""
    from animal_da.evaluation.pseudo_label_quality import (
        hidden_labels_as_pseudo_labels, pseudo_label_quality)
    from mmengine.config import Config
    from mmpose.registry import DATASETS
    cfg = Config.fromfile(_stage1_cfg_file(tiny_data, tmp_path))
    ds = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[]))
    out = str(tmp_path / 'true.json')
    assert hidden_labels_as_pseudo_labels(ds, out) == 16 - 7
    q = pseudo_label_quality(out, ds, dict(type='GlobalPercentileFilter',
                                           percentile=0.0))
    assert q['precision'] == 100 and q['recall'] == 100
    labelled = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[],
                                   role='labelled'))
    with pytest.raises(ValueError, match='hidden labels'):
        hidden_labels_as_pseudo_labels(labelled, str(tmp_path / 'x.json'))


def _stage2_opts(stage1, tiny_data, tmp_path, config=STAGE2, **kw):
    """Pseudo labels from the stage-1 model and options for a stage-2
    config (its datasets found by type, as workflows find them)."""
    work1, ckpt, plain, opts1 = stage1
    cfg1 = _stage1_cfg_file(tiny_data, tmp_path)
    pl = str(tmp_path / 'pl.json')
    pl_tool.main([cfg1, plain, '--out', pl, '--num-transforms', '2'])
    # the workflow keys, set by type in every dataset of the config
    return plain, fast_options(tiny_data, head='model.pose_estimator.head',
                               train_key=None, **kw) + [
        f'data_root={tiny_data}', 'labelled.per_category=1',
        f'pseudo_label_file={pl}', f'init_checkpoint={plain}',
    ]


def test_stage2_trains_and_exports(stage1, tiny_data, tmp_path):
    plain, opts = _stage2_opts(stage1, tiny_data, tmp_path, cosine=False)
    work = str(tmp_path / 'stage2')
    train_tool.main([STAGE2, '--work-dir', work, '--cfg-options'] + opts)
    ckpt2 = osp.join(work, 'epoch_1.pth')
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    for key in ('loss_sup', 'loss_cons', 'ratio_reuse', 'consistency_weight',
                'coco/AP'):
        assert key in log, key
    # the student started from stage 1, the teacher follows it by EMA
    from animal_da.compat import trusted_checkpoints
    from mmengine.runner.checkpoint import _load_checkpoint
    with trusted_checkpoints([work]):
        state = _load_checkpoint(ckpt2, 'cpu')['state_dict']
    stage1_w = torch.load(plain, weights_only=True)['state_dict']
    key = 'backbone.conv1.weight'
    assert not torch.equal(state[f'student.{key}'], stage1_w[key])
    assert not torch.equal(state[f'teacher.{key}'], state[f'student.{key}'])
    for which in ('student', 'teacher'):
        cfg_path, ck = export_model.main([STAGE2, ckpt2, '--out',
                                          str(tmp_path / which), '--which',
                                          which, '--work-dir', work])
        sd = torch.load(ck, weights_only=True)['state_dict']
        assert torch.equal(sd[key], state[f'{which}.{key}'])


def test_short_recipe_trains_on_labelled_and_pseudo_labelled(
        stage1, tiny_data, tmp_path):
    """The short-schedule variant: labelled instances repeated beside the
    pseudo-labelled pool, no consistency, an annealed lr."""
    from mmengine.config import Config
    from mmpose.registry import DATASETS
    _, opts = _stage2_opts(stage1, tiny_data, tmp_path, config=SHORT)
    opts += ['train_dataloader.dataset.datasets.0.times=2']
    work = str(tmp_path / 'short')
    train_tool.main([SHORT, '--work-dir', work, '--cfg-options'] + opts)
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'consistency_weight: 0.000000' in log
    assert 'loss_cons: 0.000000' in log
    assert 'ratio_reuse' in log and 'teacher/coco/AP' in log
    # the dataset and pipeline of the config the run dumped
    cfg = Config.fromfile(glob.glob(osp.join(work, '*.py'))[0])
    names = [t['type'] for t in cfg.train_dataloader.dataset.datasets[1]
             .pipeline[-1]['strong']]
    assert 'RandAugmentPose' not in names and 'GreyCutout' not in names
    data = DATASETS.build(dict(cfg.train_dataloader.dataset))
    labelled = [data.get_data_info(i)['is_labelled']
                for i in range(len(data))]
    # 7 labelled instances (1 per species) twice, then the unlabelled pool
    assert sum(labelled) == 2 * 7 and len(labelled) == 2 * 7 + 16 - 7


def test_stage2_two_cpu_processes_keep_one_teacher(stage1, tiny_data,
                                                   tmp_path):
    """dist_train.sh, 2 processes: student and EMA teacher stay identical
    across ranks."""
    from dist_utils import differing_params, dist_train, probe_config
    from mmengine.config import Config
    _, opts = _stage2_opts(stage1, tiny_data, tmp_path, cosine=False,
                           batch_size=4)
    hooks = [dict(h) for h in Config.fromfile(STAGE2).custom_hooks]
    work = str(tmp_path / 'dist')
    out = dist_train(probe_config(STAGE2, tmp_path, hooks), work, opts)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert differing_params(work, ['teacher.', 'student.']) == []


def test_refresh_hook_relabels_in_place(stage1, tiny_data, tmp_path):
    from types import SimpleNamespace

    import numpy as np
    from mmengine.logging import MMLogger
    from mmengine.runner.checkpoint import load_checkpoint
    from mmpose.apis import init_model
    from mmpose.registry import DATASETS
    from animal_da.engine.hooks import PseudoLabelRefreshHook
    _, _, plain, _ = stage1
    cfg_file = _stage1_cfg_file(tiny_data, tmp_path)
    pl = str(tmp_path / 'pl.json')
    pl_tool.main([cfg_file, plain, '--out', pl, '--num-transforms', '1'])
    ds = DATASETS.build(dict(
        type='SemiPoseDataset', data_root=tiny_data,
        ann_file='annotations/target_train.json',
        data_prefix=dict(img='images/'), labelled=dict(per_category=1),
        pseudo_labels=dict(file=pl), pipeline=[]))
    unl = [i for i in range(len(ds))
           if not ds.get_data_info(i)['is_labelled']]
    before = [ds.get_data_info(i)['keypoints'].copy() for i in unl]
    teacher = init_model(cfg_file, None, device='cpu')
    load_checkpoint(teacher, plain, strict=True)
    runner = SimpleNamespace(
        model=SimpleNamespace(teacher=teacher), epoch=0,
        train_dataloader=SimpleNamespace(dataset=ds,
                                         persistent_workers=False),
        logger=MMLogger.get_current_instance())
    hook = PseudoLabelRefreshHook(interval=1, num_transforms=3)
    hook.before_train(runner)
    hook.after_train_epoch(runner)
    after = [ds.get_data_info(i)['keypoints'] for i in unl]
    assert any(not np.allclose(a, b) for a, b in zip(after, before))
    assert all(ds.get_data_info(i)['has_pseudo_label'] for i in unl)
    runner.train_dataloader.persistent_workers = True
    with pytest.raises(ValueError, match='persistent_workers'):
        hook.before_train(runner)


def test_agreement_on_candidates_decides_as_the_whole_batch():
    """``agreement_on='candidates'``: one student forward over the weak and
    clean views of the instances that have a keypoint to re-label, the same
    decisions as the original two whole-batch forwards (BatchNorm in eval
    mode here, so batch composition does not matter)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    from mmpose.structures import PoseDataSample

    from animal_da.models.estimators.scarcenet import Selection, StrongView
    init_default_scope('mmpose')
    cfg = Config.fromfile(STAGE2).model
    cfg.pop('init_cfg')
    cfg.pose_estimator.head.deconv_out_channels = (32, 32, 32)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.eval()
    B, K = 4, 17

    def samples(flip):
        out = []
        for b in range(B):
            s = PoseDataSample()
            rot = np.deg2rad(10 * b)
            m = np.array([[np.cos(rot), -np.sin(rot), 3.],
                          [np.sin(rot), np.cos(rot), -2.]])
            s.set_metainfo(dict(view_affine=m, flip=bool(flip and b % 2),
                                flip_indices=list(range(K))))
            out.append(s)
        return out

    inputs = {k: torch.randn(B, 3, 96, 96) for k in ('weak', 'teacher')}
    smp = dict(weak=samples(True), teacher=samples(False))
    small = torch.rand(B, K) < 0.5
    small[3] = True  # nothing left to re-label in instance 3
    labelled = torch.tensor([True, False, False, False])
    view = StrongView(None, None, torch.ones(B, K), labelled)
    sizes = []
    real = model.heatmaps

    def counted(net, x):
        sizes.append(len(x))
        return real(net, x)

    model.heatmaps = counted
    got = {}
    for mode in ('all', 'candidates'):
        model.semi_train_cfg['agreement_on'] = mode
        got[mode] = model.find_reusable(inputs, smp, view,
                                        Selection(small=small))
    assert sizes == [B, B, 2 * 2]  # instances 1 and 2, both views at once
    assert torch.equal(got['all'].reuse, got['candidates'].reuse)
    r = got['all'].reuse
    assert torch.allclose(got['all'].anchor[r], got['candidates'].anchor[r])
    assert not r[0].any() and not r[3].any()
    # every keypoint in the small-loss set: no forward at all
    sizes.clear()
    none = model.find_reusable(inputs, smp, view,
                               Selection(small=torch.ones(B, K).bool()))
    assert sizes == [] and not none.reuse.any()
    # no_grad_autocast: bfloat16 only for the passes without gradients
    model.heatmaps = real
    x = inputs['teacher']
    with torch.no_grad():
        ref = model.heatmaps(model.student, x)
        model.semi_train_cfg['no_grad_autocast'] = 'bfloat16'
        low = model.heatmaps(model.student, x)
    assert low.dtype == torch.float32 and not torch.equal(low, ref)
    assert torch.allclose(low, ref, atol=0.05 * ref.abs().max().item())
    with_grad = model.heatmaps(model.student, x)  # float32 as before
    assert with_grad.requires_grad and torch.allclose(with_grad, ref,
                                                      atol=1e-6)
