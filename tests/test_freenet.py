"""FreeNet: part-quantile masks and their schedule, the feedback band and
sign, the weak augmentation, the generated keypoint-set sources, the demo
workflow and a 2-process run of the two-optimiser step."""
import contextlib
import glob
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import DATASETS, MODELS, TRANSFORMS

from animal_da.apis.workflow import Workflow, run_workflow
from animal_da.datasets.keypoint_sets import (SOURCES, keypoint_names,
                                              union_mapping)
from animal_da.engine.hooks.schedules import CURVES
from animal_da.pseudo_labels import (ConfidenceBandFilter, GroupQuantileFilter,
                                     decode_argmax, render_gaussian)

from conftest import REPO
from dist_utils import differing_params, dist_train, probe_config

FREENET = osp.join(
    REPO, 'configs/freenet/freenet_res18_synanimal-union-10pct_96x96_demo.py')
NAIVE = osp.join(REPO, 'configs/freenet/'
                 'td-hm_res18_synanimal-union-naive-10pct_96x96_demo.py')
WORKFLOW = osp.join(REPO, 'configs/freenet/'
                    'freenet_res18_synanimal-union-10pct_96x96_demo_workflow'
                    '.py')


def test_group_quantile_masks_on_hand_made_confidences():
    filt = GroupQuantileFilter(dict(a=[0, 1], b=[2]), floor=0.2)
    conf = torch.tensor([[0.9, 0.5, 0.15],
                         [0.7, 0.3, 0.6]])
    # group a sorted: .9 .7 .5 .3 (N=4); ratio .5 -> index 2 -> tau .5
    # group b sorted: .6 .15 (N=2); ratio 1 -> index min(2, 1) -> .15,
    # raised to the floor .2
    thr = filt.thresholds(conf, dict(a=0.5, b=1.0))
    assert thr == pytest.approx(dict(a=0.5, b=0.2))
    mask = filt(conf, dict(a=0.5, b=1.0))
    assert mask.tolist() == [[True, True, False], [True, False, True]]
    # ratio 1 keeps everything above the floor
    assert filt(conf, dict(a=1.0, b=1.0))[:, :2].all()
    with pytest.raises(KeyError, match='keep ratio'):
        filt(conf, dict(a=1.0))


def test_part_groups_by_source_keep_each_sources_share():
    """part_groups='by_source': TigDog's chin and shoulders are filtered
    apart from AnimalPose's throat and withers, each subgroup at its
    group's keep ratio; with FreeNet's groups a weaker source's joints
    lose to a stronger one's in the shared quantile."""
    from animal_da.datasets.keypoint_sets import (PART_GROUPS, parent_group,
                                                  part_groups_by_source)
    groups = part_groups_by_source('animal_union24')
    assert groups['exclusive@tigdog'] == [21, 22, 23]  # chin, shoulders
    assert groups['exclusive@animalpose'] == [19, 20]  # throat, withers
    assert groups['front@animalpose'] == [17, 18]  # ears
    assert groups['back'] == PART_GROUPS['animal_union24']['back']
    assert sorted(j for g in groups.values() for j in g) == list(range(24))
    assert {parent_group(g) for g in groups} == \
        set(PART_GROUPS['animal_union24'])
    assert part_groups_by_source('ap10k') == PART_GROUPS['ap10k']
    conf = torch.full((8, 24), 0.9)
    conf[:, 21:24] = torch.linspace(0.25, 0.5, 8)[:, None]  # TigDog's weak
    by_source = _tiny_freenet(part_groups='by_source')
    ratios = by_source.keep_ratios()
    assert ratios['exclusive@tigdog'] == ratios['exclusive@animalpose'] \
        == by_source.semi_train_cfg['keep_ratios']['exclusive']
    kept = by_source.part_filter(conf, ratios)
    freenet = _tiny_freenet()
    kept_fn = freenet.part_filter(conf, freenet.keep_ratios())
    # the shared quantile (0.65 of 48) keeps 31 values: all 24 strong ones
    # and only 7-9 of TigDog's 24 (ties); each source's own keeps 0.65
    assert kept_fn[:, 21:24].float().mean() < 0.4
    assert kept[:, 21:24].float().mean() >= 0.6
    assert kept[:, 19:21].all() and kept_fn[:, 19:21].all()
    with pytest.raises(ValueError, match='part_groups'):
        _tiny_freenet(part_groups='per_joint')


def test_keep_ratio_schedule_is_freenets_cosine():
    """rho(t) = clip((1 + cos(pi min(t, D) / D)) / 2, r, 1), here by
    training progress (D = 0.2 of training)."""
    curve = CURVES.build(dict(type='CosineRampDown', length=0.2, min=0.5))
    for t in (0., 0.03, 0.05, 0.1, 0.19, 0.2, 0.7):
        want = min(max(0.5 * (1 + np.cos(np.pi * min(t, 0.2) / 0.2)), 0.5),
                   1.)
        assert curve(t) == pytest.approx(want)
    assert curve(0.) == 1. and curve(0.5) == 0.5
    ramp = CURVES.build(dict(type='LinearRamp', begin=0.1, end=0.1333,
                             start_value=0., end_value=2.0))
    assert ramp(0.05) == 0. and ramp(0.2) == 2.0
    assert 0 < ramp(0.12) < 2.0


