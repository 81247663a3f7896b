"""TigDog / synthetic-animal converters and dataset classes on small files
made here (the real data cannot be downloaded)."""
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'dataset_converters'))
import tigdog_to_coco  # noqa: E402


def _fake_tigdog(root, animal, frames=3, hidden=()):
    from scipy.io import savemat
    base = osp.join(root, 'behaviorDiscovery2.0')
    for sub in (f'ranges/{animal}', f'landmarks/{animal}', animal):
        os.makedirs(osp.join(base, sub), exist_ok=True)
    savemat(osp.join(base, 'ranges', animal, 'ranges.mat'),
            dict(ranges=np.array([[7, 100, 100 + frames - 1]])))
    lm = np.empty((frames, 1), dtype=object)
    for i in range(frames):
        rec = np.empty((1, 1), dtype=[('coords', 'O'), ('vis', 'O')])
        coords = np.stack([np.arange(19) * 8 + 20., np.arange(19) * 3 + 30.],
                          1)
        vis = np.ones((19, 1))
        if i in hidden:  # too few visible keypoints: dropped
            vis[:12] = 0
        rec[0, 0] = (coords, vis)
        lm[i, 0] = rec
        cv2.imwrite(osp.join(base, animal, f'{100 + i:08d}.jpg'),
                    np.zeros((120, 160, 3), np.uint8))
    savemat(osp.join(base, 'landmarks', animal, '7.mat'),
            dict(landmarks=lm))


def test_tigdog_converter_and_dataset(tmp_path):
    from mmpose.registry import DATASETS
    root = str(tmp_path)
    _fake_tigdog(root, 'horse', frames=3, hidden=(1, ))
    _fake_tigdog(root, 'tiger', frames=2)
    out = str(tmp_path / 'horse.json')
    tigdog_to_coco.main(['tigdog', '--root', root, '--animal', 'horse',
                         '--out', out])
    coco = json.load(open(out))
    assert len(coco['images']) == 2  # frame 1 had 7 visible keypoints
    img, ann = coco['images'][0], coco['annotations'][0]
    assert img['video_id'] == 7 and img['file_name'] == 'horse/00000100.jpg'
    kpts = np.array(ann['keypoints']).reshape(-1, 3)
    assert kpts.shape == (18, 3)
    # the box is the keypoints' extent +-15 px, clipped to the 160x120 frame
    assert ann['bbox'][:2] == [5.0, 15.0]
    assert ann['bbox'][0] + ann['bbox'][2] == 160.0
    tiger = tigdog_to_coco.convert_tigdog(root, 'tiger')
    t = np.array(tiger['annotations'][0]['keypoints']).reshape(-1, 3)
    # tiger landmark 15 (1-based) becomes keypoint 8 (0-based) in horse order
    assert t[8, 0] == 20. + 14 * 8
    split = tigdog_to_coco.convert_tigdog(root, 'horse', frame_idxs=[1])
    assert [i['file_name'] for i in split['images']] == ['horse/00000102.jpg']
    both = str(tmp_path / 'both.json')
    tigdog_to_coco.main(['tigdog', '--root', root, '--animal', 'horse',
                         'tiger', '--out', both])
    both = json.load(open(both))
    assert [a['id'] for a in both['annotations']] == [1, 2, 3, 4]
    assert [a['category_id'] for a in both['annotations']] == [1, 1, 2, 2]
    assert len({i['id'] for i in both['images']}) == 4
    ds = DATASETS.build(dict(
        type='TigDogDataset', data_root=root,
        data_prefix=dict(img='behaviorDiscovery2.0/'), ann_file=out,
        pipeline=[]))
    assert len(ds) == 2 and ds.metainfo['num_keypoints'] == 18
    assert ds.metainfo['flip_indices'][3] == 4
    with pytest.raises(FileNotFoundError, match='behaviorDiscovery2.0'):
        tigdog_to_coco.convert_tigdog(str(tmp_path / 'none'), 'horse')


def test_synthetic_animal_converter(tmp_path):
    from mmpose.registry import DATASETS
    folder = tmp_path / 'horse_combineds5r5_texture'
    folder.mkdir()
    for i in range(2):
        cv2.imwrite(str(folder / f'{i:05d}_img.png'),
                    np.zeros((48, 64, 3), np.uint8))
        kp = np.stack([np.linspace(-5, 70, 18), np.linspace(5, 40, 18)], 1)
        np.save(str(folder / f'{i:05d}_kpts.npy'), kp)
    coco = tigdog_to_coco.convert_synthetic(str(tmp_path), 'horse')
    assert len(coco['images']) == 2
    ann = coco['annotations'][0]
    assert ann['num_keypoints'] == 18
    assert ann['bbox'] == [0.0, 5.0, 64.0, 35.0]  # clipped to the image
    out = tmp_path / 'syn.json'
    out.write_text(json.dumps(coco))
    ds = DATASETS.build(dict(type='SyntheticAnimalDataset',
                             data_root=str(tmp_path), ann_file=str(out),
                             pipeline=[]))
    assert len(ds) == 2
