# ScarceNet stage 2 (METHODS.md 2.5-2.7) on AP-10K split 1: the same recipe
# as configs/scarcenet/scarcenet_res18_synanimal-real-5shot_96x96_demo.py at
# paper size. Set stage1_checkpoint (an exported stage-1 model) and
# pseudo_label_file (tools/pseudo_label.py on the stage-1 config).
_base_ = ['./scarcenet-stage1_hrnet-w32_ap10k_256x256.py']

stage1_checkpoint = 'work_dirs/scarcenet_stage1/stage1_student.pth'
pseudo_label_file = 'work_dirs/scarcenet_stage1/pseudo_labels.json'
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
# 150 epochs at a constant lr 1e-3 (its MultiStepLR [190, 200] never fires)
train_cfg = dict(max_epochs=150, val_interval=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
# validate teacher and student (keys teacher/... and student/...); keep the
# best teacher as the paper does (on the evaluation split: METHODS.md 2.9)
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(save_best='teacher/coco/AP',
                                     rule='greater'))

view_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices', 'view_affine',
                            'is_labelled'))
strong_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.5, 1.5),
         rotate_factor=80.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='RandAugmentPose', n=2, m=10, prob=0.5),
    dict(type='GreyCutout', num_holes=6, size=32, prob=0.5),
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
         rotate_factor=40.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    view_pack,
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(
        _delete_=True,
        type='SemiPoseDataset',
        data_root={{_base_.data_root}},
        data_mode='topdown',
        ann_file='annotations/ap10k-train-split1.json',
        data_prefix=dict(img='data/'),
        role='all',
        labelled={{_base_.labelled}},
        pseudo_labels=dict(
            file=pseudo_label_file,
            filter=dict(type='GlobalPercentileFilter', percentile=0.4)),
        pipeline=[
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale'),
            dict(type='SafeRandomHalfBody', min_total_keypoints=9, prob=0.3),
            dict(type='SharedMultiBranch',
                 branch_field=['strong', 'teacher', 'weak'],
                 strong=strong_view, teacher=teacher_view, weak=weak_view),
        ]))

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
        true_label_weight=2.0, sigma=2.0, teacher_bn_sync=True,
        small_loss=dict(type='SmallLossFilter'),
        agreement=dict(type='AgreementFilter', dist_thr=0.6, offset=0.5)),
    semi_test_cfg=dict(predict_on='teacher'),
    # a plain (exported) stage-1 model, loaded into student and teacher
    init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint))
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='EMATeacherHook', decay=0.999, warm_start=True),
    dict(type='ScheduledValuesHook', by_epoch=True, values=dict(
        consistency_weight=dict(type='SigmoidRampUp', length=10, max=2.0),
        small_loss_rate=dict(type='CosineRampDown', length=30, min=0.8,
                             max=1.0))),
    dict(type='TeacherCollapseGuardHook'),
]
