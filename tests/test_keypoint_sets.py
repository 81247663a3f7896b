"""Keypoint unions: converters by name, three keypoint states through the
pipeline, losses and metrics that skip what is not annotated."""
import numpy as np
import pytest
import torch
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import METRICS, TRANSFORMS

import animal_da  # noqa: F401
from animal_da.datasets.keypoint_sets import (PART_GROUPS, SOURCES, UNIONS,
                                              annotated_joints,
                                              check_keypoint_order,
                                              inverse_mapping, joint_subsets,
                                              keypoint_names,
                                              normalise_joint_name,
                                              union_mapping)
from animal_da.datasets.keypoint_states import (FILTERED, NOT_ANNOTATED,
                                                OCCLUDED, VISIBLE)

#: FreeNet's own maps (METHODS.md 3.3), written out: the by-name derivation
#: must reproduce them
FREENET_TIGDOG = [0, 1, 21, 7, 10, 13, 16, 4, 6, 9, 12, 15, 22, 23, 5, 8, 11,
                  14, 3]
MMPOSE_ANIMALPOSE = [(0, 0), (1, 1), (2, 17), (3, 18), (4, 2), (5, 19),
                     (6, 4), (7, 20), (8, 5), (9, 8), (10, 11), (11, 14),
                     (12, 6), (13, 9), (14, 12), (15, 15), (16, 7), (17, 10),
                     (18, 13), (19, 16)]
#: FreeNet's map of its own AnimalPose order (its re-split files)
FREENET_ANIMALPOSE = [0, 1, 2, 17, 18, 5, 8, 11, 14, 6, 9, 12, 15, 7, 10, 13,
                      16, 19, 20, 4]


def test_mappings_reproduce_freenet():
    assert union_mapping('ap10k', 'animal_union21') == [(i, i)
                                                        for i in range(17)]
    for union in UNIONS:
        assert union_mapping('animalpose', union) == MMPOSE_ANIMALPOSE
    assert [u for _, u in union_mapping('tigdog', 'animal_union24')] == \
        FREENET_TIGDOG
    for union in UNIONS:
        assert [u for _, u in union_mapping('animalpose_freenet', union)] \
            == FREENET_ANIMALPOSE
    # TigDog's chin and shoulders are not in the 21-joint union
    assert len(union_mapping('tigdog', 'animal_union21')) == 16


@pytest.mark.parametrize('union', sorted(UNIONS))
def test_every_mapped_joint_lands_on_its_name(union):
    meta = parse_pose_metainfo(dict(from_file=UNIONS[union]))
    unames = keypoint_names(UNIONS[union])
    for source, (file, aliases) in SOURCES.items():
        names = keypoint_names(file)
        mapping = union_mapping(source, union)
        conv = TRANSFORMS.build(dict(type='UnionKeypointConverter',
                                     source=source, union=union))
        k = len(names)
        # each joint's x coordinate is its own index: after conversion the
        # union joint must carry the index of the source joint of its name
        res = conv(dict(keypoints=np.stack([np.arange(k), -np.ones(k)],
                                           -1)[None].astype(np.float32),
                        keypoints_visible=np.ones((1, k), np.float32)))
        for s, u in mapping:
            assert aliases[names[s]] == unames[u]
            assert res['keypoints'][0, u, 0] == s
        mapped = {u for _, u in mapping}
        ann = res['keypoints_visible'][0]
        assert ann.shape == (meta['num_keypoints'], 3)
        for u in range(meta['num_keypoints']):
            assert ann[u, 1] == (u in mapped)  # annotated in this source
            assert ann[u, 2] == (VISIBLE if u in mapped else NOT_ANNOTATED)


def test_round_trip_ap10k_union_ap10k_is_identity():
    rng = np.random.default_rng(0)
    kps = rng.uniform(0, 100, (2, 17, 2)).astype(np.float32)
    vis = (rng.random((2, 17)) > 0.3).astype(np.float32)
    res = TRANSFORMS.build(dict(type='UnionKeypointConverter', source='ap10k',
                                union='animal_union24'))(
        dict(keypoints=kps.copy(), keypoints_visible=vis.copy()))
    back = TRANSFORMS.build(dict(
        type='UnionKeypointConverter', num_keypoints=17,
        mapping=inverse_mapping('ap10k', 'animal_union24')))(res)
    np.testing.assert_array_equal(back['keypoints'], kps)
    np.testing.assert_array_equal(back['keypoints_visible'][..., 0], vis)
    np.testing.assert_array_equal(back['keypoints_visible'][..., 2],
                                  np.where(vis > 0, VISIBLE, NOT_ANNOTATED))


