# FreeNet setting (b), "25 -> 5 ips": labelled = the 25-per-species images
# with their visibility overrides, unlabelled = every AP-10K train
# annotation; 8 labelled + 56 unlabelled per batch. (FreeNet then fine-tunes
# 6,000 more iterations with the same algorithm, down_step 6,000: a second
# run of this config from its own student/teacher.) README: 57.9 AP.
_base_ = ['./freenet_hrnet-w32_ap10k-split-level0_256x256.py']

base_checkpoint = 'work_dirs/freenet_ap10k_25to5ips/base.pth'
missing_keypoints = ('data/ap10k/freenet_info/'
                     '25_5_imgs_keypoints_anns_info.json')
labelled = dict(image_ids_file='data/ap10k/freenet_info/label_list/'
                'annotation_list_25.json')
ap10k = dict(type='SemiPoseDataset', data_root='data/ap10k/',
             data_mode='topdown',
             ann_file='annotations/ap10k-train-split1.json',
             data_prefix=dict(img='data/'),
             pipeline={{_base_.freenet_pipeline}})
train_dataloader = dict(
    sampler=dict(ratio=(7, 1)),
    dataset=dict(datasets=[
        dict(ap10k, role='labelled', labelled=labelled,
             visibility_overrides=missing_keypoints),
        dict(ap10k, role='unlabelled', labelled=dict(none=True)),
    ]))
model = dict(init_cfg=dict(checkpoint=base_checkpoint))
