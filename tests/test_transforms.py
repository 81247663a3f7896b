"""Photometric transforms keep shapes and labels and do change pixels."""
import numpy as np

from animal_da.datasets.transforms import (GreyCutout, NoiseBlurContrast,
                                           RandAugmentPose)


def _results():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    return dict(img=img, keypoints=np.ones((1, 17, 2), np.float32))


def test_noise_blur_contrast_always_on():
    np.random.seed(0)
    res = _results()
    before = res['img'].copy()
    out = NoiseBlurContrast(prob=1.0)(res)
    assert out['img'].shape == before.shape and out['img'].dtype == np.uint8
    assert np.abs(out['img'].astype(int) - before).mean() > 5
    assert np.all(out['keypoints'] == 1)
    res = _results()
    assert np.array_equal(NoiseBlurContrast(prob=0.0)(res)['img'],
                          _results()['img'])


def test_rand_augment_and_cutout():
    np.random.seed(1)
    res = _results()
    before = res['img'].copy()
    out = RandAugmentPose(n=2, m=10, prob=1.0)(res)
    assert out['img'].shape == before.shape
    out = GreyCutout(num_holes=3, size=8, prob=1.0)(_results())
    assert (out['img'] == 127).all(axis=-1).sum() >= 8 * 8


def test_safe_half_body_keeps_box_for_collapsed_keypoints():
    from animal_da.datasets.transforms import SafeRandomHalfBody
    from animal_da.datasets.synthetic.writer import ap10k_metainfo
    meta = ap10k_metainfo()
    res = dict(keypoints=np.full((1, 17, 2), 30., np.float32),
               keypoints_visible=np.ones((1, 17), np.float32),
               bbox_center=np.array([[40., 40.]], np.float32),
               bbox_scale=np.array([[50., 50.]], np.float32),
               upper_body_ids=meta['upper_body_ids'],
               lower_body_ids=meta['lower_body_ids'],
               flip_indices=meta['flip_indices'])
    out = SafeRandomHalfBody(prob=1.0)(res)
    assert np.all(out['bbox_scale'] == 50.)


def test_crop_shear_moves_pixels_and_keypoints_together():
    """A bright dot under each keypoint stays under it after the warp, and
    the recorded view affine maps the original keypoints to the new ones."""
    import pytest

    from animal_da.datasets.transforms import RandomCropShear
    np.random.seed(3)
    img = np.zeros((64, 64, 3), np.uint8)
    kpts = np.array([[[20., 24.], [40., 30.], [32., 45.]]], np.float32)
    for x, y in kpts[0].astype(int):
        img[y - 1:y + 2, x - 1:x + 2] = 255
    view = np.array([[0.5, 0, 3], [0, 0.5, -2]], np.float32)
    orig = (kpts - view[:, 2]) / 0.5  # original-image points of the crop's
    res = dict(img=img, transformed_keypoints=kpts.copy(),
               view_affine=view.copy())
    out = RandomCropShear(prob=1.0, axis_scale=(0.8, 1.2), shear=20)(res)
    moved = out['transformed_keypoints'][0]
    assert np.abs(moved - kpts[0]).max() > 1.0  # it did warp
    for x, y in moved:
        patch = out['img'][int(round(y)) - 1:int(round(y)) + 2,
                           int(round(x)) - 1:int(round(x)) + 2, 0]
        assert patch.max() > 100, (x, y)
    mapped = orig[0] @ out['view_affine'][:, :2].T + out['view_affine'][:, 2]
    np.testing.assert_allclose(mapped, moved, atol=1e-3)
    same = RandomCropShear(prob=0.0)(dict(img=img.copy(),
                                          transformed_keypoints=kpts.copy()))
    assert np.array_equal(same['img'], img)
    with pytest.raises(ValueError, match='axis_scale'):
        RandomCropShear(axis_scale=(0, 1))
    with pytest.raises(KeyError, match='TopdownAffine'):
        RandomCropShear(prob=1.0)(dict(img=img, keypoints=kpts))


def test_shared_multi_branch_shares_the_dataset_and_copies_the_rest(
        mmpose_scope):
    """Views equal ``mmdet.MultiBranch``'s under the same seeds; each branch
    sees the very dataset object (not a copy) and its own copies of
    everything else, so a branch that changes its sample changes no other."""
    import copy
    import random

    from mmdet.datasets.transforms import MultiBranch
    from mmpose.registry import TRANSFORMS

    class Dataset:  # stands for the dataset mmpose puts in every sample
        copies = 0

        def __deepcopy__(self, memo):
            Dataset.copies += 1
            return Dataset()

    seen = []

    @TRANSFORMS.register_module(force=True)
    class _RecordDataset:
        def __call__(self, results):
            seen.append(results['dataset'])
            results['keypoints'][0, 0] += 1  # a branch changes its copy
            return results

    view = [dict(type='RandomFlip', direction='horizontal'),
            dict(type='TopdownAffine', input_size=(32, 32)),
            dict(type='_RecordDataset')]
    branches = dict(branch_field=['a', 'b'], a=view, b=view)
    rng = np.random.default_rng(1)
    sample = dict(img=rng.integers(0, 255, (48, 64, 3), dtype=np.uint8),
                  keypoints=rng.uniform(5, 40, (1, 17, 2)).astype(np.float32),
                  keypoints_visible=np.ones((1, 17), np.float32),
                  bbox_center=np.array([[30., 24.]], np.float32),
                  bbox_scale=np.array([[40., 40.]], np.float32),
                  flip_indices=list(range(17)), dataset=Dataset())
    outs = []
    for cls in (MultiBranch, TRANSFORMS.get('SharedMultiBranch')):
        random.seed(0)
        np.random.seed(0)
        seen.clear()
        Dataset.copies = 0
        outs.append(cls(**copy.deepcopy(branches))(dict(sample)))
        copies = Dataset.copies
    assert copies == 0 and all(d is sample['dataset'] for d in seen)
    assert len(seen) == 2
    for branch in 'ab':
        for key in ('img', 'keypoints', 'flip'):
            np.testing.assert_array_equal(outs[0][key][branch],
                                          outs[1][key][branch])
    kpts = [outs[1]['keypoints'][b] for b in 'ab']
    assert kpts[0] is not kpts[1]
    assert not np.shares_memory(kpts[0], sample['keypoints'])
