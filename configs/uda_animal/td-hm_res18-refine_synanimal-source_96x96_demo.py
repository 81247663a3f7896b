# UDA-Animal-Pose stage 1 (METHODS.md 1.4) on the generated animals, sized for
# 2 CPU cores: the pose network with the refinement block trained on the
# labelled `synthetic` style only (source_train), with the stage-1 noise /
# blur / contrast chain; loss MSE(coarse) + MSE(refined). Its pseudo labels
# of the unlabelled `real` style (target_train) start stage 2:
#   python tools/pseudo_label.py <this config> <checkpoint> --out <file>
_base_ = ['../_base_/td-hm_res18_synanimal_96x96.py']

train_cfg = dict(max_epochs=12, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01,
         by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=12, eta_min=1e-5, by_epoch=True,
         begin=0, end=12),
]
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)
# paper: ResNet-50, 256 channels throughout, refine bottlenecks 128 -> 256
model = dict(
    head=dict(
        _delete_=True,
        type='RefineHeatmapHead',
        in_channels=512,
        out_channels=17,
        pre_channels=128,
        deconv_out_channels=(128, 128, 128),
        deconv_kernel_sizes=(4, 4, 4),
        refine_mid=64,
        refine_out=128,
        dual_refine=False,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec))

# the instances tools/pseudo_label.py labels with this model: all of the
# target domain's training images, labels hidden
pseudo_label_dataset = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=dict(none=True))
