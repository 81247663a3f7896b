"""ASDA: part banks, part canvases, the STN generator (identity at start,
compositing), the min-max order, the demo workflow and a 2-process run."""
import json
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpose.registry import MODELS, TRANSFORMS

from animal_da.apis.workflow import Workflow, run_workflow
from animal_da.datasets.part_bank import (PartBank, PartBankError,
                                          parts_from_coco,
                                          parts_from_generator)
from animal_da.models.heads import composite, part_transforms, warp_parts

from conftest import REPO
from dist_utils import differing_params, dist_train, probe_config

ASDA = osp.join(REPO,
                'configs/asda/asda_res18_synanimal-real-20shot_96x96_demo.py')
WORKFLOW = osp.join(REPO, 'configs/asda/'
                    'asda_res18_synanimal-real-20shot_96x96_demo_workflow.py')


@pytest.fixture(scope='module')
def bank(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp('parts') / 'bank')
    parts_from_generator(out, 6, seed=1, img_size=96, show_progress=False)
    return out


def test_generator_bank_has_every_animal_part(bank):
    b = PartBank(bank)
    assert set(b.types) >= {'left_front_leg', 'right_back_leg', 'head',
                            'tail', 'body'}
    img, mask = b.load(b.parts['head'][0])
    assert img.shape[:2] == mask.shape and mask.any()
    with open(osp.join(bank, 'part_bank.json')) as f:
        index = json.load(f)
    heads = [p for p in index['parts'] if p['type'] == 'head']
    assert any(len(p['keypoints']) >= 2 for p in heads)  # eyes, nose...


def test_bad_banks_fail_clearly(tmp_path, bank):
    with pytest.raises(PartBankError, match='no part bank'):
        PartBank(str(tmp_path / 'nothing'))
    with pytest.raises(PartBankError, match='no parts of type'):
        PartBank(bank, types=['wing'])
    broken = tmp_path / 'broken'
    os.makedirs(broken / 'parts' / 'head')
    (broken / 'parts' / 'head' / '000000.png').write_bytes(b'not a png')
    (broken / 'part_bank.json').write_text(json.dumps(dict(
        version=1, types=['head'], size=dict(head=0.2),
        parts=[dict(file='head/000000.png', type='head')])))
    b = PartBank(str(broken))
    with pytest.raises(PartBankError, match='cannot read part image'):
        b.load(b.parts['head'][0])


def test_lip_layout_reads_as_it_is(tmp_path):
    for t in ('Left-arm', 'Hat'):
        os.makedirs(tmp_path / t)
        img = np.zeros((20, 10, 3), np.uint8)
        img[5:15, 2:8] = 200
        cv2.imwrite(str(tmp_path / t / 'a.bmp'), img)
    b = PartBank(str(tmp_path))
    assert b.layout == 'lip' and sorted(b.types) == ['Hat', 'Left-arm']
    _, mask = b.load(b.parts['Hat'][0])
    assert mask.sum() == 60 and b.sizes['Left-arm'] == 0.3


def test_bank_from_a_coco_file_with_polygons(tmp_path):
    img = np.full((100, 100, 3), 90, np.uint8)
    cv2.imwrite(str(tmp_path / 'a.jpg'), img)
    names = ['head', 'tail', 'paw']
    coco = dict(
        images=[dict(id=1, file_name='a.jpg', width=100, height=100)],
        categories=[dict(id=1, name='animal', keypoints=names,
                         skeleton=[])],
        annotations=[
            dict(id=1, image_id=1, category_id=1, iscrowd=0,
                 bbox=[10, 10, 80, 60], area=4800,
                 segmentation=[[10, 10, 90, 10, 90, 70, 10, 70]],
                 keypoints=[15, 15, 2, 85, 15, 2, 50, 65, 2],
                 num_keypoints=3),
            dict(id=2, image_id=1, category_id=1, iscrowd=0,
                 bbox=[0, 0, 5, 5], area=25, segmentation=[],
                 keypoints=[1, 1, 2, 0, 0, 0, 0, 0, 0], num_keypoints=1)])
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps(coco))
    index = parts_from_coco(str(ann), str(tmp_path), str(tmp_path / 'bank'),
                            groups=dict(front=['head', 'paw'],
                                        back=['tail', 'paw']),
                            min_pixels=50, show_progress=False)
    assert index['counts'] == dict(front=1, back=1)
    b = PartBank(str(tmp_path / 'bank'))
    _, front = b.load(b.parts['front'][0])
    _, back = b.load(b.parts['back'][0])
    # the mask split by nearest keypoint: head and paw vs tail and paw
    assert 0 < front.sum() < 80 * 60 and 0 < back.sum() < 80 * 60
    with pytest.raises(PartBankError, match='not in category'):
        parts_from_coco(str(ann), str(tmp_path), str(tmp_path / 'b2'),
                        groups=dict(x=['wing']), show_progress=False)