def test_confidence_band_takes_both_networks_quantiles():
    conf_t = torch.arange(10, dtype=torch.float32).view(2, 5) / 10
    conf_s = torch.full((2, 5), 0.45)
    band = ConfidenceBandFilter(hi_q=0.2, lo_q=0.8)(conf_t, conf_s)
    # teacher sorted desc: .9 .8 ... .0 -> [2] = .7, [8] = .1; student .45
    # hi = max(.7, .45) = .7, lo = min(.1, .45) = .1
    want = (conf_t >= 0.1 - 1e-6) & (conf_t <= 0.7 + 1e-6)
    assert band.tolist() == want.tolist()


def _tiny_freenet(init_cfg=None, **train_cfg):
    cfg = Config.fromfile(FREENET)
    cfg.model.pose_estimator.head.deconv_out_channels = (16, 16, 16)
    cfg.model.pop('init_cfg')
    if init_cfg is not None:
        cfg.model.init_cfg = init_cfg
    cfg.model.semi_train_cfg.update(train_cfg)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    return MODELS.build(cfg.model)


def test_feedback_sign_pushes_teacher_to_its_own_argmax():
    """h > 0 (the student's labelled loss dropped): a teacher step on the
    feedback term sharpens the teacher's heatmaps towards hard Gaussians at
    its own argmax; h < 0 pushes them away."""
    torch.manual_seed(0)
    est = _tiny_freenet()
    x = torch.randn(4, 3, 96, 96)
    band = torch.ones(4, 24, dtype=torch.bool)

    def own_argmax_error(net):
        with torch.no_grad():
            heat = net(x, None, mode='tensor')
        loc, _ = decode_argmax(heat)
        target, _ = render_gaussian(loc, band.float(), est.sigma,
                                    est.heatmap_size, mode='untruncated')
        return float(((heat - target)**2).mean())

    results = {}
    for h in (1.0, -1.0):
        net = _tiny_freenet().teacher
        net.load_state_dict(est.teacher.state_dict())
        before = own_argmax_error(net)
        opt = torch.optim.SGD(net.parameters(), lr=1e-3)
        heat = net(x, None, mode='tensor')
        est.feedback_loss(heat, torch.tensor(h), band).backward()
        opt.step()
        results[h] = own_argmax_error(net) - before
    assert results[1.0] < 0 < results[-1.0]


@pytest.mark.parametrize('student_init', ['own', 'both'])
def test_student_init_loads_the_base_into_the_networks_it_names(
        tmp_path, student_init):
    """A plain checkpoint in ``init_cfg`` starts the teacher (the base
    network); the student starts from it too with ``student_init='both'``
    and keeps its own (here random) initialisation with ``'own'``, as
    FreeNet's ImageNet-initialised adaptation network does."""
    torch.manual_seed(0)
    base = _tiny_freenet().teacher
    with torch.no_grad():  # far from any fresh initialisation
        for p in base.parameters():
            p.add_(1.0)
    ckpt = str(tmp_path / 'naive_merge.pth')
    torch.save(dict(state_dict=base.state_dict()), ckpt)
    est = _tiny_freenet(init_cfg=dict(type='Pretrained', checkpoint=ckpt),
                        student_init=student_init)
    est.init_weights()
    want = base.state_dict()
    for name, value in est.teacher.state_dict().items():
        assert torch.equal(value, want[name]), name
    weights = [n for n, _ in est.student.named_parameters()]
    same = [n for n, p in est.student.named_parameters()
            if torch.equal(p, want[n])]
    assert same == (weights if student_init == 'both' else [])


def test_pseudo_labels_at_the_argmax_or_a_quarter_pixel_from_it():
    """pl_locate: the paper's integer argmax, or mmpose's quarter-pixel
    decode; the rendered pseudo label peaks there."""
    peak, _ = render_gaussian(torch.tensor([[[4.3, 2.8]] * 24]).reshape(
        1, 24, 2), torch.ones(1, 24), 1.0, (24, 24), mode='untruncated')
    for mode, expect in (('argmax', [4., 3.]), ('quarter', [4.25, 2.75])):
        est = _tiny_freenet(pl_locate=mode)
        loc, _ = est.locate(peak)
        assert loc[0, 0].tolist() == expect
        heat, mask, _ = est.pseudo_labels(peak)
        k = int(mask[0].nonzero()[0])
        ys, xs = torch.meshgrid(torch.arange(24.), torch.arange(24.),
                                indexing='ij')
        w = heat[0, k] / heat[0, k].sum()  # the centroid of the Gaussian
        centre = [float((w * xs).sum()), float((w * ys).sum())]
        assert centre == pytest.approx(expect, abs=0.05)
    with pytest.raises(ValueError, match='pl_locate'):
        _tiny_freenet(pl_locate='nearest')
    # untruncated: peak 1 at the label, and no 3-sigma window (HRNet's
    # rendering is zero 4 sigma away, FreeNet's is not)
    loc = torch.tensor([[[10., 12.]]])
    for mode in ('untruncated', 'hrnet'):
        heat, _ = render_gaussian(loc, torch.ones(1, 1), 2.0, (24, 24),
                                  mode=mode)
        assert float(heat[0, 0, 12, 10]) == pytest.approx(1.0)
        far = float(heat[0, 0, 12, 18])  # 8 px = 4 sigma from the centre
        if mode == 'untruncated':
            assert far == pytest.approx(np.exp(-8.0), rel=1e-5)
        else:
            assert far == 0.0


