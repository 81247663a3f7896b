# FiDIP, paper-sized (GPU) on the generated animals: the ResNet-50 recipe of
# fidip_res50_syrip_384x288.py (classifier on layer4, stem..layer2 frozen,
# Adam 1e-3 for both networks, lambda 0.0005) at 256x256 on many labelled
# `synthetic` images plus 5 labelled `real` images per species. The
# cpu-small twin is fidip_res18_synanimal-syn+real-5shot_96x96_demo.py;
# tools/bench/domain_shift.py --preset gpu fine-tunes this one from the
# source-only ResNet-50 (--cfg-options load_from=<exported checkpoint>).
_base_ = ['../_base_/td-hm_res50_synanimal_256x256.py']

train_cfg = dict(max_epochs=10, val_interval=2)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3)))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')

pack = dict(type='PackPoseInputs',
            meta_keys=('id', 'img_id', 'img_path', 'category_id',
                       'ori_shape', 'img_shape', 'input_size',
                       'input_center', 'input_scale', 'flip',
                       'flip_direction', 'flip_indices', 'domain'))
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=2)
# FiDIP's augmentation (METHODS.md 5.3): scale 0.7-1.3, rotation 40 at p
# 0.6, flip, no half-body
def_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.7, 1.3),
         rotate_factor=40.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
]
synthetic_pipeline = def_pipeline + [dict(type='SetDomainLabel', domain=1),
                                     pack]
real_pipeline = def_pipeline + [dict(type='SetDomainLabel', domain=0), pack]
synthetic = dict(
    type='AP10KDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/source_train.json',
    data_prefix=dict(img='images/'),
    pipeline=synthetic_pipeline)
real = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='labelled',
    labelled=dict(per_category=5, seed=0),
    pipeline=real_pipeline)
# every batch half synthetic, half real (the few real images oversampled)
train_dataloader = dict(
    batch_size=64,
    sampler=dict(_delete_=True, type='DomainBalancedSampler',
                 dataset_domains=[1, 0]),
    dataset=dict(_delete_=True, type='ConcatDataset',
                 datasets=[synthetic, real]))

# fine-tuned from load_from, so no ImageNet download at initialisation
pose_estimator = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50, init_cfg=None),
    head=dict(
        type='HeatmapHead',
        in_channels=2048,
        out_channels=17,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
model = dict(
    _delete_=True,
    type='DomainAdversarialPoseEstimator',
    pose_estimator=pose_estimator,
    frozen=['backbone.conv1', 'backbone.bn1', 'backbone.layer1',
            'backbone.layer2'],
    # layer4 of a 256x256 input is 2048 x 8 x 8
    discriminator=dict(type='MLPDomainDiscriminator', in_channels=2048,
                       in_size=(8, 8), hidden=(2048, 512)),
    feature=dict(module='backbone', index=-1),
    adv_cfg=dict(adv_weight=0.0005, carry_pose_step_grads=True))

# FiDIP stage 1: the discriminator alone on unlabelled real and synthetic
# animals (the paper: adult COCO + SURREAL)
pretrain_real = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=dict(none=True),
    pipeline=real_pipeline)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='DiscriminatorPretrainHook', epochs=1, log_interval=20,
         dataloader=dict(
             batch_size=64, num_workers=4,
             sampler=dict(type='DomainBalancedSampler',
                          dataset_domains=[1, 0]),
             dataset=dict(type='ConcatDataset',
                          datasets=[synthetic, pretrain_real]))),
]
