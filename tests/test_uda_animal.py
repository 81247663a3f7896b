"""UDA-Animal-Pose: heatmap warps between views, curriculum loss, mixup,
occluders, the refinement head, and the demo configs end to end."""
import glob
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO, fast_options

sys.path.insert(0, osp.join(REPO, 'tools'))
import export_model  # noqa: E402
import pseudo_label as pl_tool  # noqa: E402
import train as train_tool  # noqa: E402

STAGE1 = osp.join(REPO, 'configs/uda_animal/'
                  'td-hm_res18-refine_synanimal-source_96x96_demo.py')
STAGE2 = osp.join(REPO, 'configs/uda_animal/'
                  'uda-animal_res18_synanimal-to-real_96x96_demo.py')


def _views(kpts, seeds):
    """mmpose's transforms + RecordViewGeometry: one view per seed."""
    from mmcv.transforms import Compose
    from mmpose.structures import PoseDataSample

    from animal_da.datasets.synthetic.writer import ap10k_metainfo
    flip_idx = ap10k_metainfo()['flip_indices']
    pipe = Compose([
        dict(type='GetBBoxCenterScale'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandomBBoxTransform', rotate_prob=1.0, rotate_factor=30.,
             scale_factor=(0.8, 1.2)),
        dict(type='TopdownAffine', input_size=(96, 96)),
        dict(type='RecordViewGeometry'),
    ])
    out = []
    for seed in seeds:
        np.random.seed(seed)
        res = pipe(dict(img=np.zeros((200, 240, 3), np.uint8),
                        img_shape=(200, 240), ori_shape=(200, 240),
                        keypoints=kpts.copy(),
                        keypoints_visible=np.ones((1, 17), np.float32),
                        bbox=np.array([[40, 30, 200, 180]], np.float32),
                        flip_indices=flip_idx))
        out.append((res['transformed_keypoints'][0] / 4.0, PoseDataSample(
            metainfo=dict(view_affine=res['view_affine'], flip=res['flip'],
                          flip_indices=flip_idx))))
    return out


@pytest.mark.parametrize('seeds', [(0, 1), (2, 3), (4, 5), (6, 7)])
def test_heatmap_warp_between_views_matches_keypoint_transform(seeds):
    from animal_da.models import TeacherStudentPoseEstimator as TS
    from animal_da.pseudo_labels import decode_argmax, render_gaussian
    rng = np.random.default_rng(seeds[0])
    kpts = rng.uniform(80, 150, (1, 17, 2)).astype(np.float32)
    (ka, sa), (kb, sb) = _views(kpts, seeds)
    # mmpose's codecs (and render_gaussian) centre targets on whole pixels
    ka = torch.as_tensor(ka).round()[None]
    heat, _ = render_gaussian(ka, torch.ones(1, 17), 1.5, (24, 24))
    warped = TS.warp_between_views(TS, heat, [sa], [sb], 4.0)
    found, _ = decode_argmax(warped)
    expected = TS.map_between_views(TS, ka, [sa], [sb], 4.0)[0].numpy()
    # the keypoint transform agrees with mmpose's own on the unrounded points
    assert np.abs(TS.map_between_views(
        TS, torch.as_tensor(_views(kpts, seeds)[0][0])[None], [sa], [sb],
        4.0)[0].numpy() - kb).max() < 1e-3
    inside = np.all((expected > 2) & (expected < 21), axis=-1) & np.all(
        (ka[0].numpy() > 2) & (ka[0].numpy() < 21), axis=-1)
    assert inside.sum() >= 5
    # integer argmax of bilinearly resampled maps: about half a pixel per
    # axis (a convention slip or a missed channel swap is a pixel or more)
    err = np.abs(found[0].numpy() - expected)[inside]
    assert err.max() < 0.6, err


def test_curriculum_topk_loss():
    from animal_da.models.losses import JointsMSELoss
    loss = JointsMSELoss(weight_mode='inside', scale=0.5)
    target = torch.zeros(2, 4, 2, 2)
    pred = torch.zeros(2, 4, 2, 2)
    # per-joint squared errors 1, 4, 9, 16 (image 0); 16, 1, 4, 9 (image 1)
    for b, errs in enumerate(([1, 2, 3, 4], [4, 1, 2, 3])):
        for j, e in enumerate(errs):
            pred[b, j] = e
    w = torch.ones(2, 4)
    # k=2: image 0 keeps 0.5*(1+4), image 1 keeps 0.5*(1+4); / (k*B)
    assert float(loss.topk(pred, target, w, 2)) == pytest.approx(
        (2.5 + 2.5) / 4)
    # an invalid joint ranks last and adds zero when it fills a slot
    w[0, :3] = 0
    assert float(loss.topk(pred, target, w, 2)) == pytest.approx(
        (0.5 * 16 + 2.5) / 4)