def test_student_bn_pass_moves_only_the_students_bn_statistics():
    """Step 1: a no-gradient student forward on the ori view; the student's
    BN running statistics move, nothing gets a gradient, the teacher is
    untouched; off with student_bn_pass=False."""
    from animal_da.models.estimators.freenet import Batch
    torch.manual_seed(0)
    x = torch.randn(4, 3, 96, 96) * 2 + 1
    for on in (True, False):
        est = _tiny_freenet(student_bn_pass=on)
        est.train()

        def running(net):
            return {k: v.clone() for k, v in net.state_dict().items()
                    if 'running_mean' in k}
        s0, t0 = running(est.student), running(est.teacher)
        batch = Batch(x, x, torch.tensor([True, False, False, True]),
                      torch.zeros(4, 24, 24, 24), torch.ones(4, 24), None)
        est.student_bn_pass(batch)
        moved = [k for k, v in running(est.student).items()
                 if not torch.equal(v, s0[k])]
        assert bool(moved) == on
        assert all(torch.equal(v, t0[k])
                   for k, v in running(est.teacher).items())
        assert all(p.grad is None for p in est.parameters())


def test_pseudo_labels_from_the_teacher_in_eval_mode_with_flip_test():
    """pl_teacher='eval_flip': the teacher's heatmaps are mmpose's own
    flip-test heatmaps (HeatmapHead.predict), the teacher stays in train
    mode and its BN statistics do not move; 'train' takes the training
    forward's heatmaps as they are."""
    from mmpose.structures import PoseDataSample

    from animal_da.models.estimators.freenet import Batch, Views
    torch.manual_seed(0)
    est = _tiny_freenet(pl_teacher='eval_flip')
    flip = list(range(24))
    flip[3], flip[4] = 4, 3  # a left/right pair the flip must swap back
    x = torch.randn(4, 3, 96, 96)
    est.teacher.train()
    est.teacher(x, None, mode='tensor')  # running statistics of its own
    stats = {k: v.clone() for k, v in est.teacher.state_dict().items()
             if 'running' in k}
    train_heat = torch.randn(4, 24, 24, 24)
    views = Views(train_heat, train_heat, train_heat)
    batch = Batch(x, x, torch.tensor([True, False, False, True]),
                  torch.zeros(4, 24, 24, 24), torch.ones(4, 24), flip)
    got = est.pl_heatmaps(views, batch)
    assert est.teacher.training
    for k, v in est.teacher.state_dict().items():
        if k in stats:
            assert torch.equal(v, stats[k]), k
    est.teacher.eval()
    unl = x[1:3]
    samples = [PoseDataSample(metainfo=dict(flip_indices=flip))
               for _ in range(2)]
    with torch.no_grad():
        feats = [est.teacher.extract_feat(unl),
                 est.teacher.extract_feat(unl.flip(-1))]
        assert est.teacher.test_cfg['flip_test']  # the model's own setting
        pred = est.teacher.head.predict(feats, samples, test_cfg=dict(
            est.teacher.test_cfg, output_heatmaps=True))
    want = torch.stack([p.heatmaps for p in pred[1]])
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-5)
    assert not torch.allclose(got, est.eval_heatmaps(est.teacher, unl),
                              atol=1e-3)  # the flip changes something
    est = _tiny_freenet()  # the paper's: the training forward itself
    assert torch.equal(est.pl_heatmaps(views, batch), train_heat[1:3])
    with pytest.raises(ValueError, match='pl_teacher'):
        _tiny_freenet(pl_teacher='ema')


def test_pseudo_weight_scales_the_students_pseudo_label_term_only():
    """pseudo_weight (1 by default, FreeNet's) weights loss_pseudo and
    nothing else; the feedback weight stays phi's."""
    terms = dict(loss_sup=torch.tensor(2.), loss_pseudo=torch.tensor(3.),
                 loss_feedback=torch.tensor(5.))
    assert {k: float(v) for k, v in _tiny_freenet().weighted(
        terms).items()} == dict(loss_sup=2., loss_pseudo=3.,
                                loss_feedback=10.)
    off = _tiny_freenet(pseudo_weight=0.0).weighted(terms)
    assert float(off['loss_pseudo']) == 0. and float(off['loss_sup']) == 2.


def test_kps_weights_are_freenets_for_unions_and_the_ap10k_setting():
    """A union's weights are its metainfo's joint_weights (FreeNet's 24
    kps_weights); the 17-joint AP-10K settings get FreeNet's own list,
    which is not mmpose's AP-10K joint_weights but the 21-joint union's
    weights at AP-10K's joints, matched by name."""
    from animal_da.datasets.keypoint_sets import UNIONS
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    def weights(file):
        return [float(v) for v in parse_pose_metainfo(dict(
            from_file=file))['dataset_keypoint_weights']]

    assert _tiny_freenet().kps_weights.tolist() == pytest.approx(
        weights(UNIONS['animal_union24']))
    ap10k = _tiny_freenet(keypoint_set='ap10k').kps_weights.tolist()
    assert ap10k != pytest.approx(weights(SOURCES['ap10k'][0]))
    u21 = weights(UNIONS['animal_union21'])
    assert ap10k == pytest.approx(
        [u21[u] for _, u in sorted(union_mapping('ap10k', 'animal_union21'))])
    assert ap10k[4:6] == pytest.approx([1.2, 1.2])  # tail, L_F_hip


