"""Gradient reversal, domain discriminators, domain labels and sampling, and
the two domain-adversarial recipes (alternating optimisers, reversal)."""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from conftest import REPO, fast_options
from dist_utils import differing_params, dist_train, probe_config

sys.path.insert(0, osp.join(REPO, 'tools'))
import export_model  # noqa: E402
import train as train_tool  # noqa: E402

FIDIP = osp.join(REPO, 'configs/fidip/'
                 'fidip_res18_synanimal-syn+real-5shot_96x96_demo.py')


def test_gradient_reversal_flips_and_scales_as_scheduled():
    from animal_da.engine.hooks import DANNRampUp
    from animal_da.models.heads import GradientReversal, grad_reverse
    x = torch.randn(3, 4, requires_grad=True)
    y = grad_reverse(x, 0.25)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, -0.25))
    curve = DANNRampUp(length=100)
    assert curve(0) == 0.0
    assert curve(50) == pytest.approx(2 / (1 + np.exp(-5)) - 1)
    assert curve(100) == curve(1000) == pytest.approx(2 / (1 + np.exp(-10))
                                                      - 1)
    grl = GradientReversal()
    for t in (10, 60):
        grl.coeff = curve(t)
        x = torch.ones(2, requires_grad=True)
        (3 * grl(x)).sum().backward()
        assert torch.allclose(x.grad, torch.full_like(x, -3 * curve(t)))


@pytest.mark.parametrize('cfg,shape', [
    (dict(type='ConvDomainDiscriminator', in_channels=16, in_size=64,
          channels=(8, 8, 8, 8, 8)), (16, 64, 64)),
    (dict(type='ConvDomainDiscriminator', in_channels=8, in_size=(32, 16),
          channels=(4, 4, 4)), (8, 32, 16)),
    (dict(type='MLPDomainDiscriminator', in_channels=32, in_size=(12, 9),
          hidden=(16, 8)), (32, 12, 9)),
    (dict(type='ConvMLPDomainDiscriminator', in_channels=6,
          in_size=(24, 18), convs=(4, 2), hidden=(8,)), (6, 24, 18)),
])
def test_discriminators_give_one_logit_per_image(cfg, shape):
    from mmpose.registry import MODELS
    d = MODELS.build(cfg)
    out = d(torch.randn(3, *shape))
    assert out.shape == (3,)
    with pytest.raises(ValueError, match='built for'):
        d(torch.randn(3, shape[0], shape[1] + 4, shape[2]))
    with pytest.raises(ValueError, match='expects features'):
        d(torch.randn(3, shape[0] + 1, *shape[1:]))


def test_conv_discriminator_rejects_indivisible_size():
    from animal_da.models.heads import ConvDomainDiscriminator
    with pytest.raises(ValueError, match='divisible'):
        ConvDomainDiscriminator(in_channels=4, in_size=20, channels=(4, 4, 4))


def test_set_domain_label():
    from animal_da.datasets.transforms import SetDomainLabel
    assert SetDomainLabel(domain=1)(dict())['domain'] == 1
    assert SetDomainLabel(key='is_synthetic')(
        dict(is_synthetic=True))['domain'] == 1
    with pytest.raises(KeyError, match='is_synthetic'):
        SetDomainLabel(key='is_synthetic')(dict(img_path='a.jpg'))
    with pytest.raises(ValueError):
        SetDomainLabel()
    with pytest.raises(ValueError):
        SetDomainLabel(domain=2)


def _syrip_file(tmp_path, flags) -> str:
    images, anns = [], []
    for i, flag in enumerate(flags):
        img = dict(id=i + 1, file_name=f'{i}.jpg', width=64, height=64)
        if flag is not None:
            img['is_synthetic'] = flag
        images.append(img)
        kpts = []
        for k in range(17):
            kpts += [10 + k, 20 + k, 2]
        anns.append(dict(id=i + 1, image_id=i + 1, category_id=1,
                         bbox=[5, 5, 40, 40], area=1600, iscrowd=0,
                         num_keypoints=17, keypoints=kpts))
    path = str(tmp_path / 'syrip.json')
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='person')]), f)
    return path


def test_syrip_dataset_keeps_the_synthetic_flag(tmp_path):
    from mmpose.registry import DATASETS
    ann = _syrip_file(tmp_path, [1, 0, 1, 1, 0])
    ds = DATASETS.build(dict(type='SyRIPDataset', ann_file=ann,
                             data_root=str(tmp_path), pipeline=[],
                             test_mode=False))
    assert [ds[i]['is_synthetic'] for i in range(len(ds))] == [1, 0, 1, 1, 0]
    bad = _syrip_file(tmp_path, [1, None])
    with pytest.raises(KeyError, match='is_synthetic'):
        DATASETS.build(dict(type='SyRIPDataset', ann_file=bad,
                            data_root=str(tmp_path), pipeline=[]))