def test_part_canvas_centres_the_part_and_skips_half_body(bank):
    t = TRANSFORMS.build(dict(type='SemanticPartCanvas', bank=bank,
                              num_aug=(1, ), erode_kernel=1, blur_kernel=1))
    res = dict(bbox=np.array([[20., 20., 80., 60.]]),
               input_center=np.array([50., 40.]),
               input_scale=np.array([75., 75.]), input_size=(64, 64))
    np.random.seed(0)
    out = t(dict(res))
    assert out['part_imgs'].shape == (1, 64, 64, 3)
    m = out['part_masks'][0]
    ys, xs = np.nonzero(m)
    assert abs(xs.mean() - 32) < 8 and abs(ys.mean() - 32) < 8
    assert (out['part_imgs'][0][m <= 0] == 0).all()
    assert 0 <= out['part_types'][0] < len(t.bank.types)
    skipped = t(dict(res, half_body=True))
    assert skipped['part_types'][0] == -1 and not skipped['part_masks'].any()


def test_stn_is_the_identity_at_start_and_composites_in_order():
    torch.manual_seed(0)
    gen = MODELS.build(dict(type='STNPartGenerator', num_types=3,
                            backbone=dict(type='ResNet', depth=18,
                                          base_channels=8,
                                          out_indices=(3, )),
                            in_channels=64, hidden=4))
    gen.init_weights()
    x = torch.randn(2, 3, 32, 32)
    parts = torch.randn(2, 1, 3, 32, 32)
    masks = torch.rand(2, 1, 1, 32, 32)
    types = torch.tensor([[0], [2]])
    params = gen.params(x)
    assert torch.allclose(params, torch.zeros_like(params))
    wp, wm = gen.warp(parts, masks, types, params)
    assert torch.allclose(wp, parts, atol=1e-5)
    assert torch.allclose(wm, masks, atol=1e-5)
    # compositing: a hand-made square, then a second part over it
    base = torch.zeros(1, 1, 4, 4)
    p = torch.ones(1, 2, 1, 4, 4)
    p[:, 1] = 2.
    m = torch.zeros(1, 2, 1, 4, 4)
    m[0, 0, 0, :2, :2] = 1.
    m[0, 1, 0, 1:3, 1:3] = 1.
    out = composite(base, p, m)[0, 0]
    assert out[0, 0] == 1 and out[1, 1] == 2 and out[3, 3] == 0
    # ASDA's parameterisation: rotation pi a, translation 2.4 (u, v)
    th = part_transforms(torch.tensor([0.5, 0.5, -0.25]))
    assert torch.allclose(th, torch.tensor([[0., 1., 1.2], [-1., 0., -0.6]]),
                          atol=1e-6)
    assert math.isclose(float(th[0, 1]), 1.0, abs_tol=1e-6)
    # no part (-1): its mask stays empty
    _, wm = warp_parts(parts, masks, torch.tensor([[-1], [0]]),
                       torch.zeros(2, 3, 3))
    assert wm[0].abs().sum() == 0 and wm[1].abs().sum() > 0


