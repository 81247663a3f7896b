# ScarceNet stage 1 (METHODS.md 2.1-2.4): HRNet-W32 with the per-joint head
# (MBHRNet) trained on the labelled AP-10K images of split 1 only.
_base_ = ['mmpose::animal_2d_keypoint/topdown_heatmap/ap10k/'
          'td-hm_hrnet-w32_8xb64-210e_ap10k-256x256.py']
custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

# Adam lr 1e-3 without weight decay (the original never passes WD to Adam),
# 210 epochs, x0.1 at 170 and 200; batch 32 x 2 GPUs
train_cfg = dict(max_epochs=210, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200],
         gamma=0.1, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=64)
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
model = dict(
    head=dict(type='PerJointHeatmapHead', in_channels=32, joint_channels=32,
              deconv_out_channels=None,
              loss=dict(type='KeypointMSELoss', use_target_weight=True)))

# HRNet-style augmentation: scale 0.5-1.5, rotation up to 80 deg (p 0.6),
# half body p 0.3 with more than 8 visible joints
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody', min_total_keypoints=9, prob=0.3),
    dict(type='RandomBBoxTransform', scale_factor=(0.5, 1.5),
         rotate_factor=80.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
data_root = 'data/ap10k/'
labelled = dict(image_ids_file='data/ap10k/label_list/annotation_list_5')
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        type='SemiPoseDataset', role='labelled', labelled=labelled,
        pipeline=train_pipeline))
pseudo_label_dataset = dict(
    type='SemiPoseDataset',
    data_root=data_root,
    data_mode='topdown',
    ann_file='annotations/ap10k-train-split1.json',
    data_prefix=dict(img='data/'),
    role='unlabelled',
    labelled=labelled)
# ScarceNet selects and reports on val split 1 (METHODS.md 2.8)
test_dataloader = {{_base_.val_dataloader}}
test_evaluator = {{_base_.val_evaluator}}
