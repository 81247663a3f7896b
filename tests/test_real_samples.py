"""The real samples in ../shared/data/real load through mmpose's dataset
classes and run through inference (skipped where that folder is absent)."""
import os.path as osp

import numpy as np
import pytest

from conftest import BASELINE, real_data_root

ANIMAL = osp.join(real_data_root(), 'mmpose_tests_animal')
SUBSETS = [
    # folder, mmpose dataset class, annotation file, keypoints
    ('ap10k', 'AP10KDataset', 'test_ap10k.json', 17),
    ('animalpose', 'AnimalPoseDataset', 'test_animalpose.json', 20),
    ('ak', 'AnimalKingdomDataset', 'test_animalkingdom.json', 23),
    ('atrw', 'ATRWDataset', 'test_atrw.json', 15),
    ('horse10', 'Horse10Dataset', 'test_horse10.json', 22),
    ('macaque', 'MacaqueDataset', 'test_macaque.json', 17),
    ('fly', 'FlyDataset', 'test_fly.json', 32),
    ('locust', 'LocustDataset', 'test_locust.json', 35),
    ('zebra', 'ZebraDataset', 'test_zebra.json', 9),
]

pytestmark = pytest.mark.skipif(
    not osp.isdir(ANIMAL),
    reason=f'real samples not found at {ANIMAL} (they live in ../shared/'
    'data/real beside the checkout; set ANIMAL_DA_REAL_DATA to use another '
    'copy)')


def _tiny_model(num_keypoints: int):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    cfg = Config.fromfile(BASELINE)
    cfg.model.head.out_channels = num_keypoints
    cfg.model.head.deconv_out_channels = (32, 32, 32)
    model = MODELS.build(cfg.model)
    model.cfg = cfg
    return model.eval()


@pytest.mark.parametrize('folder,dataset_type,ann_file,num_keypoints',
                         SUBSETS)
def test_real_subset_loads_and_runs(folder, dataset_type, ann_file,
                                    num_keypoints):
    from mmengine.config import Config
    from mmpose.apis import inference_topdown
    from mmpose.registry import DATASETS
    cfg = Config.fromfile(BASELINE)
    dataset = DATASETS.build(
        dict(type=dataset_type, data_root=osp.join(ANIMAL, folder),
             ann_file=ann_file, data_prefix=dict(img=''), data_mode='topdown',
             test_mode=True, pipeline=cfg.val_pipeline))
    assert len(dataset) >= 2
    assert dataset.metainfo['num_keypoints'] == num_keypoints
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 96, 96)
    model = _tiny_model(num_keypoints)
    model.dataset_meta = dataset.metainfo
    info = dataset.get_data_info(0)
    results = inference_topdown(model, info['img_path'], info['bbox'])
    kpts = results[0].pred_instances.keypoints
    assert kpts.shape == (1, num_keypoints, 2)
    assert np.isfinite(kpts).all()
    assert results[0].pred_instances.keypoint_scores.shape == (
        1, num_keypoints)


def test_real_ap10k_with_an_exported_model(tmp_path):
    """A model of ours (17 AP-10K keypoints) evaluates on real AP-10K."""
    from mmengine.evaluator import Evaluator
    from mmpose.registry import DATASETS
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    cfg = Config.fromfile(BASELINE)
    dataset = DATASETS.build(
        dict(type='AP10KDataset', data_root=osp.join(ANIMAL, 'ap10k'),
             ann_file='test_ap10k.json', data_prefix=dict(img=''),
             test_mode=True, pipeline=cfg.val_pipeline))
    model = _tiny_model(17)
    model.dataset_meta = dataset.metainfo
    evaluator = Evaluator([dict(type='CocoMetric', ann_file=osp.join(
        ANIMAL, 'ap10k', 'test_ap10k.json')), dict(type='PCKAccuracy'),
                           dict(type='CropPCKAccuracy')])
    evaluator.dataset_meta = dataset.metainfo
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    outputs = model.test_step(batch)
    metrics = evaluator.offline_evaluate(outputs)
    assert 0.0 <= metrics['coco/AP'] <= 1.0
    assert 0.0 <= metrics['crop/PCK'] <= 1.0
