# FreeNet setting (a), level 0 (METHODS.md 3.3-3.5): the labelled set is
# every AP-10K train annotation with its level-0 visibility overrides, the
# unlabelled set every AP-10K train annotation (the same images, as
# FreeNet's); 32 labelled + 32 unlabelled per batch. The base network
# (teacher) starts from the supervised model of
# td-hm_hrnet-w32_ap10k-split-level0_256x256.py, the adaptation network
# (student, the evaluated model) from ImageNet HRNet-W32. README: 72.7 AP.
_base_ = ['./td-hm_hrnet-w32_ap10k-split-level0_256x256.py']

base_checkpoint = 'work_dirs/freenet_ap10k_split_level0/base.pth'
train_cfg = {{_base_.freenet_train_cfg}}
optim_wrapper = {{_base_.freenet_optim_wrapper}}
param_scheduler = {{_base_.freenet_param_scheduler}}
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=150,
                                     save_best='student/coco/AP'))
log_processor = dict(by_epoch=False)

ap10k = dict(type='SemiPoseDataset', data_root='data/ap10k/',
             data_mode='topdown',
             ann_file='annotations/ap10k-train-split1.json',
             data_prefix=dict(img='data/'),
             pipeline={{_base_.freenet_pipeline}})
train_dataloader = dict(
    _delete_=True,
    batch_size=64, num_workers=8, persistent_workers=True,
    sampler=dict(type='DomainBalancedSampler', domain_key='is_labelled',
                 ratio=(1, 1)),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(ap10k, role='labelled',
             visibility_overrides={{_base_.missing_keypoints}}),
        dict(ap10k, role='unlabelled', labelled=dict(none=True)),
    ]))

model = dict(
    _delete_=True,
    type='FreeNetPoseEstimator',
    pose_estimator={{_base_.model}},
    data_preprocessor={{_base_.freenet_preprocessor}},
    semi_train_cfg=dict(keypoint_set='ap10k', sigma=2.0, student_init='own'),
    semi_test_cfg=dict(predict_on='student'),
    init_cfg=dict(type='Pretrained', checkpoint=base_checkpoint))
custom_hooks = {{_base_.freenet_hooks}}