def test_feedback_reward_is_old_minus_new():
    torch.manual_seed(0)
    for sign, expect in (('old_minus_new', 1.), ('new_minus_old', -1.)):
        est = _tiny_freenet(feedback_sign=sign)
        x = torch.randn(4, 3, 96, 96)
        from animal_da.models.estimators.freenet import Batch, Views
        target = torch.zeros(4, 24, 24, 24)
        batch = Batch(x, x, torch.tensor([True, True, False, False]),
                      target, torch.ones(4, 24))
        est.student.eval()  # the re-run sees the same network
        with torch.no_grad():
            heat = est.student(x, None, mode='tensor')
        views = Views(heat, heat, heat)
        _, conf = decode_argmax(heat[2:])
        after = est.lw(heat[:2], target[:2], torch.ones(2, 24))
        h, band = est.feedback(views, batch, (None, None, conf),
                               after + 1.0)
        assert float(h) == pytest.approx(expect, abs=1e-4)
        assert band.shape == (2, 24)


def test_rand_weak_augment_quirks_and_pixel_alignment():
    img = np.random.default_rng(0).integers(0, 255, (32, 32, 3), np.uint8)
    aug = TRANSFORMS.build(dict(type='RandWeakAugment'))
    from PIL import Image
    pil = Image.fromarray(img)
    inv = np.asarray(aug._op('Solarize', pil))
    np.testing.assert_array_equal(inv, 255 - img)  # m = 10: an inversion
    np.testing.assert_array_equal(np.asarray(aug._op('Posterize', pil)), img)
    plain = TRANSFORMS.build(dict(type='RandWeakAugment',
                                  solarize_inverts=False,
                                  posterize_noop=False))
    assert not np.array_equal(np.asarray(plain._op('Posterize', pil)), img)
    # photometric only: keypoints and everything but the image untouched
    kps = np.array([[[3., 4.]]])
    res = aug(dict(img=img.copy(), keypoints=kps.copy()))
    assert res['img'].shape == img.shape
    np.testing.assert_array_equal(res['keypoints'], kps)


def test_union_sources_load_in_their_own_datasets(tiny_union_data):
    """The generated sources read with mmpose's AP10KDataset and
    AnimalPoseDataset and our TigDogDataset, each in its native order; the
    same joint agrees across files through the union mapping."""
    loaded = {}
    for typ, split, extra in [
            ('AP10KDataset', 'ap10k_train', {}),
            ('AnimalPoseDataset', 'animalpose_train', {}),
            ('TigDogDataset', 'tigdog_train',
             dict(metainfo=dict(from_file=SOURCES['tigdog'][0])))]:
        ds = DATASETS.build(dict(type=typ, data_root=tiny_union_data,
                                 ann_file=f'annotations/{split}.json',
                                 data_prefix=dict(img='images/'),
                                 pipeline=[], **extra))
        loaded[split.split('_')[0]] = ds
    assert loaded['ap10k'].metainfo['num_keypoints'] == 17
    assert loaded['animalpose'].metainfo['num_keypoints'] == 20
    assert loaded['tigdog'].metainfo['num_keypoints'] == 19
    # the union test split has all 24 joints
    test = DATASETS.build(dict(type='SemiPoseDataset',
                               keypoint_set='animal_union24',
                               data_root=tiny_union_data,
                               ann_file='annotations/union_test.json',
                               data_prefix=dict(img='images/'),
                               pipeline=[]))
    assert test[0]['keypoints'].shape == (1, 24, 2)
    # every source file's joint names are its own metainfo's
    for name, ds in loaded.items():
        with open(ds.ann_file) as f:
            cats = json.load(f)['categories']
        assert tuple(cats[0]['keypoints']) == keypoint_names(
            SOURCES[name][0])
        assert len(union_mapping(name, 'animal_union24')) == len(
            cats[0]['keypoints'])


def test_freenet_animalpose_files_read_in_their_own_order(
        tiny_union_data, tmp_path):
    """FreeNet's AnimalPose files list the joints in another order than
    mmpose's: read as ``animalpose_freenet`` they give the same union
    keypoints as mmpose's order does; read as ``animalpose`` they fail
    instead of training every joint as another one."""
    from animal_da.datasets.keypoint_sets import normalise_joint_name
    with open(osp.join(tiny_union_data, 'annotations',
                       'animalpose_train.json')) as f:
        coco = json.load(f)
    mm = [normalise_joint_name(n)
          for n in keypoint_names(SOURCES['animalpose'][0])]
    fn = keypoint_names(SOURCES['animalpose_freenet'][0])
    order = [mm.index(normalise_joint_name(n)) for n in fn]
    for ann in coco['annotations']:
        k = np.asarray(ann['keypoints']).reshape(-1, 3)
        ann['keypoints'] = k[order].reshape(-1).tolist()
    for cat in coco['categories']:
        cat['keypoints'] = list(fn)
        cat.pop('skeleton', None)
    path = str(tmp_path / 'animal_pose_train.json')
    with open(path, 'w') as f:
        json.dump(coco, f)

    def union_keypoints(keypoint_set, ann_file):
        ds = DATASETS.build(dict(
            type='KeypointUnionDataset', union='animal_union21',
            datasets=[dict(type='SemiPoseDataset', keypoint_set=keypoint_set,
                           data_root=tiny_union_data, ann_file=ann_file,
                           data_prefix=dict(img='images/'))]))
        return [(ds[i]['keypoints'], ds[i]['keypoints_visible'])
                for i in range(len(ds))]
    ours = union_keypoints('animalpose_freenet', path)
    ref = union_keypoints('animalpose', 'annotations/animalpose_train.json')
    assert len(ours) == len(ref) > 0
    for (k, v), (rk, rv) in zip(ours, ref):
        np.testing.assert_array_equal(k, rk)
        np.testing.assert_array_equal(v, rv)
    with pytest.raises(ValueError, match='another order'):
        DATASETS.build(dict(type='SemiPoseDataset', keypoint_set='animalpose',
                            data_root=tiny_union_data, ann_file=path,
                            data_prefix=dict(img='images/'), pipeline=[]))


