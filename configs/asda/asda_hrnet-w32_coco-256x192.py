# ASDA (METHODS.md 4.5) on COCO with HRNet-W32, 256x192: one LIP part per
# sample on instances with at least 8 visible joints (num_joints_SA), none on
# half-body crops (BOTH_HF_SA False); half-body p 0.3, scale 0.35, rotation
# 45, flip; pose Adam 3e-3 for a batch of 384 (4 x 96), LR x0.1 at 180 and
# 270 (END_EPOCH 210000 is a typo; 300 here), STN Adam 1e-3.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']
custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

part_bank = 'data/lip_parts/parts_bmp_filter_done'
train_cfg = dict(max_epochs=300, val_interval=10)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=3e-3)),
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-3)))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=300, milestones=[180, 270],
         gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=384)
codec = dict(
    type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
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
    dict(type='SafeRandomHalfBody', prob=0.3, min_total_keypoints=9),
    dict(type='RandomBBoxTransform', scale_factor=(0.65, 1.35),
         rotate_factor=45.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='SemanticPartCanvas', bank=part_bank, num_aug=(1, ),
         scale_range=(0.7, 1.3), erode_kernel=3, blur_kernel=3,
         both_hf_sa=False, centre_quirk=True, min_visible=8),
    dict(type='GenerateTarget', encoder=codec),
    asda_pack,
]
train_dataloader = dict(batch_size=96, dataset=dict(pipeline=train_pipeline))
pose_estimator = {{_base_.model}}
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
