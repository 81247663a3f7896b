# FiDIP (METHODS.md 5), ResNet-50 version: fine-tune a COCO SimpleBaseline
# ResNet-50 (384x288) on SyRIP's real + synthetic infants with a domain
# classifier on layer4. Data under data/syrip (COCO files whose images carry
# is_synthetic); discriminator pre-training on data/fidip_pretrain (COCO
# val2017 adults + SURREAL, flagged the same way, as FiDIP's code does).
# Start from mmpose's COCO ResNet-50 384x288 model-zoo checkpoint:
#   --cfg-options load_from=<its URL or path>
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_res50_8xb64-210e_coco-384x288.py']

custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)
load_from = None

# 40 epochs, Adam 1e-3 for both networks, constant (FiDIP's pose scheduler
# is never stepped), batch 64; model selection on Test100 AP as the paper
train_cfg = dict(max_epochs=40, val_interval=1)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3)))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=64)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
default_hooks = dict(checkpoint=dict(save_best='coco/AP', rule='greater',
                                     max_keep_ckpts=1))

# 72x96 heatmaps with sigma 3
codec = dict(
    type='MSRAHeatmap', input_size=(288, 384), heatmap_size=(72, 96),
    sigma=3)
pose_estimator = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50,
                  init_cfg=dict(type='Pretrained',
                                checkpoint='torchvision://resnet50')),
    head=dict(type='HeatmapHead', in_channels=2048, out_channels=17,
              loss=dict(type='KeypointMSELoss', use_target_weight=True),
              decoder=codec),
    # FiDIP's ResNet config tests without flip
    test_cfg=dict(flip_test=False))
model = dict(
    _delete_=True,
    type='DomainAdversarialPoseEstimator',
    pose_estimator=pose_estimator,
    discriminator=dict(type='MLPDomainDiscriminator', in_channels=2048,
                       in_size=(12, 9), hidden=(2048, 512)),
    feature=dict(module='backbone', index=-1),
    # FiDIP trains layer3 onwards (its first 72 tensors frozen)
    frozen=['backbone.conv1', 'backbone.bn1', 'backbone.layer1',
            'backbone.layer2'],
    adv_cfg=dict(adv_weight=0.0005, carry_pose_step_grads=True))

pack = dict(type='PackPoseInputs',
            meta_keys=('id', 'img_id', 'img_path', 'category_id',
                       'crowd_index', 'ori_shape', 'img_shape', 'input_size',
                       'input_center', 'input_scale', 'flip',
                       'flip_direction', 'flip_indices', 'raw_ann_info',
                       'domain'))
# scale N(1, .3) in [.7, 1.3], rotation N(0, 40) in +-80 at p .6, flip,
# no half-body
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.7, 1.3),
         rotate_factor=40.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='SetDomainLabel', key='is_synthetic'),
    pack,
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
data_root = 'data/syrip/'
# the ResNet version shuffles plainly; DomainBalancedSampler
# (domain_key='is_synthetic') gives the HRNet version's balanced batches
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        _delete_=True,
        type='SyRIPDataset',
        data_root=data_root,
        ann_file='annotations/train_infant.json',
        data_prefix=dict(img='images/train_infant/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    dataset=dict(
        _delete_=True,
        type='SyRIPDataset',
        data_root=data_root,
        ann_file='annotations/validate_infant.json',
        data_prefix=dict(img='images/validate_infant/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric',
                     ann_file=data_root + 'annotations/validate_infant.json')
test_evaluator = val_evaluator

custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    # stage 1: 10 epochs of the discriminator alone, batch 128
    dict(type='DiscriminatorPretrainHook', epochs=10,
         dataloader=dict(
             batch_size=128, num_workers=4,
             sampler=dict(type='DefaultSampler', shuffle=True),
             dataset=dict(
                 type='SyRIPDataset', data_root='data/fidip_pretrain/',
                 ann_file='annotations/train_pre_infant.json',
                 data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))),
]
