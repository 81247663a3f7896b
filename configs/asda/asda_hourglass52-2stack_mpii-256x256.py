# ASDA (METHODS.md 4.5) on MPII with the 2-stack hourglass, 256x256: one LIP
# part per sample (ASDA's part library in data/lip_parts/, its own layout:
# <type>/*.bmp + part_anns.json), pose Adam 1e-3 (4 GPUs x 32), LR x0.1 at
# epochs 140 and 250 (the original's END_EPOCH 14000000 is a typo; 300
# here), STN Adam 1e-3; scale 0.25, rotation 30, flip, no half-body.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
          'td-hm_hourglass52_8xb64-210e_mpii-256x256.py']
custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

part_bank = 'data/lip_parts/parts_bmp_filter_done'
train_cfg = dict(max_epochs=300, val_interval=10)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-3)))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=300, milestones=[140, 250],
         gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=128)
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
asda_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'crowd_index', 'ori_shape', 'img_shape',
                            'input_size', 'input_center', 'input_scale',
                            'flip', 'flip_direction', 'flip_indices',
                            'raw_ann_info', 'part_imgs', 'part_masks',
                            'part_types'))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, scale_factor=(0.75, 1.25),
         rotate_factor=30.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='SemanticPartCanvas', bank=part_bank, num_aug=(1, ),
         scale_range=(0.7, 1.3), erode_kernel=3, blur_kernel=3,
         both_hf_sa=False, centre_quirk=True),
    dict(type='GenerateTarget', encoder=codec),
    asda_pack,
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
pose_estimator = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='HourglassNet', num_stacks=2),
    head=dict(type='CPMHead', in_channels=256, out_channels=16,
              num_stages=2, deconv_out_channels=None,
              loss=dict(type='KeypointMSELoss', use_target_weight=True),
              decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
model = dict(
    _delete_=True,
    type='AdversarialAugPoseEstimator',
    pose_estimator=pose_estimator,
    # ASDA's STN: ImageNet ResNet-18 localisation, 25 LIP part types
    generator=dict(
        type='STNPartGenerator', num_types=25,
        backbone=dict(type='ResNet', depth=18, out_indices=(3, ),
                      init_cfg=dict(type='Pretrained',
                                    checkpoint='torchvision://resnet18')),
        in_channels=512, hidden=128),
    adv_cfg=dict(stn_first=False, nd=1, ng=1))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
