# FreeNet (METHODS.md 3) on the generated keypoint-set sources, sized for 2
# CPU cores: the labelled 10 % and the unlabelled rest of the AP-10K-,
# AnimalPose- and TigDog-style files, one 24-joint union. The base network
# (teacher) starts from the naive merge; here the adaptation network
# (student) does too (student_init='both': no ImageNet weights on this
# machine; FreeNet's is ImageNet HRNet-W32). Run it through the workflow:
#   python tools/run_workflow.py configs/freenet/freenet_res18_synanimal-union-10pct_96x96_demo_workflow.py
_base_ = ['../_base_/td-hm_res18_synanimal-union_96x96.py']

base_checkpoint = 'work_dirs/freenet_stage1/naive_merge.pth'

# FreeNet: 45,000 iterations; AdamW lr 1e-3 (student) / 1e-5 (teacher), wd
# 1e-4, linear warm-up over 900 iterations then cosine to 0, per network
train_cfg = dict(max_epochs=6, val_interval=2)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    student=dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=1e-4)),
    teacher=dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-5, weight_decay=1e-4)))
# (on CUDA, type='AmpOptimWrapper' in both entries gives FreeNet's AMP)
param_scheduler = [
    # warm-up: 900 of 45,000 iterations = 2 % of training (a fraction of the
    # first epoch here)
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=20),
    dict(type='CosineAnnealingLR', T_max=6, eta_min=0., by_epoch=True,
         begin=0, end=6, convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
# one DDP wrapper per network (two optimisers, custom train_step)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
# validate student (the evaluated model) and teacher
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(save_best='student/all/coco/AP'))

# every source as labelled (its 10 %) + unlabelled (the rest) instances
source = dict(type='SemiPoseDataset', data_root={{_base_.data_root}},
              data_prefix=dict(img='images/'), role='all',
              labelled={{_base_.labelled}})
train_dataloader = dict(
    batch_size=32,
    # FreeNet's B_l + 7 B_l: 4 labelled + 28 unlabelled instances per batch
    sampler=dict(_delete_=True, type='DomainBalancedSampler',
                 domain_key='is_labelled', ratio=(7, 1)),
    dataset=dict(
        datasets=[
            dict(source, keypoint_set='ap10k',
                 ann_file='annotations/ap10k_train.json'),
            dict(source, keypoint_set='animalpose',
                 ann_file='annotations/animalpose_train.json'),
            dict(source, keypoint_set='tigdog',
                 ann_file='annotations/tigdog_train.json'),
        ],
        pipeline={{_base_.freenet_pipeline}}))

pose_estimator = {{_base_.model}}
model = dict(
    _delete_=True,
    type='FreeNetPoseEstimator',
    pose_estimator=pose_estimator,
    data_preprocessor=dict(
        type='mmdet.MultiBranchDataPreprocessor',
        data_preprocessor=dict(
            type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True)),
    semi_train_cfg=dict(
        keypoint_set={{_base_.union}},
        loss=dict(type='JointsMSELoss', weight_mode='outside', scale=1.0,
                  joint_reduction='sum'),
        sigma=1.0,  # FreeNet's sigma 2 at 64x64 is about 1 at 24x24
        pl_render='untruncated',
        feedback_sign='old_minus_new',
        student_bn_pass=True,
        student_init='both'),
    semi_test_cfg=dict(predict_on='student'),
    init_cfg=dict(type='Pretrained', checkpoint=base_checkpoint))

# FreeNet's iteration schedules as fractions of training (by_progress): keep
# ratios decay over down_step = 9,000 of 45,000 iterations (0.2) to
# r = [0.5, 0.6, 0.65, 0.65]; the feedback weight ramps 0 -> 2 from iteration
# 4,500 to 6,000 (0.1 -> 0.133)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='MemoryFormatHook'),
    dict(type='ScheduledValuesHook', by_progress=True, values=dict(
        keep_ratio_face=dict(type='CosineRampDown', length=0.2, min=0.5),
        keep_ratio_front=dict(type='CosineRampDown', length=0.2, min=0.6),
        keep_ratio_back=dict(type='CosineRampDown', length=0.2, min=0.65),
        keep_ratio_exclusive=dict(type='CosineRampDown', length=0.2,
                                  min=0.65),
        feedback_weight=dict(type='LinearRamp', begin=0.1, end=0.1333,
                             start_value=0., end_value=2.0))),
]
