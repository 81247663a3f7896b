# FreeNet's paper setting (METHODS.md 3.2-3.6): HRNet-W32, 256x256 input,
# 64x64 heatmaps (sigma 2), as a plain supervised model (the base network's
# pre-training: FreeNet ships no script for it, so mmpose's AP-10K HRNet
# schedule is used) plus the pieces its FreeNet configs take: the ori/aug
# pipeline, the two AdamW optimisers and the iteration schedules.
# AP-10K's 17 joints by default; the union configs change the keypoint set.
_base_ = ['mmpose::animal_2d_keypoint/topdown_heatmap/ap10k/'
          'td-hm_hrnet-w32_8xb64-210e_ap10k-256x256.py']
custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
# FreeNet's training geometry: tight square crops (no 1.25 margin; a parity
# switch, evaluation keeps 1.25), half-body p 0.3, scale 0.65-1.35, rotation
# up to 45 degrees, flip (mmpose samples truncated normals, FreeNet uniform)
train_padding = 1.0
train_geometry = [
    dict(type='LoadImage'),
    dict(type='SetKeypointStates'),
    dict(type='GetBBoxCenterScale', padding=train_padding),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody', prob=0.3, min_total_keypoints=3,
         min_upper_keypoints=3, min_lower_keypoints=3),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.65, 1.35),
         rotate_factor=45.0, rotate_prob=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PopKeypointStates'),
    dict(type='GenerateTarget', encoder=codec),
]
train_pipeline = train_geometry + [dict(type='PackPoseInputs')]
view_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices', 'is_labelled',
                            'dataset_name'))
freenet_pipeline = train_geometry + [
    dict(type='SharedMultiBranch', branch_field=['ori', 'aug'],
         ori=[view_pack],
         aug=[dict(type='RandWeakAugment', n=2, m=10, solarize_inverts=True,
                   posterize_noop=True, blur_radius=3.0),
              view_pack]),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='SetKeypointStates'),
    dict(type='PopKeypointStates'),
    dict(type='PackPoseInputs')
]
model = dict(head=dict(decoder=codec))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))

# ---- FreeNet (METHODS.md 3.5), used by configs/freenet/freenet_*.py ----
# 45,000 iterations; AdamW wd 1e-4, lr 1e-3 (student) and 1e-5 (teacher),
# each warmed up linearly over 900 iterations, then cosine to 0; AMP on
# (AmpOptimWrapper: CUDA only, use OptimWrapper on CPU)
freenet_iters = 45000
freenet_train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                         max_iters=freenet_iters, val_interval=150)
freenet_optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    student=dict(type='AmpOptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=1e-4)),
    teacher=dict(type='AmpOptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-5, weight_decay=1e-4)))
freenet_param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=900),
    dict(type='CosineAnnealingLR', T_max=freenet_iters - 900, eta_min=0.,
         by_epoch=False, begin=900, end=freenet_iters),
]
# keep ratios decay over down_step 9,000 to r = [0.5, 0.6, 0.65, 0.65]; the
# feedback weight phi(t) = min(1, (t + 1 - 4500) / 1500) x 2 from 4,500
freenet_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='ScheduledValuesHook', by_epoch=False, values=dict(
        keep_ratio_face=dict(type='CosineRampDown', length=9000, min=0.5),
        keep_ratio_front=dict(type='CosineRampDown', length=9000, min=0.6),
        keep_ratio_back=dict(type='CosineRampDown', length=9000, min=0.65),
        keep_ratio_exclusive=dict(type='CosineRampDown', length=9000,
                                  min=0.65),
        feedback_weight=dict(type='LinearRamp', begin=4499, end=5999,
                             start_value=0., end_value=2.0))),
]
freenet_preprocessor = dict(
    type='mmdet.MultiBranchDataPreprocessor',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True))