def test_union_generation_is_reproducible_and_domains_unchanged(tmp_path):
    from animal_da.datasets.synthetic import generate_dataset
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    for root in (a, b):  # every split of the layout (union splits: 1)
        generate_dataset(root, 4, seed=1, img_size=64, show_progress=False,
                         layout='keypoint_sets')
    rels = [osp.relpath(osp.join(d, f), a)
            for d, _, files in os.walk(a) for f in files]
    assert {r.split(os.sep)[0] for r in rels} >= {'annotations', 'images'}
    assert len([r for r in rels if r.startswith('annotations')]) == 5
    for rel in rels:
        with open(osp.join(a, rel), 'rb') as fa, \
                open(osp.join(b, rel), 'rb') as fb:
            assert fa.read() == fb.read(), rel
    # the two-domain layout's annotations are byte for byte those written
    # before the union joints existed (the same pose draws)
    c = str(tmp_path / 'c')
    generate_dataset(c, 6, seed=3, img_size=64, show_progress=False,
                     splits=['target_train'])
    with open(osp.join(c, 'annotations', 'target_train.json'), 'rb') as f:
        assert hashlib.md5(f.read()).hexdigest() == \
            '90be3c8639209a186c690e5befc68db4'


def test_labelled_ratio_and_visibility_overrides(tiny_union_data, tmp_path):
    common = dict(type='SemiPoseDataset', keypoint_set='ap10k',
                  data_root=tiny_union_data,
                  ann_file='annotations/ap10k_train.json',
                  data_prefix=dict(img='images/'), pipeline=[])
    a = DATASETS.build(dict(common, labelled=dict(ratio=0.25, seed=2)))
    b = DATASETS.build(dict(common, labelled=dict(ratio=0.25, seed=2)))
    c = DATASETS.build(dict(common, labelled=dict(ratio=0.25, seed=3)))

    def ids(ds):
        return {ds[i]['id'] for i in range(len(ds)) if ds[i]['is_labelled']}
    assert len(ids(a)) == 4 and ids(a) == ids(b) and ids(a) != ids(c)
    # FreeNet's missing-keypoint files: image id + box within 2 px
    with open(osp.join(tiny_union_data, common['ann_file'])) as f:
        ann = json.load(f)['annotations'][0]
    vis = [1] * 17
    vis[5:11] = [0] * 6  # drop the front legs
    path = str(tmp_path / 'missing.json')
    with open(path, 'w') as f:
        json.dump([dict(image_id=ann['image_id'], vis=vis,
                        box=[v + 1.5 for v in ann['bbox']])], f)
    d = DATASETS.build(dict(common, visibility_overrides=path))
    inst = [d[i] for i in range(len(d)) if d[i]['id'] == ann['id']][0]
    assert inst['keypoints_visible'][0, 5:11].sum() == 0
    orig = np.asarray(ann['keypoints']).reshape(-1, 3)[:, 2] > 0
    np.testing.assert_array_equal(inst['keypoints_visible'][0, :5] > 0,
                                  orig[:5])


def test_labelled_subset_from_freenets_id_file(tiny_union_data, tmp_path):
    """labelled=dict(freenet_ids=P): the annotations FreeNet's pooled-id
    file lists for each dataset (AP-10K as numbered, AnimalPose offset by
    AP-10K's image and annotation counts) are the labelled ones."""
    from animal_da.datasets.semi_pose import FREENET_POOL

    def renumbered(split):
        """The generated file with ids as small as the real datasets'."""
        with open(osp.join(tiny_union_data, 'annotations',
                           f'{split}.json')) as f:
            coco = json.load(f)
        img = {im['id']: i + 1 for i, im in enumerate(coco['images'])}
        for im in coco['images']:
            im['id'] = img[im['id']]
        for i, a in enumerate(coco['annotations']):
            a['image_id'], a['id'] = img[a['image_id']], i + 1
        path = str(tmp_path / f'{split}.json')
        with open(path, 'w') as f:
            json.dump(coco, f)
        return path, coco['annotations']
    ap_file, ap = renumbered('ap10k_train')
    pose_file, pose = renumbered('animalpose_train')
    img_off, ann_off = FREENET_POOL['animal_pose']
    entries = {}
    for a in ap[:2]:
        entries.setdefault(str(a['image_id']), []).append(a['id'])
    for a in pose[3:5]:
        entries.setdefault(str(a['image_id'] + img_off), []).append(
            a['id'] + ann_off)
    path = str(tmp_path / 'random_0.1_img_ann_ids.json')
    with open(path, 'w') as f:
        json.dump(entries, f)

    def labelled(keypoint_set, ann_file, **extra):
        ds = DATASETS.build(dict(
            type='SemiPoseDataset', keypoint_set=keypoint_set,
            data_root=tiny_union_data, ann_file=ann_file,
            data_prefix=dict(img='images/'), pipeline=[],
            labelled=dict(freenet_ids=path, **extra)))
        return {ds[i]['id'] for i in range(len(ds)) if ds[i]['is_labelled']}
    assert labelled('ap10k', ap_file) == {a['id'] for a in ap[:2]}
    assert labelled('animalpose', pose_file) == {a['id'] for a in pose[3:5]}
    # a dataset with none of its listed annotations in the file: an error
    with open(path, 'w') as f:
        json.dump({'1': [10 ** 6]}, f)
    with pytest.raises(ValueError, match='another split'):
        labelled('ap10k', ap_file)


