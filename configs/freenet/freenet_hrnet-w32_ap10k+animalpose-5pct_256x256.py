# FreeNet setting (c) at 5 %. README: 48.6 AP.
_base_ = ['./freenet_hrnet-w32_ap10k+animalpose-10pct_256x256.py']

base_checkpoint = 'work_dirs/freenet_ap10k_animalpose_5pct/base.pth'
# the annotations FreeNet labelled (its saved list over the pooled AP-10K +
# AnimalPose numbering); dict(ratio=0.05, seed=2) draws a fraction per dataset
# instead
labelled = dict(
    freenet_ids='data/ap10k/freenet_info/random_0.05_img_ann_ids.json')
train_dataloader = dict(dataset=dict(datasets=[
    dict(type='SemiPoseDataset', keypoint_set='ap10k', role='all',
         labelled=labelled, data_root='data/ap10k/', data_mode='topdown',
         ann_file='annotations/ap10k-train-split1.json',
         data_prefix=dict(img='data/')),
    dict(type='SemiPoseDataset', keypoint_set='animalpose_freenet',
         role='all', labelled=labelled, data_root='data/animalpose/',
         data_mode='topdown', ann_file='annotations/animal_pose_train.json',
         data_prefix=dict(img='images/')),
]))
model = dict(init_cfg=dict(checkpoint=base_checkpoint))
