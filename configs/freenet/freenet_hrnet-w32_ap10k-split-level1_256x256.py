# FreeNet setting (a), level 1 (9 shared joints). README: 74.2 AP.
_base_ = ['./freenet_hrnet-w32_ap10k-split-level0_256x256.py']

base_checkpoint = 'work_dirs/freenet_ap10k_split_level1/base.pth'
missing_keypoints = ('data/ap10k/freenet_info/'
                     'missing_keypoints_anns_info_level_1.json')
ap10k = dict(type='SemiPoseDataset', data_root='data/ap10k/',
             data_mode='topdown',
             ann_file='annotations/ap10k-train-split1.json',
             data_prefix=dict(img='data/'),
             pipeline={{_base_.freenet_pipeline}})
train_dataloader = dict(dataset=dict(datasets=[
    dict(ap10k, role='labelled', visibility_overrides=missing_keypoints),
    dict(ap10k, role='unlabelled', labelled=dict(none=True)),
]))
model = dict(init_cfg=dict(checkpoint=base_checkpoint))
