# ScarceNet stage 2 (METHODS.md 2.5-2.7) on the generated `real` style with 5
# labels per species, sized for 2 CPU cores. Steps:
#   1. python tools/train.py configs/scarcenet/td-hm_res18_synanimal-real-5shot_96x96_demo.py
#   2. python tools/export_model.py <that config> <its checkpoint> --out work_dirs/scarcenet_stage1
#   3. python tools/pseudo_label.py <that config> <its checkpoint> --out work_dirs/scarcenet_stage1/pseudo_labels.json
#   4. python tools/train.py this config (paths below, or --cfg-options)
_base_ = ['./td-hm_res18_synanimal-real-5shot_96x96_demo.py']

stage1_checkpoint = ('work_dirs/scarcenet_stage1/'
                     'td-hm_res18_synanimal-real-5shot_96x96_demo_student.pth')
pseudo_label_file = 'work_dirs/scarcenet_stage1/pseudo_labels.json'
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)

# paper: 150 epochs at constant lr 1e-3 (its MultiStepLR never fires)
train_cfg = dict(max_epochs=6, val_interval=2)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
# validate teacher and student (keys teacher/... and student/...); keep the
# best teacher as the paper does
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(save_best='teacher/coco/AP'))

# three views of every instance (METHODS.md 2.6)
view_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices', 'view_affine',
                            'is_labelled'))
strong_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.5, 1.5),
         rotate_factor=40.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='RandAugmentPose', n=2, m=10, prob=0.5),
    dict(type='GreyCutout', num_holes=6, size=12, prob=0.5),  # 32 px @ 256
    dict(type='GenerateTarget', encoder=codec),
    view_pack,
]
teacher_view = [
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    view_pack,
]
weak_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.9, 1.1),
         rotate_factor=20.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    view_pack,
]
scarcenet_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='SafeRandomHalfBody'),
    dict(type='SharedMultiBranch', branch_field=['strong', 'teacher', 'weak'],
         strong=strong_view, teacher=teacher_view, weak=weak_view),
]
# labelled and unlabelled instances mixed at their natural ratio
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        _delete_=True,
        type='SemiPoseDataset',
        data_root={{_base_.data_root}},
        ann_file='annotations/target_train.json',
        data_prefix=dict(img='images/'),
        role='all',
        labelled={{_base_.labelled}},
        pseudo_labels=dict(
            file=pseudo_label_file,
            filter=dict(type='GlobalPercentileFilter', percentile=0.4)),
        pipeline=scarcenet_pipeline))

pose_estimator = {{_base_.model}}
model = dict(
    _delete_=True,
    type='ScarceNetPoseEstimator',
    pose_estimator=pose_estimator,
    data_preprocessor=dict(
        type='mmdet.MultiBranchDataPreprocessor',
        data_preprocessor=dict(
            type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True)),
    semi_train_cfg=dict(
        loss=dict(type='JointsMSELoss', weight_mode='inside', scale=0.5),
        true_label_weight=2.0,
        sigma=1.0,  # sigma 2 at 64x64 heatmaps is about 1 at 24x24
        # paper: True (an extra teacher forward on the strong view only for
        # its BN statistics); off here to save a third of the teacher's cost
        teacher_bn_sync=False,
        small_loss=dict(type='SmallLossFilter'),
        agreement=dict(type='AgreementFilter', dist_thr=0.6, offset=0.5)),
    semi_test_cfg=dict(predict_on='teacher'),
    # a plain (exported) stage-1 model, loaded into student and teacher
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint))

# paper ramps are over 10 and 30 of 150 epochs; scaled to the demo's 6
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='MemoryFormatHook'),
    dict(type='EMATeacherHook', decay=0.999, warm_start=True),
    dict(type='ScheduledValuesHook', by_epoch=True, values=dict(
        consistency_weight=dict(type='SigmoidRampUp', length=2, max=2.0),
        small_loss_rate=dict(type='CosineRampDown', length=3, min=0.8,
                             max=1.0))),
    dict(type='TeacherCollapseGuardHook', min_peak=0.02, patience=2),
]