def test_mixup_weight_rules():
    from animal_da.models import PoseMixup
    torch.manual_seed(0)
    src = (torch.zeros(4, 3, 8, 8), torch.zeros(4, 2, 4, 4),
           torch.tensor([[1., 0.]] * 4))
    trg = (torch.ones(4, 3, 8, 8), torch.ones(4, 2, 4, 4),
           torch.tensor([[0., 0.]] * 4))
    m = PoseMixup(max_lambda=True, weight_rule='max')
    (si, sh, sw), (ti, th, tw) = m.cross_domain(src, trg)
    lam_t = ti[:, 0, 0, 0]  # target i = lam * 1 + (1 - lam) * 0
    assert torch.all(lam_t >= 0.5)
    assert torch.allclose(si[:, 0, 0, 0], 1 - lam_t)  # same lam per pair
    assert torch.allclose(th[:, 0, 0, 0], lam_t)
    # max rule: the filtered-out target joint 0 gets the source's weight 1
    assert torch.equal(tw, torch.tensor([[1., 0.]] * 4))
    lam_m = PoseMixup(weight_rule='lambda')
    (_, _, sw2), (ti2, _, tw2) = lam_m.cross_domain(src, trg)
    assert torch.allclose(tw2[:, 0], 1 - ti2[:, 0, 0, 0])
    within = PoseMixup().within((torch.arange(4.).view(4, 1, 1, 1)
                                 .expand(4, 3, 8, 8).clone(),
                                 torch.zeros(4, 2, 4, 4),
                                 torch.eye(4)[:, :2]))
    assert within[0].shape == (4, 3, 8, 8)
    # weights under max are a max of the sample's and a partner's
    assert torch.all(within[2] >= torch.eye(4)[:, :2])
    with pytest.raises(ValueError):
        PoseMixup(weight_rule='mean')


def test_paste_occluders_from_a_folder(tmp_path):
    from animal_da.datasets.transforms import PasteOccluders
    obj = np.zeros((60, 60, 4), np.uint8)
    obj[10:50, 10:50] = (0, 0, 255, 255)
    cv2.imwrite(str(tmp_path / 'obj.png'), obj)
    t = PasteOccluders(occluder_dir=str(tmp_path), prob=1.0, max_count=3,
                       scale=(1.0, 1.0), min_area=100)
    img = np.full((96, 96, 3), 128, np.uint8)
    changed = 0
    for _ in range(10):
        out = t(dict(img=img.copy()))['img']
        changed += int((out != img).any())
        # pasted pixels are red, or a border blend of red and grey
        diff = out[(out != img).any(-1)]
        assert np.all(diff[:, 2] > 128)
    assert changed >= 8
    with pytest.raises(FileNotFoundError, match='no PNG'):
        PasteOccluders(occluder_dir=str(tmp_path / 'none'),
                       prob=1.0)(dict(img=img.copy()))
    cv2.imwrite(str(tmp_path / 'rgb.png'), obj[..., :3])
    with pytest.raises(ValueError, match='RGBA'):
        PasteOccluders(occluder_dir=str(tmp_path),
                       prob=1.0)(dict(img=img.copy()))


def test_refine_head_shapes_and_dual_copy():
    from animal_da.models.heads import RefineHeatmapHead
    head = RefineHeatmapHead(64, 5, pre_channels=16,
                             deconv_out_channels=(16, 16),
                             deconv_kernel_sizes=(4, 4), refine_mid=8,
                             refine_out=16, dual_refine=True)
    out = head.forward_all((torch.randn(2, 64, 4, 4), ))
    assert out['coarse'].shape == out['refined'].shape == (2, 5, 16, 16)
    assert out['features'].shape == (2, head.feature_channels, 16, 16)
    assert head.feature_channels == 48
    assert not torch.equal(out['refined'], out['refined_2'])
    head.copy_refine_head()
    out = head.forward_all((torch.randn(2, 64, 4, 4), ))
    assert torch.equal(out['refined'], out['refined_2'])
    assert torch.equal(head((torch.zeros(1, 64, 4, 4), )),
                       head.forward_all((torch.zeros(1, 64, 4, 4), ))[
                           'refined'])


