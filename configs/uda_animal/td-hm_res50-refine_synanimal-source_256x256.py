# UDA-Animal-Pose stage 1, paper-sized (GPU) on the generated animals:
# ResNet-50 (ImageNet weights), 256x256 in, 64x64 out, the paper's
# refinement block, trained on the labelled `synthetic` style with the
# stage-1 noise / blur / contrast / affine chain. The cpu-small twin is
# td-hm_res18-refine_synanimal-source_96x96_demo.py; tools/bench/
# domain_shift.py --preset gpu runs this one.
_base_ = ['../_base_/td-hm_res50_synanimal_256x256.py']

codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64),
    sigma=1)
model = dict(
    head=dict(
        _delete_=True,
        type='RefineHeatmapHead',
        in_channels=2048,
        out_channels=17,
        pre_channels=256,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
        refine_mid=128,
        refine_out=256,
        dual_refine=False,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='NoiseBlurContrast', prob=0.5),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.5, 1.5),
         rotate_factor=30.0, rotate_prob=0.5, shift_factor=0.05),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='RandomCropShear', prob=0.5, shear=20.0),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# the instances tools/pseudo_label.py labels with this model: all of the
# target domain's training images, labels hidden
pseudo_label_dataset = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=dict(none=True))
