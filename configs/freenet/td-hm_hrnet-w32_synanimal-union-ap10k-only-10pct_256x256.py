# One source alone (its labelled 10 %) at paper size, trained on the 24-joint
# union: the joints it does not annotate get no loss (a reference row of the
# keypoint-union benchmark's --preset gpu).
_base_ = ['./td-hm_hrnet-w32_synanimal-union-10pct_256x256.py']

train_dataloader = dict(dataset=dict(datasets=[
    dict(type='SemiPoseDataset', data_root={{_base_.data_root}},
         data_prefix=dict(img='images/'), role='labelled',
         labelled={{_base_.labelled}}, keypoint_set='ap10k',
         ann_file='annotations/ap10k_train.json')
]))
