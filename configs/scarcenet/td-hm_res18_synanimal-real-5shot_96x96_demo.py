# ScarceNet stage 1 = the labelled-only baseline: the same model trained on
# 5 labelled images per species of the `real` style (target_train); the other
# target_train images form the unlabelled pool (labels hidden).
_base_ = ['../_base_/td-hm_res18_synanimal_96x96.py']

labelled = dict(per_category=5, seed=0)
train_cfg = dict(max_epochs=30, val_interval=10)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=20,  # 35 labelled images: 20 passes make one epoch
        dataset=dict(
            type='SemiPoseDataset',
            data_root={{_base_.data_root}},
            ann_file='annotations/target_train.json',
            data_prefix=dict(img='images/'),
            role='labelled',
            labelled=labelled,
            pipeline={{_base_.train_pipeline}})))

# the instances tools/pseudo_label.py labels with this model
pseudo_label_dataset = dict(
    type='SemiPoseDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/target_train.json',
    data_prefix=dict(img='images/'),
    role='unlabelled',
    labelled=labelled)
