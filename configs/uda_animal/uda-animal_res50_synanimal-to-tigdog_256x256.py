# UDA-Animal-Pose stage 2 (METHODS.md 1.6), paper setting: synthetic horses
# and tigers (Mu et al.) to real TigDog, ResNet-50, 256x256, 18 keypoints,
# 80 epochs, batch 6 + 6. Stage 1:
# td-hm_res50-refine_synanimal-tigdog_256x256.py; then export it and write
# its TTA pseudo labels of the TigDog training frames:
#   python tools/export_model.py <stage-1 config> <checkpoint> --out work_dirs/uda_tigdog_stage1
#   python tools/pseudo_label.py <stage-1 config> <checkpoint> --out work_dirs/uda_tigdog_stage1/pseudo_labels.json --temporal-check
# (--temporal-check: the optical-flow check of METHODS.md 1.5, by video;
# add --across-clips for the original code's behaviour)
_base_ = ['./td-hm_res50-refine_synanimal-tigdog_256x256.py']

stage1_checkpoint = ('work_dirs/uda_tigdog_stage1/'
                     'td-hm_res50-refine_synanimal-tigdog_256x256_student.pth')
pseudo_label_file = 'work_dirs/uda_tigdog_stage1/pseudo_labels.json'
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1)

# Adam 2.5e-4, poly (power 0.9) over 100 epochs, stopped at 80
train_cfg = dict(max_epochs=80, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2.5e-4))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end=100, by_epoch=True)]
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(save_best='teacher/crop/PCK'))

view_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices', 'view_affine',
                            'is_labelled', 'domain'))
branches = ['source', 'target', 'target_cons', 'teacher']
# source: the stage-1 augmentation
source_view = [
    dict(type='NoiseBlurContrast', prob=0.5),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.5, 1.5),
         rotate_factor=30.0, rotate_prob=0.5, shift_factor=0.05),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='RandomCropShear', prob=0.5, shear=20.0),
    dict(type='GenerateTarget', encoder=codec),
    view_pack,
]
# target strong view (pseudo-label loss): flip, scale N(1, .4) in
# [.6, 1.4], rotation N(0, 45) in +-90 at p .6, jitter, occluders
target_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.6, 1.4),
         rotate_factor=45.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='BrightnessContrast', prob=0.5),
    # Pascal VOC cut-outs (no animals or people), as RGBA PNGs
    dict(type='PasteOccluders', prob=0.5,
         occluder_dir='data/voc_occluders/'),
    dict(type='GenerateTarget', encoder=codec),
    view_pack,
]
# consistency view: as the strong view without scale jitter. The paper
# shares flip, rotation and occluders with the strong view; here it draws
# its own, which changes nothing in the losses: the teacher target is
# warped through the recorded geometry of this view.
target_cons_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(1.0, 1.0),
         rotate_factor=45.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='PasteOccluders', prob=0.5,
         occluder_dir='data/voc_occluders/'),
    view_pack,
]
teacher_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='BrightnessContrast', prob=0.5),
    view_pack,
]
source = dict(
    type='SyntheticAnimalDataset',
    data_root={{_base_.synthetic_root}},
    ann_file='annotations/train.json',
    data_prefix=dict(img=''),
    pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='SetDomainLabel', domain=1),
        dict(type='SharedMultiBranch', branch_field=branches,
             source=source_view),
    ])
target = dict(
    type='TigDogSemiDataset',
    data_root={{_base_.tigdog_root}},
    ann_file='annotations/train.json',
    data_prefix=dict(img='behaviorDiscovery2.0/'),
    role='unlabelled',
    labelled=dict(none=True),
    # paper: keep the top 40 % of pseudo-labelled joints (--percentage 0.6)
    pseudo_labels=dict(
        file=pseudo_label_file,
        filter=dict(type='GlobalPercentileFilter', percentile=0.6)),
    pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='SetDomainLabel', domain=0),
        dict(type='SharedMultiBranch', branch_field=branches,
             target=target_view, target_cons=target_cons_view,
             teacher=teacher_view),
    ])
# every batch half source, half target
train_dataloader = dict(
    batch_size=12,
    sampler=dict(_delete_=True, type='DomainBalancedSampler',
                 dataset_domains=[1, 0]),
    dataset=dict(_delete_=True, type='ConcatDataset',
                 datasets=[source, target]))

# the stage-1 network with the second refined head (started from the first)
pose_estimator = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50, init_cfg=None),
    head=dict(
        type='RefineHeatmapHead',
        in_channels=2048,
        out_channels=18,
        pre_channels=256,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        refine_mid=128,
        refine_out=256,
        dual_refine=True,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))
model = dict(
    _delete_=True,
    type='UDAAnimalPoseEstimator',
    pose_estimator=pose_estimator,
    # MDAM on the 4 x 256-channel refinement features at 64 x 64
    discriminator=dict(type='ConvDomainDiscriminator', in_channels=1024,
                       in_size=(64, 64), channels=(64, 128, 256, 512, 1024)),
    data_preprocessor=dict(
        type='mmdet.MultiBranchDataPreprocessor',
        data_preprocessor=dict(
            type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True)),
    semi_train_cfg=dict(
        loss=dict(type='JointsMSELoss', weight_mode='inside', scale=0.5),
        mixup=dict(type='PoseMixup', alpha=0.8, cross_domain_prob=0.5,
                   max_lambda=True, weight_rule='max'),
        adv_weight=0.0005,
        two_head_weight=0.01,
        teacher_bn_sync=True),
    semi_test_cfg=dict(predict_on='teacher'),
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint))

# the paper's schedules (per epoch): top-k 18 -> 9 from epoch 2 to 11,
# pseudo-label weight 15 -> 8 (cosine over 15 epochs), consistency and
# self-feedback 0 -> 90 over 10 epochs; DANN's reversal over the whole run
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='EMATeacherHook', decay=0.999, warm_start=True),
    dict(type='ScheduledValuesHook', by_epoch=True, values=dict(
        topk=dict(type='LinearRamp', begin=2, end=11, start_value=18,
                  end_value=9),
        pseudo_label_weight=dict(type='CosineRampDown', length=15, min=8.0,
                                 max=15.0),
        consistency_weight=dict(type='SigmoidRampUp', length=10, max=90.0))),
    dict(type='ScheduledValuesHook', by_progress=True, values=dict(
        grl_coeff=dict(type='DANNRampUp', length=1.0, gamma=10.0))),
    dict(type='TeacherCollapseGuardHook', min_peak=0.02, patience=2),
]
