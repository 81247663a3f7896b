# UDA-Animal-Pose stage 2 (METHODS.md 1.6) on the generated animals, sized for
# 2 CPU cores: labelled `synthetic` source + unlabelled `real` target with
# the stage-1 model's pseudo labels. Steps:
#   1. python tools/train.py configs/uda_animal/td-hm_res18-refine_synanimal-source_96x96_demo.py
#   2. python tools/export_model.py <that config> <its checkpoint> --out work_dirs/uda_stage1
#   3. python tools/pseudo_label.py <that config> <its checkpoint> --out work_dirs/uda_stage1/pseudo_labels.json
#   4. python tools/train.py this config (paths below, or --cfg-options)
_base_ = ['./td-hm_res18-refine_synanimal-source_96x96_demo.py']

stage1_checkpoint = ('work_dirs/uda_stage1/'
                     'td-hm_res18-refine_synanimal-source_96x96_demo_student.pth')
pseudo_label_file = 'work_dirs/uda_stage1/pseudo_labels.json'
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)

# paper: 80 epochs, Adam 2.5e-4, poly decay (power 0.9 over 100 epochs)
train_cfg = dict(max_epochs=4, val_interval=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2.5e-4))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end=5, by_epoch=True)]
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(save_best='teacher/coco/AP'))

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
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
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
    dict(type='PasteOccluders', prob=0.5),  # synthetic occluders, no VOC
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
    dict(type='PasteOccluders', prob=0.5),
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
    type='AP10KDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/source_train.json',
    data_prefix=dict(img='images/'),
    pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='SetDomainLabel', domain=1),
        dict(type='SharedMultiBranch', branch_field=branches,
             source=source_view),
    ])
target = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
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
    batch_size=32,
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
    backbone=dict(type='ResNet', depth=18, init_cfg=None),
    head=dict(
        type='RefineHeatmapHead',
        in_channels=512,
        out_channels=17,
        pre_channels=128,
        deconv_out_channels=(128, 128, 128),
        deconv_kernel_sizes=(4, 4, 4),
        refine_mid=64,
        refine_out=128,
        dual_refine=True,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
model = dict(
    _delete_=True,
    type='UDAAnimalPoseEstimator',
    pose_estimator=pose_estimator,
    # MDAM on the 4 x 128-channel refinement features at 24 x 24
    discriminator=dict(type='ConvDomainDiscriminator', in_channels=512,
                       in_size=(24, 24), channels=(64, 128, 256)),
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

# paper schedules over 80 epochs (top-k 18 -> 9 from epoch 2 to 11, pseudo-
# label weight 15 -> 8 by epoch ~7, consistency 0 -> 90 over 10 epochs),
# scaled to the demo's 4; DANN's reversal coefficient over the whole run
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='MemoryFormatHook'),
    dict(type='EMATeacherHook', decay=0.999, warm_start=True),
    dict(type='ScheduledValuesHook', by_epoch=True, values=dict(
        topk=dict(type='LinearRamp', begin=1, end=3, start_value=17,
                  end_value=9),
        pseudo_label_weight=dict(type='CosineRampDown', length=2, min=8.0,
                                 max=15.0),
        consistency_weight=dict(type='SigmoidRampUp', length=2, max=90.0))),
    dict(type='ScheduledValuesHook', by_progress=True, values=dict(
        grl_coeff=dict(type='DANNRampUp', length=1.0, gamma=10.0))),
    dict(type='TeacherCollapseGuardHook', min_peak=0.02, patience=2),
]
