# Oracle: trained on the `real` style with its labels (target_train), the
# upper reference that adaptation methods are measured against.
_base_ = ['../_base_/td-hm_res18_synanimal_96x96.py']

train_dataloader = dict(dataset=dict(ann_file='annotations/target_train.json'))
