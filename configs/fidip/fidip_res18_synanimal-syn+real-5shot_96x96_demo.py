# FiDIP (METHODS.md 5) on the generated animals, sized for 2 CPU cores: many
# labelled `synthetic` images plus 5 labelled `real` images per species, a
# domain classifier on the backbone's last stage, discriminator pre-training,
# then alternating discriminator / pose steps (lambda 0.0005).
# Fine-tune from a plain mmpose checkpoint of the same keypoint set, e.g. the
# source-only baseline: --cfg-options load_from=<checkpoint>.
_base_ = ['../_base_/td-hm_res18_synanimal_96x96.py']

train_cfg = dict(max_epochs=4, val_interval=2)
# paper: Adam 1e-3 for both networks, constant (its pose scheduler never
# steps, METHODS.md 5.4)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3)))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
# one DDP wrapper per network (two optimisers, custom train_step)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')

pack = dict(type='PackPoseInputs',
            meta_keys=('id', 'img_id', 'img_path', 'category_id',
                       'ori_shape', 'img_shape', 'input_size',
                       'input_center', 'input_scale', 'flip',
                       'flip_direction', 'flip_indices', 'domain'))
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)
# FiDIP's augmentation (METHODS.md 5.3): scale 0.7-1.3, rotation 40 at p 0.6,
# flip, no half-body
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
    batch_size=32,
    sampler=dict(_delete_=True, type='DomainBalancedSampler',
                 dataset_domains=[1, 0]),
    dataset=dict(_delete_=True, type='ConcatDataset',
                 datasets=[synthetic, real]))

pose_estimator = {{_base_.model}}
model = dict(
    _delete_=True,
    type='DomainAdversarialPoseEstimator',
    pose_estimator=pose_estimator,
    # FiDIP freezes stem, layer1 and layer2 (its first 72 tensors); their BN
    # statistics keep updating, unlike mmpose's frozen_stages
    frozen=['backbone.conv1', 'backbone.bn1', 'backbone.layer1',
            'backbone.layer2'],
    discriminator=dict(type='MLPDomainDiscriminator', in_channels=512,
                       in_size=(3, 3), hidden=(256, 64)),
    feature=dict(module='backbone', index=-1),
    adv_cfg=dict(adv_weight=0.0005, carry_pose_step_grads=True))

# FiDIP stage 1: the discriminator alone on real/synthetic images (the paper
# uses adult COCO + SURREAL; here unlabelled real and synthetic animals)
pretrain_real = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=dict(none=True),
    indices=256,
    pipeline=real_pipeline)
pretrain_synthetic = dict(synthetic, indices=256)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='MemoryFormatHook'),
    dict(type='DiscriminatorPretrainHook', epochs=1, log_interval=4,
         dataloader=dict(
             batch_size=32, num_workers=1,
             sampler=dict(type='DomainBalancedSampler',
                          dataset_domains=[1, 0]),
             dataset=dict(type='ConcatDataset',
                          datasets=[pretrain_synthetic, pretrain_real]))),
]
