"""Export a trained baseline and use it through mmpose's inference APIs."""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from conftest import BASELINE, REPO, fast_options

sys.path.insert(0, osp.join(REPO, 'tools'))
import export_model  # noqa: E402
import train as train_tool  # noqa: E402


@pytest.fixture(scope='module')
def exported(tiny_data, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('export_run'))
    train_tool.main([BASELINE, '--work-dir', work, '--cfg-options'] +
                    fast_options(tiny_data, max_epochs=1) +
                    ['train_cfg.val_interval=5'])
    out = str(tmp_path_factory.mktemp('exported'))
    # the run's own work_dir is trusted: no opt-in needed
    cfg_path, ckpt_path = export_model.main([
        BASELINE, osp.join(work, 'epoch_1.pth'), '--out', out, '--work-dir',
        work
    ])
    return cfg_path, ckpt_path


def test_exported_checkpoint_is_weights_only(exported):
    _, ckpt_path = exported
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    meta = ckpt['meta']['dataset_meta']
    assert meta['num_keypoints'] == 17
    assert isinstance(meta['sigmas'], list)


def test_exported_config_is_plain_mmpose(exported):
    cfg_path, _ = exported
    text = open(cfg_path).read()
    assert 'animal_da' not in text
    assert "type='TopdownPoseEstimator'" in text


def test_export_needs_trust_outside_work_dir(exported, tiny_data, tmp_path):
    import shutil
    from animal_da.compat import UntrustedCheckpointError
    # a checkpoint from elsewhere that holds Python objects
    cfg_path, ckpt_path = exported
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': {}, 'message_hub': _Obj()}, other)
    with pytest.raises(UntrustedCheckpointError, match='--trust-checkpoint'):
        export_model.main([BASELINE, str(other), '--out',
                           str(tmp_path / 'x')])
    # an exported (weights-only) checkpoint re-exports without trust
    paths = export_model.main([BASELINE, ckpt_path, '--out',
                               str(tmp_path / 'again')])
    assert osp.isfile(paths[1])
    with pytest.raises(KeyError, match='no teacher'):
        export_model.main([BASELINE, ckpt_path, '--out',
                           str(tmp_path / 't'), '--which', 'teacher'])
    shutil.rmtree(tmp_path / 'again')


class _Obj:
    pass


def test_init_model_and_inference_topdown(exported, tiny_data):
    from mmpose.apis import inference_topdown, init_model
    cfg_path, ckpt_path = exported
    model = init_model(cfg_path, ckpt_path, device='cpu')
    with open(osp.join(tiny_data, 'annotations', 'target_test.json')) as f:
        coco = json.load(f)
    img = osp.join(tiny_data, 'images', coco['images'][0]['file_name'])
    x, y, w, h = coco['annotations'][0]['bbox']
    boxes = np.array([[x, y, x + w, y + h], [0, 0, 50, 60]], np.float32)
    results = inference_topdown(model, img, boxes)
    assert len(results) == 2
    for r in results:
        assert r.pred_instances.keypoints.shape == (1, 17, 2)
        assert r.pred_instances.keypoint_scores.shape == (1, 17)
    # without boxes: the whole image is one box
    whole = inference_topdown(model, img)
    assert len(whole) == 1
    assert whole[0].pred_instances.keypoints.shape == (1, 17, 2)


def test_mmpose_inferencer(exported, tiny_data):
    from mmpose.apis import MMPoseInferencer
    cfg_path, ckpt_path = exported
    inferencer = MMPoseInferencer(pose2d=cfg_path, pose2d_weights=ckpt_path,
                                  det_model='whole_image', device='cpu')
    with open(osp.join(tiny_data, 'annotations', 'target_test.json')) as f:
        coco = json.load(f)
    img = osp.join(tiny_data, 'images', coco['images'][0]['file_name'])
    result = next(inferencer(img, return_vis=False))
    people = result['predictions'][0]
    assert len(people) == 1
    assert np.asarray(people[0]['keypoints']).shape == (17, 2)