def test_labelled_unlabelled_sampler_ratio(monkeypatch):
    from animal_da.datasets import samplers

    class Data:
        infos = [dict(is_labelled=i < 10) for i in range(80)]

        def __len__(self):
            return len(self.infos)

        def get_data_info(self, i):
            return self.infos[i]
    monkeypatch.setattr(samplers, 'get_dist_info', lambda: (0, 1))
    s = samplers.DomainBalancedSampler(Data(), domain_key='is_labelled',
                                       ratio=(7, 1), seed=0)
    idx = list(s)
    assert len(idx) == len(s) == 80
    for start in range(0, len(idx), 8):
        chunk = idx[start:start + 8]
        assert sum(i < 10 for i in chunk) == 1  # 7 unlabelled + 1 labelled


def _tiny_stage(extra=None):
    opts = {'train_dataloader.batch_size': 8,
            'default_hooks.logger.interval': 1}
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    opts.update(extra or {})
    return opts


def _first_batch(cfg, data_root):
    """The first batch of 8 of ``cfg``'s FreeNet loader on ``data_root``
    (seeded)."""
    from mmengine.runner import Runner
    dl = cfg.train_dataloader
    dl.update(batch_size=8, num_workers=0, persistent_workers=False)
    for d in dl.dataset.datasets:
        d.data_root = osp.join(data_root, '')
    torch.manual_seed(0)
    np.random.seed(0)
    return next(iter(Runner.build_dataloader(dl, seed=0)))


def test_student_steps_on_the_weighted_pseudo_label_term(tiny_union_data):
    """train_step: the student's optimiser gets loss_sup + pseudo_weight x
    loss_pseudo (every kept label counted: floor off), and the log shows
    the weighted term."""
    from mmengine.optim import build_optim_wrapper

    from animal_da.pseudo_labels import build_filter
    cfg = Config.fromfile(FREENET)
    data = _first_batch(cfg, tiny_union_data)
    assert not all(s.metainfo['is_labelled'] for s in data['data_samples'][
        'ori'])
    seen = {}
    for w in (1.0, 0.0):
        torch.manual_seed(0)
        est = _tiny_freenet(pseudo_weight=w)
        est.part_filter = build_filter(dict(
            type='GroupQuantileFilter', groups=est.groups, floor=-1.0))
        optim = build_optim_wrapper(est, cfg.optim_wrapper)
        update = optim['student'].update_params
        optim['student'].update_params = lambda loss, **kw: (
            seen.__setitem__(w, float(loss)), update(loss, **kw))
        # the re-evaluation of the student (feedback) runs in the student's
        # optim context (its AMP autocast under AmpOptimWrapper)
        inside, contexts = [], []
        context = optim['student'].optim_context

        @contextlib.contextmanager
        def student_context(model, context=context):
            with context(model):
                inside.append(True)
                yield
                inside.pop()

        optim['student'].optim_context = student_context
        feedback = est.feedback
        est.feedback = lambda *a: (contexts.append(bool(inside)),
                                   feedback(*a))[1]
        log = est.train_step(data, optim)
        assert contexts == [True]
        assert seen[w] == pytest.approx(
            float(log['loss_sup'] + log['loss_pseudo']), rel=1e-5)
        if w == 0.0:
            assert float(log['loss_pseudo']) == 0.
        else:
            assert float(log['loss_pseudo']) > 0.
    assert seen[0.0] < seen[1.0]


