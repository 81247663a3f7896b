# A CPU-sized top-down heatmap model on the generated two-domain animals
# (tools/generate_synthetic_data.py), inheriting mmpose's AP-10K config: same
# 17 keypoints, metainfo, head and metrics as an AP-10K model.
_base_ = ['mmpose::animal_2d_keypoint/topdown_heatmap/ap10k/'
          'td-hm_res50_8xb64-210e_ap10k-256x256.py']

custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

# runtime: a few epochs of a small dataset; validate on the real-style val split
train_cfg = dict(max_epochs=30, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01,
         by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=30, eta_min=1e-5, by_epoch=True,
         begin=0, end=30),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=1, save_best='coco/AP',
                    rule='greater'))
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='MemoryFormatHook'),  # channels_last: faster on CPU
]
env_cfg = dict(mp_cfg=dict(mp_start_method='fork', opencv_num_threads=1))
randomness = dict(seed=0)

# model: ResNet-18 with a light deconvolution head, 96x96 in, 24x24 out
# (about 45 training images/s on 2 CPU cores)
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)
model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=18, init_cfg=None),
    head=dict(in_channels=512, deconv_out_channels=(128, 128, 128),
              deconv_kernel_sizes=(4, 4, 4), decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# data: data/synanimal from tools/generate_synthetic_data.py
dataset_type = 'AP10KDataset'
data_root = 'data/synanimal/'
train_pipeline = [
    dict(type='LoadImage'),
    # UDA-Animal-Pose's stage-1 noise / blur / contrast (METHODS.md 1.3)
    dict(type='NoiseBlurContrast', prob=0.5),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/source_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/target_val.json',
        data_prefix=dict(img='images/'),
        pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/target_test.json',
        data_prefix=dict(img='images/'),
        pipeline=val_pipeline))
# CocoMetric without ann_file builds its ground truth from the dataset, so
# changing data_root is enough to evaluate elsewhere
val_evaluator = [
    dict(type='CocoMetric', ann_file=None),
    dict(type='PCKAccuracy', thr=0.05),
    dict(type='CropPCKAccuracy', thr=0.05),
]
test_evaluator = val_evaluator