def _tiny_asda():
    cfg = Config.fromfile(ASDA)
    cfg.model.pose_estimator.head.deconv_out_channels = (16, 16, 16)
    cfg.model.generator.backbone.base_channels = 8
    cfg.model.generator.in_channels = 64
    cfg.model.generator.hidden = 4
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _batch(model, n=4, size=96):
    from mmpose.structures import PoseDataSample
    from mmengine.structures import InstanceData
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(n):
        s = PoseDataSample()
        heat = torch.zeros(17, 24, 24)
        heat[:, 12, 12] = 1.
        from mmengine.structures import PixelData
        s.gt_fields = PixelData(heatmaps=heat)
        s.gt_instance_labels = InstanceData(keypoint_weights=torch.ones(1,
                                                                        17))
        img = rng.integers(0, 255, (1, size, size, 3), np.uint8)
        m = np.zeros((1, size, size), np.float32)
        m[0, 30:60, 30:60] = 1.
        s.set_metainfo(dict(part_imgs=img, part_masks=m,
                            part_types=np.array([1])))
        samples.append(s)
    inputs = [torch.randint(0, 255, (3, size, size), dtype=torch.uint8)
              for _ in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_min_max_order_and_generator_gradient_sign():
    torch.manual_seed(0)
    model = _tiny_asda()
    model.train()
    opt = OptimWrapperDict(
        pose=OptimWrapper(torch.optim.SGD(model.pose.parameters(), lr=0.1)),
        generator=OptimWrapper(torch.optim.SGD(
            model.generator.parameters(), lr=0.5)))
    data = model.data_preprocessor(_batch(model), True)
    inputs, samples = data['inputs'], data['data_samples']
    parts = model.parts(samples, 'cpu')

    def snap(net):
        return {k: v.detach().clone() for k, v in net.named_parameters()}

    def changed(before, net):
        return [k for k, v in net.named_parameters()
                if not torch.equal(v, before[k])]

    p0, g0 = snap(model.pose), snap(model.generator)
    model.pose_step(inputs, samples, parts, opt['pose'])
    assert changed(p0, model.pose) and not changed(g0, model.generator)
    # the gradient of the pose loss with respect to the generator
    gen_params = [p for p in model.generator.parameters()]
    loss = model.pose_loss(model.pose_heatmaps(model.paste(inputs, parts)),
                           samples)
    grad_l = torch.autograd.grad(loss, gen_params, allow_unused=True)
    # the generator step's gradients, kept by an optimiser that does not
    # step or clear them
    keep = OptimWrapper(torch.optim.SGD(gen_params, lr=0.))
    keep.zero_grad()
    keep.zero_grad = lambda: None
    p1 = snap(model.pose)
    model.generator_step(inputs, samples, parts, keep)
    got = torch.cat([p.grad.flatten() for p, g in zip(gen_params, grad_l)
                     if g is not None])
    want = torch.cat([g.flatten() for g in grad_l if g is not None])
    assert want.abs().sum() > 0
    # the step descends on -L: its gradient is minus the pose loss's, so
    # the update raises the pose loss
    cos = torch.nn.functional.cosine_similarity(got, -want, dim=0)
    assert cos > 0.99
    assert not changed(p1, model.pose)
    # the backward stops at the generator: no pose weight gradients
    assert all(p.grad is None or not p.grad.any()
               for p in model.pose.parameters())
    g1 = snap(model.generator)
    model.generator_step(inputs, samples, parts, opt['generator'])
    assert changed(g1, model.generator) and not changed(p1, model.pose)
    log = model.train_step(_batch(model), opt)
    assert {'loss_sup', 'loss_gen', 'loss'} <= set(log)


def test_asda_demo_workflow_trains_and_evaluates(tiny_data, tmp_path):
    wf = Workflow(WORKFLOW, str(tmp_path / 'w'))
    stages = {}
    opts = {'train_dataloader.batch_size': 8,
            'default_hooks.logger.interval': 1}
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    for name, st in wf.stages.items():
        st = dict(st)
        if 'config' in st:
            st['config'] = wf._config_path(name, st['config'])
        head = ('model.head' if name in ('pretrain', 'supervised')
                or name.startswith('eval_supervised') else
                'model.pose_estimator.head')
        if st['kind'] == 'part_bank':
            st.update(num_images=3, img_size=96)
        if st['kind'] == 'train':
            extra = {f'{head}.deconv_out_channels': [16, 16, 16]}
            if 'times' in open(st['config']).read() or name != 'pretrain':
                extra['train_dataloader.dataset.times'] = 1
            st.update(epochs=1, cfg_options=dict(opts, **extra))
        if st['kind'] == 'evaluate':
            st['cfg_options'] = dict(opts, **{
                ('model.head' if name in ('eval_supervised', ) else
                 'model.pose_estimator.head') + '.deconv_out_channels':
                [16, 16, 16]})
        stages[name] = st
    cfg = Config(dict(data_root=tiny_data, seed=0,
                      labelled=dict(per_category=1), stages=stages))
    summary = run_workflow(cfg, str(tmp_path / 'w'))
    methods = {r['method'] for r in summary['rows']}
    assert methods == {'supervised', 'random_paste', 'asda'}
    assert osp.isfile(osp.join(summary['stages']['parts']['outputs']['dir'],
                               'part_bank.json'))
    log = open(next(iter(__import__('glob').glob(osp.join(
        str(tmp_path / 'w'), 'asda', '*', '*.log'))))).read()
    assert 'loss_gen' in log and 'generator.lr' in log
    # the picture of pasted crops from the trained stage
    from animal_da.apis.visualize import draw_pasted_parts
    out = summary['stages']['asda']['outputs']
    png = draw_pasted_parts(out['config'], out['checkpoint'],
                            str(tmp_path / 'pasted.png'), num_images=3)
    grid = cv2.imread(png)
    assert grid.shape == (3 * (28 + 2 * 96), 3 * 2 * 96, 3)
    rows = [grid[i * 220 + 28:(i + 1) * 220] for i in range(3)]
    assert not np.array_equal(rows[0], rows[1])  # parts were pasted
    with pytest.raises(ValueError, match='not an ASDA config'):
        draw_pasted_parts(summary['stages']['supervised']['outputs'][
            'config'], None, str(tmp_path / 'x.png'))


def test_asda_two_cpu_processes(tiny_data, bank, tmp_path):
    hooks = Config.fromfile(ASDA).custom_hooks
    cfg = probe_config(ASDA, tmp_path, [dict(h) for h in hooks])
    root = tiny_data.rstrip('/') + '/'
    opts = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=4',
            'train_dataloader.dataset.times=1',
            'model.pose_estimator.head.deconv_out_channels=[16,16,16]',
            f'part_bank={bank}',
            f'train_dataloader.dataset.dataset.data_root={root}',
            'train_dataloader.dataset.dataset.labelled.per_category=1',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']
    for split in ('train', 'val', 'test'):
        opts += [f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    work = str(tmp_path / 'dist')
    out = dist_train(cfg, work, opts)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert differing_params(work, ['pose.', 'generator.']) == []


def test_occlusion_split_keeps_the_keypoint_rule(tmp_path):
    """The occlusion-heavy split: other animals' parts over the target, and
    a keypoint under one is occluded (1), as under any occluder."""
    from animal_da.datasets.synthetic import generate_dataset
    from animal_da.datasets.synthetic.render import (OCCLUDER,
                                                     occlude_with_animal_parts,
                                                     render_sample)
    from animal_da.datasets.synthetic.species import get_species
    from animal_da.datasets.synthetic.styles import get_style
    rng = np.random.default_rng(0)
    style = get_style('real_occluded')
    out = render_sample(get_species(['horse'])[0], style, rng, 96)
    occ = occlude_with_animal_parts(out, get_species(None), style, rng, 3,
                                    96)
    assert (occ['labels'] == OCCLUDER).sum() > (out['labels'] ==
                                                OCCLUDER).sum()
    for k, (x, y, v) in enumerate(occ['keypoints']):
        if out['keypoints'][k, 2] == 2 and \
                occ['labels'][int(y), int(x)] == OCCLUDER:
            assert v == 1
        else:
            assert v == out['keypoints'][k, 2]
    meta = generate_dataset(str(tmp_path / 'occ'), 8, seed=0, img_size=64,
                            show_progress=False, layout='occlusion')
    assert meta['target_style'] == 'real_occluded'
    assert meta['splits'] == {'target_test_occluded': 2}
