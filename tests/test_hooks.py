"""EMA teacher warm start and scheduled values."""
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from animal_da.engine.hooks import (CosineRampDown, EMATeacherHook,
                                    LinearRamp, ScheduledValuesHook,
                                    SigmoidRampUp)


class _TS(nn.Module):
    def __init__(self):
        super().__init__()
        self.student, self.teacher = nn.Linear(2, 2), nn.Linear(2, 2)
        self.scheduled = {}


def _runner(model, it=0, epoch=0):
    from mmengine.logging import MessageHub
    return SimpleNamespace(model=model, iter=it, epoch=epoch,
                           message_hub=MessageHub.get_instance('hooktest'))


def test_ema_warm_start_copies_then_averages():
    model = _TS()
    hook = EMATeacherHook(decay=0.9)
    hook.before_train(_runner(model))
    hook.after_train_iter(_runner(model, it=0), 0)
    assert torch.equal(model.teacher.weight, model.student.weight)
    before = model.teacher.weight.clone()
    with torch.no_grad():
        model.student.weight.add_(1.0)
    # t=1: decay min(1 - 1/2, 0.9) = 0.5
    hook.after_train_iter(_runner(model, it=1), 1)
    assert torch.allclose(model.teacher.weight, before + 0.5)
    with torch.no_grad():
        model.student.weight.add_(1.0)
    before = model.teacher.weight.clone()
    hook.after_train_iter(_runner(model, it=100), 100)  # decay 0.9
    assert torch.allclose(model.teacher.weight,
                          0.9 * before + 0.1 * model.student.weight)


def test_ema_with_mmengine_averaging_rules():
    model = _TS()
    hook = EMATeacherHook(averaged_model=dict(
        type='ExponentialMovingAverage', momentum=0.25))
    hook.before_train(_runner(model))
    with torch.no_grad():
        model.student.weight.add_(4.0)
    before = model.teacher.weight.clone()
    hook.after_train_iter(_runner(model, it=0), 0)
    assert torch.allclose(model.teacher.weight,
                          0.75 * before + 0.25 * model.student.weight)
    # annealed momentum: max(0.01, gamma / (gamma + steps)) = 1 at step 0
    hook = EMATeacherHook(averaged_model=dict(
        type='MomentumAnnealingEMA', momentum=0.01, gamma=1))
    hook.after_train_iter(_runner(model, it=0), 0)
    assert torch.equal(model.teacher.weight, model.student.weight)


def test_ema_hook_checks_its_contract():
    with pytest.raises(AttributeError, match='model.teacher'):
        EMATeacherHook().before_train(_runner(nn.Linear(1, 1)))


def test_curves():
    ramp = SigmoidRampUp(length=10, max=2.0)
    assert ramp(0) == pytest.approx(2.0 * torch.exp(torch.tensor(-5.)).item())
    assert ramp(10) == ramp(50) == 2.0
    down = CosineRampDown(length=30, min=0.8, max=1.0)
    assert down(0) == 1.0 and down(30) == 0.8 and 0.8 < down(5) < 1.0
    assert LinearRamp(2, 4, 0., 1.)(3) == 0.5


def test_scheduled_values_hook():
    model = _TS()
    hook = ScheduledValuesHook(values=dict(w=dict(type='LinearRamp', begin=0,
                                                  end=10, end_value=5.0)))
    hook.before_train_iter(_runner(model, epoch=4), 0)
    assert model.scheduled['w'] == pytest.approx(2.0)


def test_collapse_guard_stops_a_flat_teacher():
    from mmengine.structures import InstanceData
    from animal_da.engine.hooks import TeacherCollapseGuardHook

    class _Model(nn.Module):
        semi_test_cfg = dict(predict_on='teacher')

    def sample(score):
        s = SimpleNamespace(pred_instances=InstanceData())
        s.pred_instances.keypoint_scores = torch.full((1, 17), score)
        return s

    hook = TeacherCollapseGuardHook(min_peak=0.05, patience=2)
    runner = _runner(_Model())
    hook.after_val_iter(runner, 0, outputs=[sample(0.5)])
    hook.after_val_epoch(runner)  # healthy
    hook.after_val_iter(runner, 0, outputs=[sample(0.01)])
    hook.after_val_epoch(runner)  # first strike
    hook.after_val_iter(runner, 0, outputs=[sample(0.01)])
    with pytest.raises(RuntimeError, match='collapsed to background'):
        hook.after_val_epoch(runner)


def test_fixed_ratio_batches_with_mmdet_sampler(tiny_data):
    """Labelled + unlabelled in a fixed ratio: mmdet's MultiSourceSampler
    over a ConcatDataset, as the scarce-label configs can use."""
    from mmengine.dataset import ConcatDataset
    from mmdet.datasets.samplers import MultiSourceSampler
    from mmpose.registry import DATASETS
    common = dict(type='SemiPoseDataset', data_root=tiny_data,
                  ann_file='annotations/target_train.json',
                  data_prefix=dict(img='images/'), pipeline=[],
                  labelled=dict(per_category=1, seed=0))
    lab = DATASETS.build(dict(common, role='labelled'))
    unl = DATASETS.build(dict(common, role='unlabelled'))
    concat = ConcatDataset([lab, unl])
    sampler = MultiSourceSampler(concat, batch_size=4, source_ratio=[1, 3],
                                 shuffle=True, seed=0)
    it = iter(sampler)
    for _ in range(3):
        batch = [next(it) for _ in range(4)]
        roles = [concat.get_data_info(i)['is_labelled'] for i in batch]
        assert sum(roles) == 1


def test_memory_format_hook_puts_weights_channels_last():
    """The hook converts every 4-D weight before the run; outputs equal the
    contiguous model's up to summation order."""
    from animal_da.engine.hooks import MemoryFormatHook
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8),
                        nn.Conv2d(8, 4, 3)).eval()
    x = torch.randn(2, 3, 16, 16)
    ref = net(x)
    MemoryFormatHook().before_run(SimpleNamespace(model=net))
    assert all(p.is_contiguous(memory_format=torch.channels_last)
               for p in net.parameters() if p.dim() == 4)
    assert torch.allclose(net(x), ref, atol=1e-5)
    with pytest.raises(ValueError, match='channels_last'):
        MemoryFormatHook('nhwc')
