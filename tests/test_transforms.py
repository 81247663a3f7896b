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