def test_joint_subsets_and_groups():
    sub = joint_subsets('animal_union21')
    assert sub['only_ap10k'] == [3]  # neck
    assert sub['only_animalpose'] == [17, 18, 19, 20]  # ears, throat, wither
    assert len(sub['shared']) == 16
    sub24 = joint_subsets('animal_union24')
    # TigDog has no nose, AnimalPose no neck
    assert sub24['exclusive'] == [2, 3, 17, 18, 19, 20, 21, 22, 23]
    assert sub24['only_tigdog'] == [21, 22, 23]
    assert 3 not in sub24['shared'] and 3 in sub24['exclusive']
    for union, groups in PART_GROUPS.items():
        n = 17 if union == 'ap10k' else len(keypoint_names(UNIONS[union]))
        joints = sorted(j for g in groups.values() for j in g)
        assert joints == list(range(n)), union  # a partition
    assert annotated_joints('ap10k', 'animal_union24') == list(range(17))


def _instance(raw_v):
    """One top-down instance in AnimalPose order with COCO codes raw_v."""
    k = len(raw_v)
    kps = np.stack([np.linspace(10, 80, k), np.linspace(20, 60, k)], -1)
    ann = dict(keypoints=np.concatenate([kps, np.asarray(raw_v)[:, None]],
                                        -1).reshape(-1).tolist())
    return dict(img=np.zeros((100, 100, 3), np.uint8), img_shape=(100, 100),
                ori_shape=(100, 100),
                bbox=np.array([[5., 5., 90., 90.]], np.float32),
                bbox_score=np.ones(1, np.float32),
                keypoints=kps[None].astype(np.float32),
                keypoints_visible=np.minimum(1, np.asarray(raw_v))[None]
                .astype(np.float32), raw_ann_info=ann, id=1, img_id=1)


def test_states_survive_flip_and_half_body():
    union = 'animal_union24'
    meta = parse_pose_metainfo(dict(from_file=UNIONS[union]))
    raw_v = np.array([2] * 20)
    raw_v[0] = 1  # L_Eye occluded
    raw_v[2] = 0  # L_EarBase not labelled in this instance
    res = TRANSFORMS.build(dict(type='UnionKeypointConverter',
                                source='animalpose', union=union))(
        _instance(raw_v))
    res['flip_indices'] = meta['flip_indices']
    state0 = res['keypoints_visible'][0, :, 2].copy()
    assert state0[0] == OCCLUDED and state0[1] == VISIBLE
    assert state0[17] == NOT_ANNOTATED  # L_ear left out
    assert state0[3] == NOT_ANNOTATED  # neck: AnimalPose has none
    assert state0[18] == VISIBLE
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.,
                                 direction='horizontal'))
    out = flip(dict(res))
    st = out['keypoints_visible'][0, :, 2]
    np.testing.assert_array_equal(st, state0[meta['flip_indices']])
    assert st[1] == OCCLUDED and st[18] == NOT_ANNOTATED  # swapped sides
    # half-body: the states stay put (it only changes the box)
    hb = TRANSFORMS.build(dict(type='RandomHalfBody', prob=1.,
                               min_total_keypoints=2,
                               min_upper_keypoints=1,
                               min_lower_keypoints=1))
    res2 = dict(res, upper_body_ids=meta['upper_body_ids'],
                lower_body_ids=meta['lower_body_ids'],
                bbox_center=np.array([[50., 50.]], np.float32),
                bbox_scale=np.array([[90., 90.]], np.float32))
    out2 = hb(res2)
    np.testing.assert_array_equal(out2['keypoints_visible'][0, :, 2], state0)
    assert out2['keypoints_visible'].shape == (1, 24, 3)


def test_pack_states_and_loss_ignores_not_annotated():
    union = 'animal_union24'
    meta = parse_pose_metainfo(dict(from_file=UNIONS[union]))
    codec = dict(type='MSRAHeatmap', input_size=(64, 64),
                 heatmap_size=(16, 16), sigma=1)
    pipeline = [dict(type='UnionKeypointConverter', source='animalpose',
                     union=union),
                dict(type='GetBBoxCenterScale'),
                dict(type='TopdownAffine', input_size=(64, 64)),
                dict(type='PopKeypointStates'),
                dict(type='GenerateTarget', encoder=codec),
                dict(type='PackPoseInputs')]
    res = dict(_instance(np.array([2] * 20)), flip_indices=meta[
        'flip_indices'])
    for t in pipeline:
        res = TRANSFORMS.build(t)(res)
    sample = res['data_samples']
    state = sample.gt_instances.keypoints_state
    assert state.shape == (1, 24) and state[0, 3] == NOT_ANNOTATED
    w = sample.gt_instance_labels.keypoint_weights[0]
    assert w[3] == 0 and w[21] == 0 and w[0] == 1  # neck, chin: no loss
    from mmpose.models.losses import KeypointMSELoss
    loss = KeypointMSELoss(use_target_weight=True)
    target = sample.gt_fields.heatmaps[None]
    pred = target.clone()
    base = loss(pred, target, w[None])
    pred[0, [3, 21]] += 5.  # wrong only where nothing is annotated
    assert torch.allclose(loss(pred, target, w[None]), base)


