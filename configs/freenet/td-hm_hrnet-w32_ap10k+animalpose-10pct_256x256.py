# FreeNet setting (c) (METHODS.md 3.3): AP-10K train split 1 + AnimalPose
# train (FreeNet's 9:1 re-split, resources/annotation_files/
# animal_pose_{train,val}.json, in data/animalpose/annotations/, in its own
# joint order: keypoint_set animalpose_freenet) merged into
# the 21-joint union; 10 % of the annotations labelled (FreeNet's own list,
# info/random_0.1_img_ann_ids.json; it drew them with Python's random). The
# naive merge: the supervised base network of that setting.
_base_ = ['../_base_/td-hm_hrnet-w32_freenet_256x256.py']

union = 'animal_union21'
# the annotations FreeNet labelled (its saved list over the pooled AP-10K +
# AnimalPose numbering); dict(ratio=0.1, seed=2) draws a fraction per dataset
# instead
labelled = dict(
    freenet_ids='data/ap10k/freenet_info/random_0.1_img_ann_ids.json')
model = dict(head=dict(out_channels=21))
sources = [
    dict(type='SemiPoseDataset', keypoint_set='ap10k', role='labelled',
         labelled=labelled, data_root='data/ap10k/', data_mode='topdown',
         ann_file='annotations/ap10k-train-split1.json',
         data_prefix=dict(img='data/')),
    dict(type='SemiPoseDataset', keypoint_set='animalpose_freenet',
         role='labelled', labelled=labelled, data_root='data/animalpose/',
         data_mode='topdown', ann_file='annotations/animal_pose_train.json',
         data_prefix=dict(img='images/')),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(_delete_=True, type='KeypointUnionDataset', union=union,
                 datasets=sources, pipeline={{_base_.train_pipeline}}))
# FreeNet's union val file: AP-10K val + AnimalPose val, 21 joints
val_dataloader = dict(
    dataset=dict(_delete_=True, type='SemiPoseDataset', keypoint_set=union,
                 data_root='data/', data_mode='topdown',
                 ann_file='freenet/ap_10k_animal_pose_union_val.json',
                 data_prefix=dict(img=''),
                 pipeline={{_base_.val_pipeline}}))
test_dataloader = val_dataloader
# every joint subset also per source dataset: the file marks each image
# "from" ap_10k or animal_pose
val_evaluator = [
    dict(type='JointSubsetMetric', subsets=union,
         metrics=[dict(type='CocoMetric', ann_file=None),
                  dict(type='PCKAccuracy', thr=0.05),
                  dict(type='CropPCKAccuracy', thr=0.05)],
         group_by=dict(
             ann_file='data/freenet/ap_10k_animal_pose_union_val.json',
             field='from'))
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='all/coco/AP'))
