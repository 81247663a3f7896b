"""View geometry, target rendering, filters and the HRNet-style loss."""
import numpy as np
import pytest
import torch

from animal_da.models.losses import JointsMSELoss
from animal_da.pseudo_labels import (AgreementFilter, GlobalPercentileFilter,
                                     SmallLossFilter, decode_argmax,
                                     image_to_view, render_gaussian,
                                     view_to_image, warp_heatmaps)
from animal_da.datasets.synthetic.writer import ap10k_metainfo

FLIP = ap10k_metainfo()['flip_indices']


def _view(flip_prob, rotate, seed):
    """Run mmpose's own top-down transforms on random keypoints."""
    from mmcv.transforms import Compose
    np.random.seed(seed)
    kpts = np.random.uniform(20, 180, (1, 17, 2)).astype(np.float32)
    results = dict(img=np.zeros((200, 240, 3), np.uint8), img_shape=(200, 240),
                   ori_shape=(200, 240), keypoints=kpts.copy(),
                   keypoints_visible=np.ones((1, 17), np.float32),
                   bbox=np.array([[30, 20, 190, 170]], np.float32),
                   flip_indices=FLIP)
    pipe = Compose([
        dict(type='GetBBoxCenterScale'),
        dict(type='RandomFlip', prob=flip_prob, direction='horizontal'),
        dict(type='RandomBBoxTransform', rotate_prob=float(rotate),
             rotate_factor=40.),
        dict(type='TopdownAffine', input_size=(96, 96)),
        dict(type='RecordViewGeometry'),
    ])
    return kpts, pipe(results)


@pytest.mark.parametrize('flip_prob,rotate,seed', [(0., False, 0),
                                                   (1., False, 1),
                                                   (1., True, 2),
                                                   (0., True, 3)])
def test_view_mapping_matches_mmpose_transforms(flip_prob, rotate, seed):
    kpts, res = _view(flip_prob, rotate, seed)
    mat = torch.as_tensor(res['view_affine'])[None]
    flip = torch.tensor([res['flip']])
    mapped = image_to_view(torch.as_tensor(kpts), mat, flip, FLIP)
    np.testing.assert_allclose(mapped.numpy(), res['transformed_keypoints'],
                               atol=1e-3)
    back = view_to_image(mapped, mat, flip, FLIP)
    np.testing.assert_allclose(back.numpy(), kpts, atol=1e-3)


def test_render_matches_mmpose_codec():
    from mmpose.codecs import MSRAHeatmap
    codec = MSRAHeatmap(input_size=(96, 96), heatmap_size=(24, 24), sigma=1)
    kpts = np.array([[[10.3, 40.], [50.7, 61.2], [95., 95.], [200, 10]]],
                    np.float32)
    enc = codec.encode(kpts, np.ones((1, 4), np.float32))
    heat, w = render_gaussian(torch.as_tensor(kpts / 4.), torch.ones(1, 4),
                              1.0, (24, 24))
    np.testing.assert_allclose(heat[0].numpy(), enc['heatmaps'], atol=1e-6)
    np.testing.assert_allclose(w.numpy(), enc['keypoint_weights'])


def test_decode_argmax_and_warp():
    heat, _ = render_gaussian(torch.tensor([[[5., 7.], [12., 3.]]]),
                              torch.ones(1, 2), 1.5, (20, 16),
                              mode='untruncated')
    loc, val = decode_argmax(heat)
    assert loc[0].tolist() == [[5., 7.], [12., 3.]]
    assert torch.allclose(val, torch.ones(1, 2))
    # a rotation about the map centre moves the peak like the keypoint
    a = np.deg2rad(30)
    c = np.array([9.5, 7.5])
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    mat = np.concatenate([rot, (c - rot @ c)[:, None]], 1)
    warped = warp_heatmaps(heat,
                           torch.as_tensor(mat, dtype=torch.float32)[None])
    loc2, _ = decode_argmax(warped)
    expect = (rot @ np.array([[5., 7.], [12., 3.]]).T).T + (c - rot @ c)
    assert np.abs(loc2[0].numpy() - expect).max() <= 1.0


