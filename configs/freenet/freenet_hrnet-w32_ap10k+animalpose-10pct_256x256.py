# FreeNet setting (c) at 10 % (METHODS.md 3.3-3.5): AP-10K + AnimalPose in
# the 21-joint union, the labelled 10 % and the unlabelled rest of every
# source, 8 labelled + 56 unlabelled per batch. The base network (teacher)
# starts from the naive merge of td-hm_hrnet-w32_ap10k+animalpose-10pct_
# 256x256.py, the student from ImageNet HRNet-W32. README: 57.5 AP.
_base_ = ['./td-hm_hrnet-w32_ap10k+animalpose-10pct_256x256.py']

base_checkpoint = 'work_dirs/freenet_ap10k_animalpose_10pct/base.pth'
train_cfg = {{_base_.freenet_train_cfg}}
optim_wrapper = {{_base_.freenet_optim_wrapper}}
param_scheduler = {{_base_.freenet_param_scheduler}}
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
val_cfg = dict(type='mmdet.TeacherStudentValLoop')
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=150,
                                     save_best='student/all/coco/AP'))
log_processor = dict(by_epoch=False)

train_dataloader = dict(
    _delete_=True,
    batch_size=64, num_workers=8, persistent_workers=True,
    sampler=dict(type='DomainBalancedSampler', domain_key='is_labelled',
                 ratio=(7, 1)),
    dataset=dict(type='KeypointUnionDataset', union={{_base_.union}},
                 pipeline={{_base_.freenet_pipeline}}, datasets=[
        dict(type='SemiPoseDataset', keypoint_set='ap10k', role='all',
             labelled={{_base_.labelled}}, data_root='data/ap10k/', data_mode='topdown',
             ann_file='annotations/ap10k-train-split1.json',
             data_prefix=dict(img='data/')),
        dict(type='SemiPoseDataset', keypoint_set='animalpose_freenet',
             role='all', labelled={{_base_.labelled}},
             data_root='data/animalpose/',
             data_mode='topdown', ann_file='annotations/animal_pose_train.json',
             data_prefix=dict(img='images/')),
    ]))

model = dict(
    _delete_=True,
    type='FreeNetPoseEstimator',
    pose_estimator={{_base_.model}},
    data_preprocessor={{_base_.freenet_preprocessor}},
    semi_train_cfg=dict(keypoint_set={{_base_.union}}, sigma=2.0,
                        student_init='own'),
    semi_test_cfg=dict(predict_on='student'),
    init_cfg=dict(type='Pretrained', checkpoint=base_checkpoint))
custom_hooks = {{_base_.freenet_hooks}}