def test_refresh_hook_finds_the_target_in_a_concat_dataset(tiny_data):
    from mmengine.dataset import ConcatDataset
    from mmpose.registry import DATASETS

    from animal_da.engine.hooks.pseudo_label_refresh import \
        _find_semi_dataset
    common = dict(data_root=tiny_data, data_prefix=dict(img='images/'),
                  pipeline=[])
    src = DATASETS.build(dict(type='AP10KDataset',
                              ann_file='annotations/source_train.json',
                              **common))
    trg = DATASETS.build(dict(type='SemiPoseDataset', role='unlabelled',
                              labelled=dict(none=True),
                              ann_file='annotations/target_train.json',
                              **common))
    assert _find_semi_dataset(ConcatDataset([src, trg])) is trg


def test_uda_demo_stage1_pseudo_labels_stage2(tiny_data, tmp_path):
    from animal_da.compat import trusted_checkpoints
    root = tiny_data.rstrip('/') + '/'
    w1 = str(tmp_path / 's1')
    train_tool.main([STAGE1, '--work-dir', w1, '--cfg-options'] +
                    fast_options(tiny_data, cosine=False) +
                    ['model.head.pre_channels=32',
                     'model.head.refine_mid=16', 'model.head.refine_out=32'])
    # (fast_options already narrows the deconvolutions to 32 channels)
    small_head = ['model.head.pre_channels=32', 'model.head.refine_mid=16',
                  'model.head.refine_out=32',
                  'model.head.deconv_out_channels=[32,32,32]']
    _, plain = export_model.main([STAGE1, osp.join(w1, 'epoch_1.pth'),
                                  '--out', str(tmp_path / 'exp'),
                                  '--work-dir', w1])
    pl = str(tmp_path / 'pl.json')
    pl_tool.main([STAGE1, plain, '--out', pl, '--num-transforms', '2',
                  '--cfg-options', f'pseudo_label_dataset.data_root={root}'
                  ] + small_head)
    w2 = str(tmp_path / 's2')
    opts = fast_options(tiny_data, head='model.pose_estimator.head',
                        cosine=False,
                        train_key='train_dataloader.dataset.datasets.0')
    train_tool.main([STAGE2, '--work-dir', w2, '--cfg-options'] + opts + [
        f'train_dataloader.dataset.datasets.1.data_root={root}',
        f'train_dataloader.dataset.datasets.1.pseudo_labels.file={pl}',
        f'model.init_cfg.checkpoint={plain}',
        'model.pose_estimator.head.pre_channels=32',
        'model.pose_estimator.head.refine_mid=16',
        'model.pose_estimator.head.refine_out=32',
        'model.discriminator.in_channels=128'])
    log = open(glob.glob(osp.join(w2, '*', '*.log'))[0]).read()
    for key in ('loss_sup', 'loss_pseudo', 'loss_dom', 'loss_self',
                'loss_heads', 'loss_cons', 'grl_coeff', 'topk',
                'teacher/coco/AP', 'student/coco/AP'):
        assert key in log, key
    ckpt = osp.join(w2, 'epoch_1.pth')
    with trusted_checkpoints([w2]):
        from mmengine.runner.checkpoint import _load_checkpoint
        state = _load_checkpoint(ckpt, 'cpu')['state_dict']
    # the second refined head started as a copy of the first, then trained
    # on its own terms
    a = state['student.head.refine_predict.1.weight']
    b = state['student.head.refine_predict_2.1.weight']
    assert a.shape == b.shape and not torch.equal(a, b)
    assert any(k.startswith('discriminator.') for k in state)
    _, teacher = export_model.main([STAGE2, ckpt, '--out',
                                    str(tmp_path / 'exp2'), '--which',
                                    'teacher', '--work-dir', w2])
    sd = torch.load(teacher, weights_only=True)['state_dict']
    assert 'head.refine_predict_2.1.weight' in sd
    assert not any(k.startswith(('discriminator', 'teacher.')) for k in sd)


def _frames_with_a_moving_square(shift=(3, 2)):
    rng = np.random.default_rng(0)
    base = (rng.random((80, 80)) * 60).astype(np.uint8)
    base = cv2.GaussianBlur(base, (0, 0), 1.0)
    a = base.copy()
    a[30:45, 30:45] = 230
    b = np.roll(np.roll(base, shift[1], 0), shift[0], 1)
    b[30 + shift[1]:45 + shift[1], 30 + shift[0]:45 + shift[0]] = 230
    return a, b


@pytest.mark.parametrize('by_video,same_video,expect', [
    (True, True, True), (True, False, False), (False, False, True)])
