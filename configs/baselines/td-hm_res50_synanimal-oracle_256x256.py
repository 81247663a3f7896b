# Oracle, paper-sized (GPU): trained on the `real` style with its labels.
_base_ = ['../_base_/td-hm_res50_synanimal_256x256.py']

train_dataloader = dict(dataset=dict(ann_file='annotations/target_train.json'))
