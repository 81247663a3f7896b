"""The procedural two-domain animal generator."""
import filecmp
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest

from animal_da.datasets.synthetic import (KEYPOINT_NAMES, SPECIES, STYLES,
                                          generate_dataset, render_sample)
from animal_da.datasets.synthetic.render import OCCLUDER
from animal_da.datasets.synthetic.writer import ap10k_metainfo
from conftest import BASELINE, REPO, fast_options


def test_keypoints_are_ap10k():
    meta = ap10k_metainfo()
    assert tuple(meta['keypoint_id2name'][i] for i in range(17)) == \
        KEYPOINT_NAMES
    assert len(SPECIES) >= 6
    families = {p.family for p in SPECIES.values()}
    assert len(families) == len(SPECIES)


def test_same_seed_same_files(tmp_path):
    a, b, c = (str(tmp_path / n) for n in 'abc')
    generate_dataset(a, 6, seed=3, img_size=64, show_progress=False)
    generate_dataset(b, 6, seed=3, img_size=64, nproc=2, show_progress=False)
    generate_dataset(c, 6, seed=4, img_size=64, show_progress=False)
    for split in ('source_train', 'target_test'):
        ja = osp.join(a, 'annotations', f'{split}.json')
        assert filecmp.cmp(ja, osp.join(b, 'annotations', f'{split}.json'),
                           shallow=False)
        assert not filecmp.cmp(ja, osp.join(c, 'annotations',
                                            f'{split}.json'), shallow=False)
    img = osp.join('images', 'target_train', '000002.jpg')
    assert filecmp.cmp(osp.join(a, img), osp.join(b, img), shallow=False)
    assert not filecmp.cmp(osp.join(a, img), osp.join(c, img), shallow=False)


@pytest.mark.parametrize('style', sorted(STYLES))
def test_visible_keypoints_lie_on_the_animal(style):
    rng = np.random.default_rng(0)
    seen = {0: 0, 1: 0, 2: 0}
    for i in range(60):
        plan = list(SPECIES.values())[i % len(SPECIES)]
        out = render_sample(plan, STYLES[style], rng, size=128)
        labels = out['labels']
        for x, y, v in out['keypoints']:
            seen[int(v)] += 1
            if v == 2:
                assert 0 <= x < 128 and 0 <= y < 128
                lab = labels[int(y), int(x)]
                assert lab != 0 and lab != OCCLUDER
            elif v == 0:
                assert x == 0 and y == 0
        x, y, w, h = out['bbox']
        vis = out['keypoints'][out['keypoints'][:, 2] == 2]
        assert np.all(vis[:, 0] >= x - 1) and np.all(vis[:, 0] <= x + w + 1)
    assert seen[2] > seen[1] > 0  # occlusion exists but most are visible


def test_real_style_differs_from_synthetic():
    rng1, rng2 = np.random.default_rng(1), np.random.default_rng(1)
    plan = SPECIES['horse']
    a = render_sample(plan, STYLES['synthetic'], rng1, 128)['image']
    b = render_sample(plan, STYLES['real'], rng2, 128)['image']

    # clutter, noise and texture: far more local variation in `real`
    def roughness(img):
        return np.abs(np.diff(img.astype(float), axis=1)).mean()
    assert roughness(b) > 2 * roughness(a)


def test_flip_pairs_swap_under_mmpose_random_flip(tiny_data):
    from mmpose.datasets.transforms import RandomFlip
    meta = ap10k_metainfo()
    with open(osp.join(tiny_data, 'annotations', 'source_train.json')) as f:
        ann = json.load(f)['annotations'][0]
    kp = np.array(ann['keypoints'], np.float32).reshape(1, 17, 3)
    results = dict(img=np.zeros((96, 96, 3), np.uint8), img_shape=(96, 96),
                   keypoints=kp[..., :2].copy(),
                   keypoints_visible=kp[..., 2].copy(),
                   bbox=np.array([[0, 0, 95, 95]], np.float32),
                   bbox_center=np.array([[48, 48]], np.float32),
                   flip_indices=meta['flip_indices'])
    out = RandomFlip(prob=1.0, direction='horizontal')(results)
    names = KEYPOINT_NAMES
    for i, name in enumerate(names):
        j = names.index(name.replace('L_', 'X_').replace('R_', 'L_')
                        .replace('X_', 'R_'))
        if kp[0, i, 2] > 0:
            assert out['keypoints_visible'][0, j] == kp[0, i, 2]
            assert out['keypoints'][0, j, 0] == pytest.approx(
                96 - 1 - kp[0, i, 0], abs=1e-3)
            assert out['keypoints'][0, j, 1] == pytest.approx(kp[0, i, 1])