def test_temporal_check_flows_weak_labels(by_video, same_video, expect):
    from animal_da.pseudo_labels import temporal_check
    a, b = _frames_with_a_moving_square()
    images = {'a': a, 'b': b}
    # previous frame: a confident corner; current: a weak, wrong guess
    entries = [dict(id=1, keypoints=[30., 30., 0.9, 60., 10., 0.9]),
               dict(id=2, keypoints=[50., 60., 0.2, 60., 10., 0.85])]
    frames = [dict(img_path='a', video_id=1, frame_id=0),
              dict(img_path='b', video_id=1 if same_video else 2,
                   frame_id=1 if same_video else 0)]
    stats = temporal_check(entries, frames, images.__getitem__,
                           by_video=by_video)
    k = np.array(entries[1]['keypoints']).reshape(-1, 3)
    if expect:
        np.testing.assert_allclose(k[0, :2], [33., 32.], atol=0.6)
        assert k[0, 2] == pytest.approx(0.9 * 0.9)
        # the second keypoint was confident enough (0.85 >= 0.9 * 0.9)
        assert list(k[1]) == [60., 10., 0.85]
        assert stats['replaced'] == 1
    else:
        assert list(k[0]) == [50., 60., 0.2]
        assert stats['checked'] == 0


def test_temporal_check_in_dataset_order(tmp_path):
    from animal_da.pseudo_labels.tta import _apply_temporal_check
    a, b = _frames_with_a_moving_square()
    infos = []
    for i, (name, img) in enumerate((('a.png', a), ('b.png', b))):
        cv2.imwrite(str(tmp_path / name), img)
        infos.append(dict(id=10 + i, img_path=str(tmp_path / name),
                          video_id=3, frame_id=i))

    class Pool:
        def __len__(self):
            return 2

        def get_data_info(self, i):
            return infos[i]
    # entries in id order reversed: the check must follow the dataset order
    entries = [dict(id=11, keypoints=[50., 60., 0.2]),
               dict(id=10, keypoints=[30., 30., 0.9])]
    _apply_temporal_check(entries, Pool(), dict(by_video=True))
    np.testing.assert_allclose(entries[0]['keypoints'][:2], [33., 32.],
                               atol=0.6)
    del infos[0]['video_id']
    with pytest.raises(ValueError, match='video_id'):
        _apply_temporal_check(entries, Pool(), dict(by_video=True))


def test_joint_forward_splits_back_per_view():
    """``joint_forward``: one forward over several views gives each view's
    outputs (in eval mode, where BatchNorm does not mix them, exactly the
    separate forwards); the default keeps one forward per view."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    cfg = Config.fromfile(STAGE2).model
    cfg.pop('init_cfg', None)
    model = MODELS.build(cfg)
    assert model.semi_train_cfg['joint_forward'] is False
    model.eval()
    views = [torch.randn(n, 3, 96, 96) for n in (2, 3, 1)]
    with torch.no_grad():
        joint = model.run_joint(model.student, views)
        for v, out in zip(views, joint):
            alone = model.run(model.student, v)
            assert set(out) == set(alone)
            for k in alone:
                assert out[k].shape == alone[k].shape
                assert torch.allclose(out[k], alone[k], atol=1e-4), k


@pytest.mark.parametrize('joint', [False, True])
def test_second_refined_head_runs_on_the_consistency_view_only(
        tiny_data, tmp_path, joint):
    """The second refined head runs once per step (the student's
    consistency view), not on every view of both networks, and every loss
    term equals the one computed with it on every view (same batch, same
    random state)."""
    import random

    sys.path.insert(0, osp.join(REPO, 'tools', 'bench'))
    import step_cost as sc
    run = sc.Run('uda_animal', sc.ROWS['uda_animal'],
                 tiny_data.rstrip('/') + '/', 4, 1,
                 {'model.semi_train_cfg.joint_forward': joint},
                 str(tmp_path), width=0.25)
    model = run.model
    data = model.data_preprocessor(run.data[0], True)
    heads = [model.student.head, model.teacher.head]
    calls = []
    for head in heads:
        head.refine_predict_2.register_forward_hook(
            lambda *args: calls.append(1))

    def losses():
        calls.clear()
        model.step_times = {}  # the harness times the parts of the step
        random.seed(0)
        np.random.seed(0)
        torch.manual_seed(0)
        out = model.loss(data['inputs'], data['data_samples'])
        return {k: float(v) for k, v in out.items()}, len(calls)

    skipped, n_skipped = losses()
    for head in heads:  # as before: the second head on every view
        head.forward_all = (lambda f: lambda feats, second=True: f(
            feats, second=True))(head.forward_all)
    every, n_every = losses()
    # joint: the student's and the teacher's one forward each, and the
    # student's consistency slice; apart: each of the six view forwards
    assert n_skipped == 1 and n_every == (3 if joint else 6)
    assert skipped.keys() == every.keys()
    for k in every:
        assert skipped[k] == pytest.approx(every[k], rel=1e-5, abs=1e-7), k