class _Flags:
    def __init__(self, flags):
        self.flags = flags

    def __len__(self):
        return len(self.flags)

    def get_data_info(self, i):
        return dict(is_synthetic=self.flags[i])


def test_domain_balanced_sampler(monkeypatch):
    from animal_da.datasets import samplers
    flags = [1] * 9 + [0] * 3
    ds = _Flags(flags)
    s = samplers.DomainBalancedSampler(ds, seed=0)
    idx = list(s)
    assert len(idx) == len(s) == 18
    dom = [flags[i] for i in idx]
    assert dom == [0, 1] * 9  # alternating, minority oversampled
    assert sorted(set(i for i in idx if flags[i])) == list(range(9))
    s.set_epoch(1)
    assert list(s) != idx
    # two ranks: whole pairs each, both domains on both
    per_rank = []
    for rank in (0, 1):
        monkeypatch.setattr(samplers, 'get_dist_info', lambda r=rank: (r, 2))
        s = samplers.DomainBalancedSampler(ds, seed=0)
        per_rank.append(list(s))
    assert len(per_rank[0]) == len(per_rank[1]) == 10
    for idx in per_rank:
        assert [flags[i] for i in idx] == [0, 1] * 5
    with pytest.raises(ValueError, match='two'):
        samplers.DomainBalancedSampler(_Flags([1, 1]), seed=0)


def _tiny_estimator(**kw):
    from mmpose.registry import MODELS
    pose = dict(
        type='TopdownPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor'),
        backbone=dict(type='ResNet', depth=18),
        head=dict(type='HeatmapHead', in_channels=512, out_channels=3,
                  deconv_out_channels=(16,), deconv_kernel_sizes=(4,),
                  loss=dict(type='KeypointMSELoss', use_target_weight=True)))
    return MODELS.build(dict(
        type='DomainAdversarialPoseEstimator', pose_estimator=pose,
        discriminator=dict(type='MLPDomainDiscriminator', in_channels=512,
                           in_size=(2, 2), hidden=(8,)),
        **kw))


def _batch(n=4):
    from mmengine.structures import InstanceData, PixelData
    from mmpose.structures import PoseDataSample
    samples = []
    for i in range(n):
        s = PoseDataSample(metainfo=dict(domain=i % 2))
        s.gt_fields = PixelData(heatmaps=torch.rand(3, 4, 4))
        s.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, 3))
        samples.append(s)
    return dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
                        for _ in range(n)], data_samples=samples)


def _optims(model):
    return OptimWrapperDict(
        pose=OptimWrapper(torch.optim.SGD(
            [p for p in model.pose.parameters()], lr=0.1)),
        discriminator=OptimWrapper(torch.optim.SGD(
            model.discriminator.parameters(), lr=0.1)))


def test_alternating_steps_discriminator_then_pose():
    model = _tiny_estimator(
        frozen=['backbone.conv1', 'backbone.layer1'],
        adv_cfg=dict(adv_weight=0.5))
    model.train()
    optims = _optims(model)
    order = []
    for name in ('pose', 'discriminator'):
        wrapper = optims[name]
        original = wrapper.step

        def step(*a, _name=name, _orig=original, **k):
            order.append(_name)
            return _orig(*a, **k)
        wrapper.step = step
    frozen = model.pose.backbone.layer1[0].conv1.weight.clone()
    trained = model.pose.backbone.layer4[0].conv1.weight.clone()
    d_before = model.discriminator.mlp[0].weight.clone()
    log = model.train_step(_batch(), optims)
    assert order == ['discriminator', 'pose']
    assert {'loss_sup', 'loss_adv', 'loss_dom', 'acc_dom'} <= set(log)
    assert float(log['loss_adv']) < 0  # the pose step maximises D's loss
    assert torch.equal(model.pose.backbone.layer1[0].conv1.weight, frozen)
    assert not torch.equal(model.pose.backbone.layer4[0].conv1.weight,
                           trained)
    assert not torch.equal(model.discriminator.mlp[0].weight, d_before)
    with pytest.raises(KeyError, match='discriminator'):
        model.train_step(_batch(), OptimWrapperDict(pose=optims['pose']))


@pytest.mark.parametrize('carry', [True, False])
def test_pose_step_gradients_reach_the_next_discriminator_step(carry):
    """FiDIP parity: the pose step's -lambda dBCE stays in D's gradients and
    joins its next update; ``carry_pose_step_grads=False`` clears it."""
    model = _tiny_estimator(adv_cfg=dict(carry_pose_step_grads=carry))
    model.train()
    optims = _optims(model)
    seen = []
    original = optims['discriminator'].backward

    def backward(loss, **kw):
        g = model.discriminator.mlp[0].weight.grad
        seen.append(0.0 if g is None else float(g.abs().sum()))
        return original(loss, **kw)
    optims['discriminator'].backward = backward
    model.train_step(_batch(), optims)
    model.train_step(_batch(), optims)
    assert seen[0] == 0.0
    assert (seen[1] > 0) == carry