def test_pseudo_label_states():
    res = TRANSFORMS.build(dict(type='SetKeypointStates'))(dict(
        keypoints=np.zeros((1, 3, 2), np.float32),
        keypoints_visible=np.array([[1., 0., 1.]], np.float32),
        has_pseudo_label=True))
    np.testing.assert_array_equal(res['keypoints_visible'][0, :, 2],
                                  [VISIBLE, FILTERED, VISIBLE])


def _sample(pred, gt, vis, sid, meta):
    k = len(gt)
    kps = np.concatenate([gt, 2 * vis[:, None]], -1)
    return dict(
        id=sid, img_id=sid, category_id=1, ori_shape=(100, 100),
        raw_ann_info=dict(id=sid, image_id=sid, category_id=1,
                          bbox=[0, 0, 100, 100], area=10000., iscrowd=0,
                          keypoints=kps.reshape(-1).tolist(),
                          num_keypoints=int(vis.sum())),
        input_scale=np.array([125., 125.]), input_center=np.array([50., 50.]),
        pred_instances=dict(keypoints=pred[None],
                            keypoint_scores=np.ones((1, k))),
        gt_instances=dict(keypoints=gt[None], keypoints_visible=vis[None],
                          bboxes=np.array([[0., 0., 100., 100.]]),
                          bbox_scales=np.array([[100., 100.]])))


def test_joint_subset_metric_counts_only_annotated():
    union = 'animal_union21'
    meta = parse_pose_metainfo(dict(from_file=UNIONS[union]))
    metric = METRICS.build(dict(
        type='JointSubsetMetric', subsets=union,
        metrics=[dict(type='CocoMetric', ann_file=None),
                 dict(type='PCKAccuracy', thr=0.05)]))
    meta['CLASSES'] = [dict(id=1, name='animal')]  # as a dataset sets it
    metric.dataset_meta = meta
    rng = np.random.default_rng(0)
    samples = []
    only_ap = joint_subsets(union)['only_animalpose']
    for i in range(4):
        gt = rng.uniform(10, 90, (21, 2))
        vis = np.ones(21)
        vis[only_ap] = 0  # an AP-10K-style sample: AnimalPose joints absent
        pred = gt.copy()
        pred[only_ap] += 40.  # far off, but not annotated: never counted
        pred[5] += 40.  # a shared joint wrong
        samples.append(_sample(pred, gt, vis, i + 1, meta))
    metric.process({}, samples)
    out = metric.evaluate(4)
    assert out['only_ap10k/PCK'] == 1.0
    assert out['shared/PCK'] == pytest.approx(15 / 16)
    assert out['all/PCK'] == pytest.approx(16 / 17)
    # the subset has no annotated joint: COCO AP is -1 (nothing to match)
    # and PCK has no valid joint
    assert out['only_animalpose/coco/AP'] < 0.5
    assert out['ap10k/coco/AP'] < 1.0 and out['only_ap10k/coco/AP'] == 1.0
    assert set(k.split('/')[0] for k in out) == set(joint_subsets(union))


