# Paper-sized variant of td-hm_res18_synanimal_96x96.py for GPU machines:
# ResNet-50 (ImageNet weights from the model zoo), 256x256 in, 64x64 out.
_base_ = ['./td-hm_res18_synanimal_96x96.py']

train_cfg = dict(max_epochs=60, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=60, eta_min=1e-5, by_epoch=True,
         begin=0, end=60),
]
auto_scale_lr = dict(base_batch_size=64)

codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
model = dict(
    backbone=dict(
        depth=50,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50',
                      _delete_=True)),
    head=dict(in_channels=2048, deconv_out_channels=(256, 256, 256),
              decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
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
    batch_size=64, num_workers=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=4, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(num_workers=4, dataset=dict(pipeline=val_pipeline))
