# FreeNet setting (a), level 0 (METHODS.md 3.3): AP-10K train split 1 as a
# "non-standard" dataset, each annotation keeping its front-leg or its
# back-leg joints plus the shared eyes, nose, neck and tail (FreeNet's
# info/missing_keypoints_anns_info_level_0.json: visibility overrides matched
# by image id + box within 2 px; copy FreeNet's info/ to
# data/ap10k/freenet_info/). The supervised base network of that setting.
_base_ = ['../_base_/td-hm_hrnet-w32_freenet_256x256.py']

missing_keypoints = ('data/ap10k/freenet_info/'
                     'missing_keypoints_anns_info_level_0.json')
train_dataloader = dict(
    batch_size=32,
    dataset=dict(type='SemiPoseDataset', role='labelled',
                 visibility_overrides=missing_keypoints))
# FreeNet selects and reports on val split 1 (METHODS.md 3.5-3.6)
val_evaluator = [
    dict(type='CocoMetric',
         ann_file='data/ap10k/annotations/ap10k-val-split1.json'),
    dict(type='CropPCKAccuracy', thr=0.05),
]
test_dataloader = {{_base_.val_dataloader}}
test_evaluator = val_evaluator