def test_joint_subset_metric_per_source_dataset(tmp_path):
    """group_by evaluates each source dataset's images apart (FreeNet's
    union val file marks them ``from``): each group's figures are those of
    the metric run on that group's samples alone."""
    import json
    union = 'animal_union21'
    meta = parse_pose_metainfo(dict(from_file=UNIONS[union]))
    meta['CLASSES'] = [dict(id=1, name='animal')]
    ann_file = str(tmp_path / 'union_val.json')
    origin = {i: ('ap_10k' if i <= 3 else 'animal_pose') for i in range(1, 6)}
    with open(ann_file, 'w') as f:
        json.dump(dict(images=[dict(id=i, **{'from': g})
                               for i, g in origin.items()] + [dict(id=6)]),
                  f)
    rng = np.random.default_rng(1)
    samples = []
    for i in range(1, 7):
        gt = rng.uniform(10, 90, (21, 2))
        pred = gt + rng.normal(0, 3 if origin.get(i) == 'ap_10k' else 12,
                               gt.shape)
        samples.append(_sample(pred, gt, np.ones(21), i, meta))
    cfg = dict(type='JointSubsetMetric', subsets=union,
               metrics=[dict(type='CocoMetric', ann_file=None),
                        dict(type='PCKAccuracy', thr=0.05)])
    grouped = METRICS.build(dict(cfg, group_by=dict(ann_file=ann_file,
                                                    field='from')))
    grouped.dataset_meta = meta
    grouped.process({}, samples[:4])  # two batches
    # and a repeat of the first sample, as a distributed sampler pads the
    # last batch: dropped by the dataset size, in the groups too
    grouped.process({}, samples[4:] + samples[:1])
    out = grouped.evaluate(6)
    for group in ('ap_10k', 'animal_pose'):
        alone = METRICS.build(cfg)
        alone.dataset_meta = meta
        part = [s for s in samples if origin.get(s['img_id']) == group]
        alone.process({}, part)
        ref = alone.evaluate(len(part))
        for key in ('all/coco/AP', 'shared/PCK', 'only_animalpose/PCK'):
            assert out[f'{group}/{key}'] == pytest.approx(ref[key])
    # the whole set is still evaluated as before, and the groups differ
    assert out['ap_10k/all/PCK'] > out['animal_pose/all/PCK']
    assert 'all/coco/AP' in out and not any(k.startswith('None')
                                            for k in out)
    # the file is read when the evaluator gets its dataset (a config builds
    # without its data)
    missing = METRICS.build(dict(cfg, group_by=dict(ann_file=ann_file,
                                                    field='source')))
    with pytest.raises(ValueError, match='field'):
        missing.dataset_meta = meta
    with pytest.raises(ValueError, match='group_by'):
        METRICS.build(dict(cfg, group_by=dict(field='from')))


def test_animalpose_in_freenets_order_is_mmposes_joints_renamed():
    """The FreeNet-order AnimalPose metainfo holds mmpose's AnimalPose
    entries, joint by joint (matched by name, not position)."""
    ours = parse_pose_metainfo(
        dict(from_file=SOURCES['animalpose_freenet'][0]))
    mm = parse_pose_metainfo(dict(from_file=SOURCES['animalpose'][0]))
    norm = normalise_joint_name
    ours_names = keypoint_names(SOURCES['animalpose_freenet'][0])
    mm_names = keypoint_names(SOURCES['animalpose'][0])
    assert ours_names[:3] == ('left_eye', 'right_eye', 'nose')
    assert ours_names[-3:] == ('throat', 'withers', 'tailbase')
    to_mm = {i: [norm(n) for n in mm_names].index(norm(name))
             for i, name in enumerate(ours_names)}
    assert sorted(to_mm.values()) == list(range(20))
    assert list(to_mm.values()) != list(range(20))  # another order
    for i, j in to_mm.items():
        assert ours['sigmas'][i] == mm['sigmas'][j]
        assert ours['dataset_keypoint_weights'][i] == \
            mm['dataset_keypoint_weights'][j]
        assert (i in ours['upper_body_ids']) == (j in mm['upper_body_ids'])
        assert to_mm[ours['flip_indices'][i]] == mm['flip_indices'][j]
    links = {frozenset(to_mm[k] for k in link)
             for link in ours['skeleton_links']}
    assert links == {frozenset(link) for link in mm['skeleton_links']}


def test_joint_names_compare_across_spellings():
    norm = normalise_joint_name
    assert norm('left_front_paw') == norm('L_F_Paw') == 'lfpaw'
    assert norm('L_EarBase') == norm('left_ear')
    assert norm('Root of tail') == norm('root_of_tail') == norm('TailBase')
    assert norm('L_F_Elbow') != norm('L_F_Knee')
    mm = keypoint_names(SOURCES['animalpose'][0])
    fn = keypoint_names(SOURCES['animalpose_freenet'][0])
    assert check_keypoint_order(mm, mm, 'f') is None
    # AP-10K's own file spells its joints differently, in mmpose's order
    ap10k_file = ['left_eye', 'right_eye', 'nose', 'neck', 'root_of_tail',
                  'left_shoulder', 'left_elbow', 'left_front_paw',
                  'right_shoulder', 'right_elbow', 'right_front_paw',
                  'left_hip', 'left_knee', 'left_back_paw', 'right_hip',
                  'right_knee', 'right_back_paw']
    assert check_keypoint_order(
        ap10k_file, keypoint_names(SOURCES['ap10k'][0]), 'f') is None
    # FreeNet's AnimalPose file read with mmpose's order: an error naming
    # the keypoint set that fits
    with pytest.raises(ValueError, match='animalpose_freenet'):
        check_keypoint_order(fn, mm, 'animal_pose_train.json')
    # one joint spelt otherwise: the others are still seen out of place
    odd = ['throat_point' if n == 'throat' else n for n in fn]
    with pytest.raises(ValueError, match='another order'):
        check_keypoint_order(odd, mm, 'animal_pose_train.json')
    assert normalise_joint_name('withers') == normalise_joint_name('wither')
    # names that cannot be matched (FreeNet's union val file lists AP-10K's
    # 17): a message, not an error
    assert 'not checked' in check_keypoint_order(
        ap10k_file, keypoint_names(UNIONS['animal_union21']), 'f')