def test_train_step_under_mixed_precision(tiny_union_data, monkeypatch):
    """FreeNet's AMP option (AmpOptimWrapper for both networks): a step
    under autocast runs, gives finite losses in float32 and moves both
    networks. mmengine builds the wrapper only with an accelerator and
    autocasts the CPU in bfloat16 only, so the device check is patched and
    the dtype is bfloat16 here (CUDA's float16 is not run on this
    machine)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    cfg = Config.fromfile(FREENET)
    data = _first_batch(cfg, tiny_union_data)
    torch.manual_seed(0)
    est = _tiny_freenet()
    ow = cfg.optim_wrapper.to_dict()
    for net in ('student', 'teacher'):
        ow[net].update(type='AmpOptimWrapper', dtype='bfloat16')
    optim = build_optim_wrapper(est, ow)
    assert all(type(optim[n]).__name__ == 'AmpOptimWrapper'
               for n in ('student', 'teacher'))
    before = {k: v.clone() for k, v in est.state_dict().items()}
    casts = []
    forward = est.heatmaps
    est.heatmaps = lambda net, x: (casts.append(
        torch.is_autocast_enabled('cpu')), forward(net, x))[1]
    log = est.train_step(data, optim)
    assert any(casts)  # the passes ran under the wrappers' autocast
    for k, v in log.items():
        assert v.dtype == torch.float32 and torch.isfinite(v).all(), k
    assert float(log['loss_pseudo']) > 0.
    after = est.state_dict()
    for net in ('student', 'teacher'):
        moved = [k for k in after if k.startswith(f'{net}.') and
                 after[k].is_floating_point() and
                 not torch.equal(after[k], before[k])]
        assert moved, net


def test_pseudo_labels_from_the_annotations_a_diagnostic(tiny_union_data):
    """pl_source='annotations' trains the student on the unlabelled
    instances' own targets (the datasets' unlabelled_annotations keeps
    them; the instances stay unlabelled), 'annotations_filtered' on those
    the part filter keeps; without the dataset option it is an error, and
    the option cannot go with a pseudo-label file."""
    from mmengine.runner import Runner

    from animal_da.apis.overrides import apply_options

    def first_batch(reveal):
        cfg = Config.fromfile(FREENET)
        dl = cfg.train_dataloader
        dl.update(batch_size=8, num_workers=0, persistent_workers=False)
        apply_options(cfg, {
            'train_dataloader.dataset.datasets[SemiPoseDataset].data_root':
            osp.join(tiny_union_data, ''),
            'train_dataloader.dataset.datasets[SemiPoseDataset].'
            'unlabelled_annotations': reveal})
        torch.manual_seed(0)
        np.random.seed(0)
        return next(iter(Runner.build_dataloader(dl, seed=0)))

    data = first_batch(True)
    est = _tiny_freenet(pl_source='annotations')
    batch = est.split(*est.data_preprocessor(data, True).values())
    unl = ~batch.labelled
    assert unl.any() and (batch.vis[unl] > 0).any()
    teacher = torch.rand(int(unl.sum()), 24, 24, 24)
    heat, mask, conf = est.pseudo_labels(teacher, batch)
    vis = batch.vis[unl] > 0
    assert mask.bool().tolist() == vis.tolist()
    assert torch.equal(heat, batch.target[unl] * vis[..., None, None])
    filt = _tiny_freenet(pl_source='annotations_filtered')
    _, fmask, _ = filt.pseudo_labels(teacher, batch)
    kept = filt.part_filter(conf, filt.keep_ratios())
    assert fmask.bool().tolist() == (vis & kept).tolist()
    assert 0 < fmask.sum() < mask.sum()
    # the teacher's pseudo labels ignore the annotations
    _, tmask, _ = _tiny_freenet().pseudo_labels(teacher, batch)
    assert tmask.tolist() == kept.tolist()
    hidden = first_batch(False)
    batch = est.split(*est.data_preprocessor(hidden, True).values())
    with pytest.raises(ValueError, match='unlabelled_annotations=True'):
        est.pseudo_labels(teacher, batch)
    with pytest.raises(ValueError, match='pl_source'):
        _tiny_freenet(pl_source='oracle')
    with pytest.raises(ValueError, match='pseudo_labels'):
        DATASETS.build(dict(
            type='SemiPoseDataset', keypoint_set='ap10k',
            data_root=tiny_union_data, pipeline=[],
            ann_file='annotations/ap10k_train.json',
            data_prefix=dict(img='images/'), unlabelled_annotations=True,
            pseudo_labels=dict(file='x.json')))


def test_freenet_demo_workflow_trains_and_evaluates(tiny_union_data,
                                                    tmp_path):
    """The demo workflow, each train stage a few iterations: naive merge
    -> export -> FreeNet (both networks step) -> evaluations with all,
    shared and exclusive joints, student and teacher."""
    wf = Workflow(WORKFLOW, str(tmp_path / 'w'))
    stages = {}
    for name, st in wf.stages.items():
        st = dict(st)
        if 'config' in st:
            st['config'] = wf._config_path(name, st['config'])
        if st['kind'] == 'train':
            head = ('model.pose_estimator.head' if 'freenet' in name else
                    'model.head')
            st.update(epochs=1, cfg_options=_tiny_stage(
                {f'{head}.deconv_out_channels': [16, 16, 16]}))
        if st['kind'] == 'evaluate':
            st['cfg_options'] = _tiny_stage(
                {'model.pose_estimator.head.deconv_out_channels'
                 if 'freenet' in name else 'model.head.deconv_out_channels':
                 [16, 16, 16]})
        stages[name] = st
    # a second FreeNet run from the first one's student (setting (b)'s
    # finetune chain), learning rates 0: both networks must still hold the
    # exported student's weights at its end
    stages['freenet_student'] = dict(kind='export', model='@freenet',
                                     which='student')
    stages['finetune'] = dict(
        stages['freenet'], init='@freenet_student.checkpoint',
        cfg_options=dict(stages['freenet']['cfg_options'], **{
            f'optim_wrapper.{n}.optimizer.lr': 0. for n in ('student',
                                                            'teacher')}))
    cfg = Config(dict(data_root=tiny_union_data, seed=0,
                      selection_metric='all/coco/AP', stages=stages))
    summary = run_workflow(cfg, str(tmp_path / 'w'))
    exported = torch.load(summary['stages']['freenet_student']['outputs'][
        'checkpoint'], map_location='cpu', weights_only=False)['state_dict']
    after = torch.load(summary['stages']['finetune']['outputs'][
        'checkpoint'], map_location='cpu', weights_only=False)['state_dict']
    first = torch.load(summary['stages']['freenet']['outputs'][
        'checkpoint'], map_location='cpu', weights_only=False)['state_dict']
    weights = [k for k, v in exported.items() if k.endswith('.weight') and
               v.dim() == 4]
    assert weights
    for net in ('student', 'teacher'):
        assert all(torch.equal(after[f'{net}.{k}'], exported[k])
                   for k in weights), net
    # the exported network is the first run's student, not its teacher
    assert any(not torch.equal(first[f'teacher.{k}'], exported[k])
               for k in weights)
    rows = {(r['method'], r.get('predict_on')): r for r in summary['rows']}
    assert ('freenet', 'student') in rows
    assert ('freenet_teacher', 'teacher') in rows
    row = rows[('freenet', 'student')]
    for key in ('ap', 'ap_shared', 'ap_exclusive', 'pck_bbox_only_tigdog',
                'pck_paper_animalpose'):
        assert len(row[key]['per_seed']) == 1
    log = open(next(iter(__import__('glob').glob(osp.join(
        str(tmp_path / 'w'), 'freenet', '*', '*.log'))))).read()
    assert 'loss_pseudo' in log and 'loss_teacher' in log
    assert 'student.lr' in log and 'teacher.lr' in log


def test_freenet_two_cpu_processes(tiny_union_data, tmp_path):
    """dist_train.sh with 2 processes: both networks (two optimisers) stay
    identical across ranks."""
    hooks = Config.fromfile(FREENET).custom_hooks
    cfg = probe_config(FREENET, tmp_path, [dict(h) for h in hooks])
    root = tiny_union_data.rstrip('/') + '/'
    opts = [f'{k}={v}' for k, v in _tiny_stage({
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
        'train_dataloader.batch_size': 8,
        'model.pose_estimator.head.deconv_out_channels': '[16,16,16]',
        'model.init_cfg': None}).items()]
    for i in range(3):
        opts.append(f'train_dataloader.dataset.datasets.{i}.data_root={root}')
    opts += [f'val_dataloader.dataset.data_root={root}',
             f'test_dataloader.dataset.data_root={root}']
    work = str(tmp_path / 'dist')
    out = dist_train(cfg, work, opts)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert differing_params(work, ['student.', 'teacher.']) == []


def test_states_reach_both_views_of_the_union_dataset(tiny_union_data):
    """The FreeNet training set: every source converted into the union by
    name, the keypoint states in both pixel-aligned views (a TigDog-style
    instance has no nose and no ears: not annotated; AP-10K-style ones no
    throat)."""
    from animal_da.apis.overrides import apply_workflow_keys
    from animal_da.datasets.keypoint_states import NOT_ANNOTATED
    cfg = Config.fromfile(FREENET)
    apply_workflow_keys(cfg, data_root=tiny_union_data)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    names = keypoint_names(SOURCES['tigdog'][0])
    assert len(names) == 19
    seen = set()
    for i in range(len(ds)):
        out = ds[i]
        ori = out['data_samples']['ori']
        aug = out['data_samples']['aug']
        st_o = ori.gt_instances.keypoints_state
        np.testing.assert_array_equal(st_o, aug.gt_instances.keypoints_state)
        src = ori.metainfo['dataset_name']
        seen.add(src)
        if src == 'tigdog19':
            assert st_o[0, 2] == NOT_ANNOTATED  # nose
            assert (st_o[0, 17:19] == NOT_ANNOTATED).all()  # ears
        if src == 'ap10k':
            assert (st_o[0, 17:24] == NOT_ANNOTATED).all()
        w = ori.gt_instance_labels.keypoint_weights[0]
        assert (w[torch.as_tensor(st_o[0]) == NOT_ANNOTATED] == 0).all()
    assert seen == {'ap10k', 'animalpose', 'tigdog19'}


PAPER_FREENET = sorted(glob.glob(osp.join(
    REPO, 'configs', 'freenet', 'freenet_hrnet-w32_*_256x256.py')))


@pytest.mark.parametrize('path', PAPER_FREENET,
                         ids=[osp.basename(p) for p in PAPER_FREENET])
def test_base_network_and_freenet_label_the_same_instances(path):
    """Every FreeNet config at 256 px and its base network's config (the
    naive merge it starts from) read the same labelled subset of each
    source: same labelled setting and visibility overrides per file."""
    def labelled_sources(cfg_path):
        ds = Config.fromfile(cfg_path).train_dataloader.dataset
        out = {}
        for d in ds.get('datasets', [ds]):
            if d.get('role', 'labelled') in ('labelled', 'all'):
                out[(d.get('keypoint_set'), d['data_root'], d['ann_file'])] = (
                    d.get('labelled'), d.get('visibility_overrides'))
        return out

    base = osp.join(osp.dirname(path), osp.basename(path).replace(
        'freenet_hrnet', 'td-hm_hrnet').replace('-finetune', ''))
    assert osp.isfile(base), base
    freenet, naive = labelled_sources(path), labelled_sources(base)
    assert freenet and freenet == naive