def test_loads_in_ap10k_dataset_and_gt_scores_ap_1(tiny_data):
    from mmengine.config import Config
    from mmpose.evaluation.metrics import CocoMetric
    from mmpose.registry import DATASETS
    cfg = Config.fromfile(BASELINE)
    ann = osp.join(tiny_data, 'annotations', 'target_test.json')
    ds = DATASETS.build(
        dict(type='AP10KDataset', data_root=tiny_data,
             ann_file='annotations/target_test.json',
             data_prefix=dict(img='images/'), test_mode=True,
             pipeline=cfg.val_pipeline))
    assert len(ds) == 4
    assert ds[0]['inputs'].shape[-2:] == (96, 96)
    metric = CocoMetric(ann_file=ann)
    metric.dataset_meta = ds.metainfo
    with open(ann) as f:
        coco = json.load(f)
    for a in coco['annotations']:
        kp = np.array(a['keypoints'], np.float32).reshape(1, 17, 3)
        metric.process([], [dict(
            id=a['id'], img_id=a['image_id'], category_id=a['category_id'],
            ori_shape=(96, 96),
            pred_instances=dict(keypoints=kp[..., :2],
                                keypoint_scores=np.ones((1, 17)),
                                bbox_scores=np.ones(1)),
            gt_instances=dict(bbox_scales=np.array([[a['bbox'][2],
                                                     a['bbox'][3]]]),
                              bbox_scores=np.ones(1),
                              areas=np.array([a['area']])))])
    res = metric.evaluate(size=len(coco['annotations']))
    assert res['coco/AP'] == pytest.approx(1.0)


@pytest.mark.parametrize('kwargs,error', [
    (dict(species=['unicorn']), 'unicorn'),
    (dict(source_style='cartoon'), 'cartoon'),
    (dict(splits=['target_tset']), 'target_tset'),
    (dict(num_images=0), 'positive'),
    (dict(split_sizes={'target_tset': 3}), 'target_tset'),
    (dict(split_sizes={'target_test': 0}), 'positive integer'),
    (dict(split_sizes={'target_test': 2.5}), 'positive integer'),
    (dict(split_sizes={'target_test': -3}), 'positive integer'),
    (dict(split_sizes={'target_test': True}), 'positive integer'),
    (dict(split_sizes={'union_val': 3}), "layout 'domains'"),
    (dict(splits=['target_train'], split_sizes={'target_test': 3}),
     'not written'),
    (dict(layout='bogus'), 'unknown layout'),
])
def test_bad_arguments(tmp_path, kwargs, error):
    args = dict(num_images=2)
    args.update(kwargs)
    n = args.pop('num_images')
    with pytest.raises(ValueError, match=error):
        generate_dataset(str(tmp_path / 'd'), n, show_progress=False, **args)
    assert not osp.exists(tmp_path / 'd')


def test_split_sizes_grow_a_split_and_keep_its_images(tmp_path,
                                                      monkeypatch):
    """A split given a size has that many images, its first images and
    annotations are those of the default size, the other splits are
    unchanged, and ensure_dataset tells the two folders apart (and reuses
    a matching one without writing)."""
    from animal_da.datasets.synthetic import ensure_dataset, writer
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    common = dict(img_size=64, splits=['target_train', 'target_test'],
                  show_progress=False)
    generate_dataset(a, 8, **common)  # target_test: 2 images
    meta = generate_dataset(b, 8, split_sizes={'target_test': 5}, **common)
    assert meta['splits'] == {'target_train': 8, 'target_test': 5}
    assert meta['split_sizes'] == {'target_test': 5}
    for i in range(2):
        img = osp.join('images', 'target_test', f'{i:06d}.jpg')
        assert filecmp.cmp(osp.join(a, img), osp.join(b, img), shallow=False)
    train = osp.join('annotations', 'target_train.json')
    assert filecmp.cmp(osp.join(a, train), osp.join(b, train), shallow=False)
    tests = []
    for d in (a, b):
        with open(osp.join(d, 'annotations', 'target_test.json')) as f:
            tests.append(json.load(f))
    assert len(tests[1]['images']) == 5
    for key in ('images', 'annotations'):
        assert tests[1][key][:2] == tests[0][key]
    # a size equal to the default is the default folder
    assert 'split_sizes' not in generate_dataset(
        str(tmp_path / 'c'), 8, split_sizes={'target_test': 2}, **common)

    # a matching folder is reused as it is
    def no_writing(*args, **kwargs):
        raise AssertionError('regenerated a matching folder')

    monkeypatch.setattr(writer, 'generate_dataset', no_writing)
    assert ensure_dataset(b, 8, split_sizes={'target_test': 5},
                          **common) == meta
    assert 'split_sizes' not in ensure_dataset(a, 8, **common)
    monkeypatch.undo()
    # one with other sizes is not: each folder becomes the other
    again = ensure_dataset(a, 8, split_sizes={'target_test': 5}, **common)
    assert again['splits']['target_test'] == 5
    back = ensure_dataset(b, 8, **common)
    assert 'split_sizes' not in back and back['splits']['target_test'] == 2


