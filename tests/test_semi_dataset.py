"""SemiPoseDataset: labelled / unlabelled views, few-shot subsets, bbox-only
pools and pseudo-label overlays."""
import contextlib
import json
import logging
import os.path as osp

import numpy as np
import pytest

from animal_da.utils import dump_json_atomic


@contextlib.contextmanager
def caplog_of(logger):
    """Messages logged by ``logger`` (MMLogger does not propagate to
    pytest's caplog)."""
    records = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def _build(root, **kwargs):
    from mmpose.registry import DATASETS
    cfg = dict(type='SemiPoseDataset', data_root=root,
               ann_file='annotations/target_train.json',
               data_prefix=dict(img='images/'), pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_roles_and_per_category(tiny_data):
    all_ = _build(tiny_data)
    assert len(all_) == 16 and all(
        all_.get_data_info(i)['is_labelled'] for i in range(16))
    lab = _build(tiny_data, role='labelled',
                 labelled=dict(per_category=1, seed=0))
    unl = _build(tiny_data, role='unlabelled',
                 labelled=dict(per_category=1, seed=0))
    cats = [int(lab.get_data_info(i)['category_id']) for i in range(len(lab))]
    assert sorted(cats) == sorted(set(cats))  # one image per species
    assert len(lab) + len(unl) == 16
    info = unl.get_data_info(0)
    assert not info['is_labelled'] and info['keypoints_visible'].sum() == 0
    assert info['hidden_keypoints_visible'].sum() > 0
    other = _build(tiny_data, role='labelled',
                   labelled=dict(per_category=1, seed=1))

    def ids(d):
        return {d.get_data_info(i)['img_id'] for i in range(len(d))}
    assert ids(other) != ids(lab)  # the seed matters


def test_image_id_list_and_supercategory(tiny_data, tmp_path):
    with open(osp.join(tiny_data, 'annotations', 'target_train.json')) as f:
        coco = json.load(f)
    ids = [coco['images'][0]['id'], coco['images'][3]['id']]
    path = str(tmp_path / 'list.json')
    dump_json_atomic(ids, path)
    lab = _build(tiny_data, role='labelled',
                 labelled=dict(image_ids_file=path))
    assert sorted(lab.get_data_info(i)['img_id'] for i in range(2)) == \
        sorted(ids)
    bov = _build(tiny_data, role='labelled',
                 labelled=dict(supercategories=['Bovidae']))
    assert {int(bov.get_data_info(i)['category_id'])
            for i in range(len(bov))} == {7}
    horses = _build(tiny_data, category_names=['horse'])
    assert {int(horses.get_data_info(i)['category_id'])
            for i in range(len(horses))} == {1}
    with pytest.raises(ValueError, match='unicorn'):
        _build(tiny_data, category_names=['unicorn'])
    with pytest.raises(FileNotFoundError, match='nolist'):
        _build(tiny_data, labelled=dict(image_ids_file='nolist.json'))


def test_bbox_only_pool(tiny_data, tmp_path):
    with open(osp.join(tiny_data, 'annotations', 'target_train.json')) as f:
        coco = json.load(f)
    for a in coco['annotations']:
        del a['keypoints'], a['num_keypoints']
    dump_json_atomic(coco, str(tmp_path / 'boxes.json'))
    pool = _build(tiny_data, ann_file=str(tmp_path / 'boxes.json'),
                  role='unlabelled')
    assert len(pool) == 16
    assert pool.get_data_info(0)['keypoints_visible'].sum() == 0
    with pytest.raises(ValueError, match='no labelled instances'):
        _build(tiny_data, ann_file=str(tmp_path / 'boxes.json'),
               role='labelled')


def test_pseudo_label_overlay(tiny_data, tmp_path):
    unl = _build(tiny_data, role='unlabelled',
                 labelled=dict(per_category=1, seed=0))
    entries = []
    for i in range(len(unl)):
        info = unl.get_data_info(i)
        kp = np.concatenate([info['hidden_keypoints'][0] + 1.0,
                             np.linspace(0.1, 0.9, 17)[:, None]], 1)
        entries.append(dict(id=int(info['id']), image_id=int(info['img_id']),
                            category_id=1, keypoints=kp.reshape(-1).tolist(),
                            score=0.5))
    path = str(tmp_path / 'pl.json')
    dump_json_atomic(dict(annotations=entries), path)
    ds = _build(tiny_data, role='unlabelled',
                labelled=dict(per_category=1, seed=0),
                pseudo_labels=dict(file=path, filter=dict(
                    type='GlobalPercentileFilter', percentile=0.5)))
    info = ds.get_data_info(0)
    assert info['has_pseudo_label'] and not info['is_labelled']
    np.testing.assert_allclose(info['keypoints'],
                               info['hidden_keypoints'] + 1.0, atol=1e-3)
    assert 0 < info['keypoints_visible'].sum() < 17  # low scores filtered
    # a file that covers only part of the pool says so
    dump_json_atomic(dict(annotations=entries[1:]), path)
    from mmengine.logging import MMLogger
    with caplog_of(MMLogger.get_current_instance()) as records:
        part = _build(tiny_data, role='unlabelled',
                      labelled=dict(per_category=1, seed=0),
                      pseudo_labels=dict(file=path))
    assert not part.get_data_info(0)['keypoints_visible'].any()
    assert any('1 unlabelled instances' in r and 'no pseudo label' in r
               for r in records)
    with pytest.raises(FileNotFoundError, match='tools/pseudo_label.py'):
        _build(tiny_data, role='unlabelled', labelled=dict(none=True),
               pseudo_labels=dict(file=str(tmp_path / 'missing.json')))
