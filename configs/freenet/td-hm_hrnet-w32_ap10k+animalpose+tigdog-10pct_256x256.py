# FreeNet setting (d) (METHODS.md 3.3): AP-10K + AnimalPose + TigDog in the
# 24-joint union, a random 10 % of each source's annotations labelled. TigDog
# in FreeNet's 19-joint order (its tigdog_train.json, or our converter's
# COCO file extended by the neck). The naive merge (base network).
_base_ = ['./td-hm_hrnet-w32_ap10k+animalpose-10pct_256x256.py']

union = 'animal_union24'
# (d)'s labelled 10 %: FreeNet's sample_few (seed 2), drawn per source here;
# the base network and FreeNet label the same instances. Setting (c)'s saved
# id lists cover AP-10K and AnimalPose only, so its `labelled` is replaced.
sample_few = dict(ratio=0.1, seed=2)
labelled = dict(_delete_=True, ratio=0.1, seed=2)
model = dict(head=dict(out_channels=24))
train_dataloader = dict(dataset=dict(union=union, datasets=[
    dict(type='SemiPoseDataset', keypoint_set='ap10k', role='labelled',
         labelled=sample_few, data_root='data/ap10k/',
         data_mode='topdown',
         ann_file='annotations/ap10k-train-split1.json',
         data_prefix=dict(img='data/')),
    dict(type='SemiPoseDataset', keypoint_set='animalpose_freenet',
         role='labelled', labelled=sample_few,
         data_root='data/animalpose/',
         data_mode='topdown', ann_file='annotations/animal_pose_train.json',
         data_prefix=dict(img='images/')),
    dict(type='SemiPoseDataset', keypoint_set='tigdog', role='labelled',
         labelled=sample_few, data_root='data/tigdog/',
         data_mode='topdown', ann_file='annotations/tigdog_train.json',
         data_prefix=dict(img='images/')),
]))
val_dataloader = dict(
    dataset=dict(keypoint_set=union,
                 ann_file='freenet/ap10k_animalpose_tigdog_val.json'))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='JointSubsetMetric', subsets=union,
         metrics=[dict(type='CocoMetric', ann_file=None),
                  dict(type='PCKAccuracy', thr=0.05),
                  dict(type='CropPCKAccuracy', thr=0.05)])
]
test_evaluator = val_evaluator