def test_unwritable_output(tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    with pytest.raises(PermissionError, match='a_file'):
        generate_dataset(str(blocker / 'd'), 2, show_progress=False)
    ro = tmp_path / 'ro'
    ro.mkdir()
    os.chmod(ro, 0o500)
    try:
        if not os.access(ro, os.W_OK):  # root may write anywhere
            with pytest.raises(PermissionError, match='not writable'):
                generate_dataset(str(ro / 'd'), 2, show_progress=False)
    finally:
        os.chmod(ro, 0o700)


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch):
    from animal_da.datasets.synthetic import writer
    calls = {'n': 0}
    real = writer._render_task

    def failing(task):
        calls['n'] += 1
        if calls['n'] == 3:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(writer, '_render_task', failing)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(str(tmp_path / 'd'), 4, show_progress=False)
    assert os.listdir(tmp_path) == []


def test_existing_output_needs_overwrite(tmp_path):
    generate_dataset(str(tmp_path / 'd'), 1, img_size=64,
                     splits=['target_test'], show_progress=False)
    with pytest.raises(FileExistsError, match='overwrite'):
        generate_dataset(str(tmp_path / 'd'), 1, show_progress=False)
    generate_dataset(str(tmp_path / 'd'), 1, img_size=64, overwrite=True,
                     splits=['source_train'], show_progress=False)
    assert os.listdir(tmp_path / 'd' / 'annotations') == ['source_train.json']


def test_cli(tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import generate_synthetic_data as gen
    meta = gen.main(['--out', str(tmp_path / 'cli'), '--num-images', '2',
                     '--img-size', '64', '--species', 'horse', 'dog',
                     '--splits', 'source_train', '--nproc', '1'])
    assert meta['splits'] == {'source_train': 2}
    with pytest.raises(SystemExit, match='unknown species'):
        gen.main(['--out', str(tmp_path / 'x'), '--species', 'yeti'])
    # --split-size is repeatable, a split named twice or a bad count is not
    meta = gen.main(['--out', str(tmp_path / 'sized'), '--num-images', '4',
                     '--img-size', '64', '--nproc', '1', '--splits',
                     'target_val', 'target_test', '--split-size',
                     'target_val=2', '--split-size', 'target_test=3'])
    assert meta['split_sizes'] == {'target_test': 3, 'target_val': 2}
    for args, error in ((['target_val=2', 'target_val=3'], 'twice'),
                        (['target_val=²'], 'SPLIT=N'),
                        (['target_val=-1'], 'positive')):
        with pytest.raises(SystemExit, match=error):
            gen.main(['--out', str(tmp_path / 'y'), '--split-size'] + args)
    assert not osp.exists(tmp_path / 'y')


def test_generate_train_evaluate_source_only(tiny_data, tmp_path):
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import test as test_tool
    import train as train_tool
    work = str(tmp_path / 'run')
    opts = fast_options(tiny_data, max_epochs=2)
    train_tool.main([BASELINE, '--work-dir', work, '--cfg-options'] + opts)
    metrics = test_tool.main([BASELINE, osp.join(work, 'epoch_2.pth'),
                              '--work-dir', work, '--cfg-options'] + opts)
    for key in ('coco/AP', 'PCK', 'crop/PCK'):
        assert 0.0 <= metrics[key] <= 1.0
    # the crop is 1.25x the box, so the same threshold is looser there
    assert metrics['crop/PCK'] >= metrics['PCK']
