# FreeNet at paper size on the generated keypoint-set sources (the
# keypoint-union benchmark's --preset gpu): setting (d)'s recipe (HRNet-W32,
# 256x256, 64x64 heatmaps, sigma 2, 24-joint union, 8 labelled + 56
# unlabelled instances a batch, AdamW 1e-3 / 1e-5, AMP) on the labelled 10 %
# and the unlabelled rest of the three generated sources. Two changes, both
# because nothing is downloaded on the GPU machines: the backbone has no
# ImageNet weights, so the student starts from the naive merge as the
# teacher does (student_init='both', as the CPU demo); and the schedule is
# in epochs, its iteration schedules (warm-up, keep ratios, feedback ramp)
# as FreeNet's fractions of training, so that the benchmark sizes it.
#   python tools/run_workflow.py ... (tools/bench/keypoint_union.py --preset gpu)
_base_ = ['./freenet_hrnet-w32_ap10k+animalpose+tigdog-10pct_256x256.py']

data_root = 'data/synanimal_union/'
base_checkpoint = 'work_dirs/freenet_synanimal_union_256/naive_merge.pth'
source = dict(type='SemiPoseDataset', data_root=data_root,
              data_prefix=dict(img='images/'), role='all',
              labelled=dict(ratio=0.1, seed=2))
train_dataloader = dict(dataset=dict(datasets=[
    dict(source, keypoint_set='ap10k',
         ann_file='annotations/ap10k_train.json'),
    dict(source, keypoint_set='animalpose',
         ann_file='annotations/animalpose_train.json'),
    dict(source, keypoint_set='tigdog',
         ann_file='annotations/tigdog_train.json'),
]))
union_split = dict(_delete_=True, type='SemiPoseDataset',
                   keypoint_set='animal_union24', data_root=data_root,
                   data_prefix=dict(img='images/'),
                   pipeline={{_base_.val_pipeline}})
val_dataloader = dict(
    dataset=dict(union_split, ann_file='annotations/union_val.json'))
test_dataloader = dict(
    dataset=dict(union_split, ann_file='annotations/union_test.json'))
model = dict(
    pose_estimator=dict(backbone=dict(init_cfg=None)),
    semi_train_cfg=dict(student_init='both'),
    init_cfg=dict(checkpoint=base_checkpoint))

# 20 epochs of 8 ceil(unlabelled / 7) instances: with 5,000 images a source
# (13,500 unlabelled) 241 iterations each, 4,820 in all (FreeNet: 45,000)
freenet_epochs = 20
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop',
                 max_epochs=freenet_epochs, val_interval=5)
param_scheduler = [
    # warm-up: FreeNet's 900 of 45,000 iterations, 2 % of training
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', T_max=freenet_epochs, eta_min=0.,
         by_epoch=True, begin=0, end=freenet_epochs,
         convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=5))
log_processor = dict(by_epoch=True)
# keep ratios decay over FreeNet's down_step (9,000 of 45,000 iterations,
# 0.2 of training); the feedback weight ramps 0 -> 2 from 4,500 to 6,000
# (0.1 -> 0.133)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='ScheduledValuesHook', by_progress=True, values=dict(
        keep_ratio_face=dict(type='CosineRampDown', length=0.2, min=0.5),
        keep_ratio_front=dict(type='CosineRampDown', length=0.2, min=0.6),
        keep_ratio_back=dict(type='CosineRampDown', length=0.2, min=0.65),
        keep_ratio_exclusive=dict(type='CosineRampDown', length=0.2,
                                  min=0.65),
        feedback_weight=dict(type='LinearRamp', begin=0.1, end=0.1333,
                             start_value=0., end_value=2.0))),
]
