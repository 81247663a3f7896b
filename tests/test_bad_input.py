"""Bad input gets a clear error that names the file or the fix."""
import os.path as osp
import sys

import pytest
import torch

from conftest import BASELINE, REPO, fast_options

sys.path.insert(0, osp.join(REPO, 'tools'))
import test as test_tool  # noqa: E402
import train as train_tool  # noqa: E402


def test_missing_annotation_file(tiny_data, tmp_path):
    opts = fast_options(tiny_data) + [
        'train_dataloader.dataset.ann_file=annotations/missing.json']
    with pytest.raises(Exception, match='missing.json'):
        train_tool.main([BASELINE, '--work-dir', str(tmp_path), '--cfg-options'
                         ] + opts)


def test_unknown_type_in_config(tiny_data, tmp_path):
    opts = fast_options(tiny_data) + ['model.head.type=NoSuchHead']
    with pytest.raises(KeyError, match='NoSuchHead'):
        train_tool.main([BASELINE, '--work-dir', str(tmp_path), '--cfg-options'
                         ] + opts)


def test_missing_config_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        train_tool.main([str(tmp_path / 'nope.py')])


def test_checkpoint_with_wrong_keypoint_count(tiny_data, tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(BASELINE)
    cfg.model.head.out_channels = 5
    cfg.model.head.deconv_out_channels = (32, 32, 32)
    cfg.model.backbone.init_cfg = None
    from mmpose.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    path = str(tmp_path / 'five_keypoints.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    # the 17-keypoint config refuses the 5-keypoint head, naming the file
    # and the layer
    with pytest.raises(RuntimeError, match='five_keypoints.pth') as err:
        test_tool.main([BASELINE, path, '--work-dir', str(tmp_path),
                        '--cfg-options'] + fast_options(tiny_data))
    assert 'head.final_layer.weight' in str(err.value)
    assert 'keypoint count' in str(err.value)


def test_missing_checkpoint_for_test(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        test_tool.main([BASELINE, str(tmp_path / 'absent.pth')])