def test_gradient_reversal_form_and_plain_checkpoints(tmp_path):
    from mmengine.runner.checkpoint import load_checkpoint
    model = _tiny_estimator(adv_cfg=dict(adv_weight=1.0, grl_coeff=0.5))
    model.train()
    data = model.data_preprocessor(_batch(), True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert {'loss_sup', 'loss_dom', 'acc_dom'} <= set(losses)
    # gradient into the features is reversed: -0.5 x that of the plain loss
    feats = torch.randn(4, 512, 2, 2, requires_grad=True)
    labels = model.domain_labels(data['data_samples'], 'cpu')
    from animal_da.models.heads import grad_reverse
    model.domain_loss(grad_reverse(feats, 0.5), labels)[0].backward()
    g_rev = feats.grad.clone()
    feats.grad = None
    model.domain_loss(feats, labels)[0].backward()
    assert torch.allclose(g_rev, -0.5 * feats.grad, atol=1e-6)
    # a plain mmpose checkpoint (backbone.*, head.*) loads into the pose net
    plain = _tiny_estimator().pose
    path = str(tmp_path / 'plain.pth')
    torch.save(dict(state_dict=plain.state_dict()), path)
    load_checkpoint(model, path, map_location='cpu', strict=False)
    assert torch.equal(model.pose.head.final_layer.weight,
                       plain.head.final_layer.weight)
    with pytest.raises(KeyError, match='SetDomainLabel'):
        from mmpose.structures import PoseDataSample
        model.domain_labels([PoseDataSample()], 'cpu')


def _fidip_opts(data, **kw):
    root = data.rstrip('/') + '/'
    hook = 'custom_hooks[DiscriminatorPretrainHook]'  # found by type
    opts = fast_options(data, head='model.pose_estimator.head', cosine=False,
                        train_key='train_dataloader.dataset.datasets.0',
                        **kw)
    return opts + [
        f'train_dataloader.dataset.datasets.1.data_root={root}',
        'train_dataloader.dataset.datasets.1.labelled.per_category=1',
        f'{hook}.dataloader.dataset.datasets.0.data_root={root}',
        f'{hook}.dataloader.dataset.datasets.1.data_root={root}',
        f'{hook}.dataloader.num_workers=0',
        f'{hook}.dataloader.batch_size=8',
        f'{hook}.log_interval=1',
    ]


def test_fidip_demo_trains_validates_and_exports(tiny_data, tmp_path):
    from animal_da.compat import trusted_checkpoints
    # fine-tune from a plain mmpose checkpoint given by load_from
    from mmengine.config import Config
    from mmpose.registry import MODELS
    cfg = Config.fromfile(FIDIP)
    pose_cfg = cfg.model.pose_estimator
    pose_cfg.head.deconv_out_channels = (32, 32, 32)
    plain = MODELS.build(pose_cfg)
    init = str(tmp_path / 'coco_like.pth')
    torch.save(dict(state_dict=plain.state_dict()), init)
    work = str(tmp_path / 'fidip')
    train_tool.main([FIDIP, '--work-dir', work, '--cfg-options'] +
                    _fidip_opts(tiny_data) + [f'load_from={init}'])
    log = open(next(iter(__import__('glob').glob(
        osp.join(work, '*', '*.log'))))).read()
    assert 'pre-training the discriminator' in log
    assert 'loss_adv' in log and 'Epoch(val)' in log
    assert 'Load checkpoint from' in log
    ckpt = osp.join(work, 'epoch_1.pth')
    with trusted_checkpoints([work]):
        cfg_out, pth = export_model.main([FIDIP, ckpt, '--out',
                                          str(tmp_path / 'exp'),
                                          '--work-dir', work])
    state = torch.load(pth, weights_only=True)['state_dict']
    assert state and all(not k.startswith(('pose.', 'discriminator.'))
                         for k in state)
    assert 'head.final_layer.weight' in state


def test_fidip_two_cpu_processes(tiny_data, tmp_path):
    from mmengine.config import Config
    hooks = Config.fromfile(FIDIP).custom_hooks
    cfg = probe_config(FIDIP, tmp_path, [dict(h) for h in hooks])
    work = str(tmp_path / 'dist')
    out = dist_train(cfg, work, _fidip_opts(tiny_data, batch_size=4))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert differing_params(work, ['pose.', 'discriminator.']) == []