def test_refine_quarter_matches_mmpose_decode():
    """The batched quarter-pixel shift equals mmpose's refine_keypoints
    away from the map's first two rows and columns (where mmpose skips some
    shifts), and a peak between two
    pixels lands nearer its true place than the integer argmax."""
    from mmpose.codecs.utils import refine_keypoints

    from animal_da.pseudo_labels import refine_quarter
    rng = np.random.default_rng(0)
    heat = torch.as_tensor(rng.random((3, 5, 12, 10)), dtype=torch.float32)
    loc, _ = decode_argmax(heat)
    ours = refine_quarter(heat, loc).numpy()
    checked = 0
    for b in range(3):
        ref = refine_keypoints(loc[b].numpy()[:, None].copy().transpose(
            1, 0, 2), heat[b].numpy())[0]
        for k in range(5):
            x, y = loc[b, k].int().tolist()
            # mmpose skips column and row 1 (1 < x), and dy on column 0
            if 1 < x < 9 and 1 < y < 11:
                checked += 1
                np.testing.assert_allclose(ours[b, k], ref[k])
    assert checked >= 5
    # edges are left as they are
    edge = torch.zeros(1, 1, 6, 6)
    edge[0, 0, 0, 5] = 1.
    assert refine_quarter(edge, decode_argmax(edge)[0])[0, 0].tolist() == \
        [5., 0.]
    # a peak at x = 4.3, y = 2.8 from a Gaussian
    peak, _ = render_gaussian(torch.tensor([[[4.3, 2.8]]]), torch.ones(1, 1),
                              1.0, (10, 8), mode='untruncated')
    loc, _ = decode_argmax(peak)
    fine = refine_quarter(peak, loc)
    assert loc[0, 0].tolist() == [4., 3.]
    assert fine[0, 0].tolist() == [4.25, 2.75]


def test_global_percentile_rule():
    scores = np.array([[0.9, 0.1, 0.5], [0.3, 0.7, 0.2]])
    # pool with a dummy 0: [0, .1, .2, .3, .5, .7, .9]; p=0.4 -> index 2
    keep = GlobalPercentileFilter(0.4)(scores)
    assert keep.tolist() == [[True, False, True], [True, True, False]]
    with pytest.raises(ValueError):
        GlobalPercentileFilter(1.0)


def test_small_loss_is_batch_global():
    losses = torch.tensor([[0.1, 0.9, 0.5], [0.2, 0.05, 3.0]])
    valid = torch.tensor([[True, True, True], [True, False, True]])
    mask = SmallLossFilter(rate=0.6)(losses, valid)  # 5 valid -> keep 3
    assert mask.tolist() == [[True, False, True], [True, False, False]]


def test_agreement_offset_quirk():
    loc = torch.tensor([[[4., 4.]]])
    assert not AgreementFilter(0.6, offset=0.5)(loc, loc).item()
    assert AgreementFilter(0.6, offset=0.0)(loc, loc).item()


def test_joints_mse_weight_inside_vs_outside():
    pred, target = torch.ones(1, 2, 4, 4), torch.zeros(1, 2, 4, 4)
    w = torch.tensor([[2., 1.]])
    inside = JointsMSELoss('inside', scale=0.5).per_joint(pred, target, w)
    outside = JointsMSELoss('outside', scale=0.5).per_joint(pred, target, w)
    assert inside.tolist() == [[2.0, 0.5]]  # weight 2 -> x4
    assert outside.tolist() == [[1.0, 0.5]]  # weight 2 -> x2
    assert JointsMSELoss(joint_reduction='sum')(pred, target, w).item() == \
        pytest.approx(2.5)


def test_view_geometry_stays_float32_under_autocast():
    """Under mixed precision (AmpOptimWrapper) the view geometry still runs
    in float32: matrices come out float32 and a warp of half-precision
    heatmaps matches the float32 one (without it the matrix products ran in
    bf16 here, and CUDA's matrix inverse refused them)."""
    import torch

    from animal_da.pseudo_labels import geometry as g
    a = torch.tensor([[[1.2, 0.1, 3.0], [0.05, 0.9, -2.0]]]).repeat(2, 1, 1)
    b = torch.tensor([[[0.8, 0.0, 1.0], [0.0, 1.1, 4.0]]]).repeat(2, 1, 1)
    heat = torch.rand(2, 17, 24, 24)
    kpts = torch.rand(2, 17, 2) * 24
    flip = torch.tensor([False, True])
    idx = list(range(17))
    ref_m = g.view_to_view_affine(a, b, 4.0)
    ref = g.warp_heatmaps(heat, ref_m)
    ref_k = g.image_to_view(g.view_to_image(kpts, a, flip, idx), b, flip, idx)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        m = g.view_to_view_affine(a, b, 4.0)
        out = g.warp_heatmaps(heat.bfloat16(), m)
        k = g.image_to_view(g.view_to_image(kpts, a, flip, idx), b, flip,
                            idx)
    assert m.dtype == out.dtype == k.dtype == torch.float32
    assert torch.allclose(m, ref_m)
    assert torch.allclose(k, ref_k, atol=1e-4)
    assert (out - ref).abs().max() < 0.01  # bf16 rounding of the input only
    with torch.autocast('cpu', dtype=torch.bfloat16):  # keyword arguments
        kw = g.warp_heatmaps(heatmaps=heat.bfloat16(), src_to_dst=m)
    assert kw.dtype == torch.float32 and torch.equal(kw, out)