def test_union_metainfo_is_freenets():
    """The unions' metainfo holds FreeNet's literal lists (METHODS.md 3.3;
    info/ap_10k_animal_pose_union_keypoints_format.json for 21 joints,
    info/union_definition.json for 24)."""
    kps_weights = [1, 1, 1, 1, 1.2, 1.2, 1.2, 1.5, 1.2, 1.2, 1.5, 1.5, 1.2,
                   1.5, 1.5, 1.2, 1.5, 1, 1, 1, 1]
    sigmas = [.025, .025, .026, .035, .035, .079, .072, .062, .079, .072,
              .062, .107, .087, .089, .107, .087, .089, .035, .035, .10, .10]
    flips = [(0, 1), (5, 8), (6, 9), (7, 10), (11, 14), (12, 15), (13, 16),
             (17, 18)]
    upper = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 17, 18}
    names = ['L_eye', 'R_eye', 'nose', 'neck', 'tail', 'L_F_hip', 'L_F_knee',
             'L_F_paw', 'R_F_hip', 'R_F_knee', 'R_F_paw', 'L_B_hip',
             'L_B_knee', 'L_B_paw', 'R_B_hip', 'R_B_knee', 'R_B_paw', 'L_ear',
             'R_ear', 'throat', 'wither']
    # the 24-joint file's kps_weights differ from the 21-joint file's: hip,
    # knee, paw 1.0 / 1.2 / 1.5 on every leg, 1.0 elsewhere
    kps_weights_24 = [1.0] * 5 + [1.0, 1.2, 1.5] * 4 + [1.0] * 7
    for union, extra in (('animal_union21', 0), ('animal_union24', 3)):
        meta = parse_pose_metainfo(dict(from_file=UNIONS[union]))
        n = 21 + extra
        assert list(keypoint_names(UNIONS[union]))[:21] == names
        np.testing.assert_allclose(meta['sigmas'][:21], sigmas)
        np.testing.assert_allclose(meta['dataset_keypoint_weights'],
                                   kps_weights_24 if extra else kps_weights)
        pairs = flips + ([(22, 23)] if extra else [])
        expect = list(range(n))
        for a, b in pairs:
            expect[a], expect[b] = b, a
        assert meta['flip_indices'] == expect
        assert set(meta['upper_body_ids']) & set(range(21)) == upper
        assert set(meta['lower_body_ids']) & set(range(21)) == \
            set(range(21)) - upper
        if extra:
            assert list(keypoint_names(UNIONS[union]))[21:] == [
                'chin', 'L_shoulder', 'R_shoulder']
            np.testing.assert_allclose(meta['sigmas'][21:],
                                       [.026, .035, .035])


def test_joint_subset_metric_groups_on_two_processes(tmp_path):
    """group_by under a 2-process evaluation: the padded repeat the sampler
    adds is dropped from the groups as from the whole set, and every
    figure equals the one-process evaluation's."""
    import json
    import os
    import os.path as osp
    import subprocess
    import sys

    import dist_metric_probe as probe
    from dist_utils import TESTS, free_port
    if not torch.distributed.is_available():
        pytest.skip('torch.distributed is not available in this torch build')
    ann_file, out_file = str(tmp_path / 'val.json'), str(tmp_path / 'o.json')
    probe.write_groups(ann_file)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        [TESTS, os.environ.get('PYTHONPATH', '')]))
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()),
         osp.join(TESTS, 'dist_metric_probe.py'), ann_file, out_file],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(out_file) as f:
        two = json.load(f)
    metric, meta = probe.build(ann_file)
    metric.process({}, probe.samples(meta))
    one = metric.evaluate(probe.N)
    assert set(two) == set(one)
    assert any(k.startswith('animal_pose/') for k in one)
    for key, val in one.items():
        assert two[key] == pytest.approx(val), key
