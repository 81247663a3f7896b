"""The TigDog-paper PCK (crop-normalised, batch aggregation, parts) on
hand-made predictions."""
import numpy as np
import pytest


def _sample(pred, gt, vis, side=100.0, center=(50., 50.)):
    return dict(pred_instances=dict(keypoints=np.array([pred], float)),
                gt_instances=dict(keypoints=np.array([gt], float),
                                  keypoints_visible=np.array([vis], float)),
                input_scale=np.array([side, side]),
                input_center=np.array(center))


def _run(metric, samples):
    metric.process([], samples)
    return metric.compute_metrics(metric.results)


def _samples():
    """Three instances, two joints; crop side 100, so thr 0.05 = 5 px.
    Joint 0: right, wrong, right. Joint 1: wrong, (invalid), right."""
    gt = [[10., 10.], [20., 20.]]
    return [_sample([[12., 10.], [20., 30.]], gt, [1, 1]),
            _sample([[30., 10.], [20., 20.]], gt, [1, 0]),
            _sample([[10., 14.], [21., 21.]], gt, [1, 1])]


def test_pooled_pck():
    from animal_da.evaluation.metrics import CropPCKAccuracy
    out = _run(CropPCKAccuracy(thr=0.05), _samples())
    # joint 0: 2/3, joint 1: 1/2 -> mean 7/12
    assert out['PCK'] == pytest.approx(7 / 12)
    # the threshold is strict: a joint exactly 5 px away is wrong
    edge = [_sample([[15., 10.]], [[10., 10.]], [1])]
    assert _run(CropPCKAccuracy(thr=0.05), edge)['PCK'] == 0.0


def test_batch_mean_aggregation_and_parts():
    from animal_da.evaluation.metrics import CropPCKAccuracy
    m = CropPCKAccuracy(aggregation='batch_mean', batch_size=2,
                        parts=dict(a=[0], b=[1]))
    out = _run(m, _samples())
    # batch 1 (2 samples): joint 0 1/2, joint 1 0/1 -> 0.25
    # batch 2 (1 sample): joint 0 1, joint 1 1 -> 1.0
    assert out['PCK'] == pytest.approx((2 * 0.25 + 1 * 1.0) / 3)
    assert out['PCK_a'] == pytest.approx((0.5 + 1.0) / 2)
    assert out['PCK_b'] == pytest.approx((0.0 + 1.0) / 2)
    pooled = _run(CropPCKAccuracy(parts=dict(a=[0], b=[1])), _samples())
    assert pooled['PCK_a'] == pytest.approx(2 / 3)
    assert pooled['PCK'] != pytest.approx(out['PCK'])
    with pytest.raises(ValueError):
        CropPCKAccuracy(aggregation='mean')


def test_heatmap_grid_snapping_drops_first_row_joints():
    from animal_da.evaluation.metrics import CropPCKAccuracy
    # crop 100 px centred at 50 on a 10-px heatmap: 10 px per cell
    s = [_sample([[3., 40.], [44., 40.]], [[2., 40.], [46., 40.]], [1, 1])]
    out = _run(CropPCKAccuracy(heatmap_size=10, parts=dict(j0=[0])), s)
    # joint 0 snaps to grid 0 -> invalid; joint 1 snaps to 50 -> 6 px off
    assert np.isnan(out['PCK_j0'])
    assert out['PCK'] == 0.0
    assert _run(CropPCKAccuracy(), s)['PCK'] == 1.0
