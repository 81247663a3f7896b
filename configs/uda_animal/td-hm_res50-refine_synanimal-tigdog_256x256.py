# UDA-Animal-Pose stage 1 (METHODS.md 1.4), paper setting: ResNet-50 with the
# deconvolution head and refinement block, trained on the synthetic horses
# and tigers of Mu et al., validated on real TigDog (the paper selects on
# it; see the README). Data under data/synthetic_animal and data/tigdog,
# converted by tools/dataset_converters/tigdog_to_coco.py.
_base_ = ['mmpose::animal_2d_keypoint/topdown_heatmap/ap10k/'
          'td-hm_res50_8xb64-210e_ap10k-256x256.py']

custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

# Adam 2.5e-4, 100 epochs, x0.1 at 60 and 90, batch 6
train_cfg = dict(max_epochs=100, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2.5e-4))
param_scheduler = [dict(type='MultiStepLR', begin=0, end=100,
                        milestones=[60, 90], gamma=0.1, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=6)
default_hooks = dict(checkpoint=dict(save_best='crop/PCK', rule='greater',
                                     max_keep_ckpts=1))
custom_hooks = [dict(type='CheckpointShapeCheckHook')]

# 18 keypoints, 64x64 heatmaps with sigma 1
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1)
model = dict(
    head=dict(
        _delete_=True,
        type='RefineHeatmapHead',
        in_channels=2048,
        out_channels=18,
        pre_channels=256,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        refine_mid=128,
        refine_out=256,
        dual_refine=False,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    # the paper adds the flipped refined heatmap (no shift)
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))

# synthetic stage-1 augmentation: affine (scale .5-1.5, rotation 30), noise,
# blur, contrast at p .5 each, flip
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='NoiseBlurContrast', prob=0.5),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.5, 1.5),
         rotate_factor=30.0, rotate_prob=0.5, shift_factor=0.05),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    # imgaug's shear (+-20 deg); its per-axis scale is RandomBBoxTransform's
    # isotropic one here (RandomCropShear's axis_scale can add it)
    dict(type='RandomCropShear', prob=0.5, shear=20.0),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
synthetic_root = 'data/synthetic_animal/'
tigdog_root = 'data/tigdog/'
# one file per split holding both animals (the converter's --animal horse
# tiger); TigDog's split is by video
train_dataloader = dict(
    batch_size=6,
    dataset=dict(
        _delete_=True,
        type='SyntheticAnimalDataset',
        data_root=synthetic_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img=''),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=6,
    dataset=dict(
        _delete_=True,
        type='TigDogDataset',
        data_root=tigdog_root,
        ann_file='annotations/valid.json',
        data_prefix=dict(img='behaviorDiscovery2.0/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
# the paper's PCK@0.05 (crop-normalised, per-batch aggregation, batch 6) with
# its part groups, beside mmpose's bbox-normalised PCK
val_evaluator = [
    dict(type='CropPCKAccuracy', thr=0.05, aggregation='batch_mean',
         batch_size=6,
         parts=dict(eyes=[0, 1], chin=[2], hooves=[3, 4, 5, 6], hip=[7],
                    knees=[8, 9, 10, 11], shoulders=[12, 13],
                    elbows=[14, 15, 16, 17])),
    dict(type='PCKAccuracy', thr=0.05),
]
test_evaluator = val_evaluator

# the real training frames pseudo-labelled for stage 2
pseudo_label_dataset = dict(
    type='TigDogSemiDataset',
    data_root=tigdog_root,
    ann_file='annotations/train.json',
    data_prefix=dict(img='behaviorDiscovery2.0/'),
    role='unlabelled',
    labelled=dict(none=True))
