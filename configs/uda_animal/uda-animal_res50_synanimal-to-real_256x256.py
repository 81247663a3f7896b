# UDA-Animal-Pose stage 2, paper-sized (GPU) on the generated animals: the
# paper's network, views, losses and schedules
# (uda-animal_res50_synanimal-to-tigdog_256x256.py) with the `synthetic`
# style as source and the unlabelled `real` style as target, 17 AP-10K
# keypoints, evaluated like the other generated-data models (COCO AP, bbox
# and crop PCK). Stage 1: td-hm_res50-refine_synanimal-source_256x256.py,
# then export it and write its pseudo labels (tools/pseudo_label.py) to the
# paths below, or let tools/bench/domain_shift.py --preset gpu do all of it.
_base_ = ['./uda-animal_res50_synanimal-to-tigdog_256x256.py']

data_root = 'data/synanimal/'
stage1_checkpoint = ('work_dirs/uda_synanimal_stage1/'
                     'td-hm_res50-refine_synanimal-source_256x256_student.pth')
pseudo_label_file = 'work_dirs/uda_synanimal_stage1/pseudo_labels.json'
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1)
view_pack = {{_base_.view_pack}}
# the target views of the paper config, with the generator's occluder
# shapes instead of Pascal VOC cut-outs
target_view = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.6, 1.4),
         rotate_factor=45.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RecordViewGeometry'),
    dict(type='BrightnessContrast', prob=0.5),
    dict(type='PasteOccluders', prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    view_pack,
]
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
source = dict(
    type='AP10KDataset',
    data_root=data_root,
    ann_file='annotations/source_train.json',
    data_prefix=dict(img='images/'),
    pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='SetDomainLabel', domain=1),
        dict(type='SharedMultiBranch', branch_field={{_base_.branches}},
             source={{_base_.source_view}}),
    ])
target = dict(
    type='SemiPoseDataset',
    data_root=data_root,
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=dict(none=True),
    pseudo_labels=dict(
        file=pseudo_label_file,
        filter=dict(type='GlobalPercentileFilter', percentile=0.6)),
    pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='SetDomainLabel', domain=0),
        dict(type='SharedMultiBranch', branch_field={{_base_.branches}},
             target=target_view, target_cons=target_cons_view,
             teacher={{_base_.teacher_view}}),
    ])
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(_delete_=True, type='ConcatDataset',
                 datasets=[source, target]))

val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
eval_data = dict(
    _delete_=True,
    type='AP10KDataset',
    data_root=data_root,
    data_prefix=dict(img='images/'),
    test_mode=True,
    pipeline=val_pipeline)
val_dataloader = dict(
    batch_size=64, num_workers=4,
    dataset=dict(eval_data, ann_file='annotations/target_val.json'))
test_dataloader = dict(
    batch_size=64, num_workers=4,
    dataset=dict(eval_data, ann_file='annotations/target_test.json'))
val_evaluator = [
    dict(type='CocoMetric', ann_file=None),
    dict(type='PCKAccuracy', thr=0.05),
    dict(type='CropPCKAccuracy', thr=0.05),
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='teacher/coco/AP'))

model = dict(
    pose_estimator=dict(head=dict(out_channels=17)),
    init_cfg=dict(checkpoint=stage1_checkpoint))

# what PseudoLabelRefreshHook (if added) and tools/pseudo_label.py label
pseudo_label_dataset = dict(
    type='SemiPoseDataset',
    data_root=data_root,
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=dict(none=True))
