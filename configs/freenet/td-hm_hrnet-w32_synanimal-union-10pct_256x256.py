# The keypoint-union benchmark's naive merge at paper size (its --preset
# gpu): FreeNet's model of setting (d) (HRNet-W32, 256x256 in, 64x64
# heatmaps, the 24-joint union: td-hm_hrnet-w32_ap10k+animalpose+tigdog-
# 10pct_256x256.py) on the generated keypoint-set sources instead of AP-10K,
# AnimalPose and TigDog: the labelled 10 % of each (random, seed 2),
# evaluated on union_val / union_test. The backbone starts from random
# weights: the GPU machines reach no model hub for ImageNet's.
#   python tools/generate_synthetic_data.py --layout keypoint_sets \
#       --out data/synanimal_union --num-images 5000
#   python tools/train.py configs/freenet/td-hm_hrnet-w32_synanimal-union-10pct_256x256.py
_base_ = ['./td-hm_hrnet-w32_ap10k+animalpose+tigdog-10pct_256x256.py']

data_root = 'data/synanimal_union/'
labelled = dict(ratio=0.1, seed=2)
model = dict(backbone=dict(init_cfg=None))
source = dict(type='SemiPoseDataset', data_root=data_root,
              data_prefix=dict(img='images/'), role='labelled',
              labelled=labelled)
sources = [
    dict(source, keypoint_set='ap10k',
         ann_file='annotations/ap10k_train.json'),
    dict(source, keypoint_set='animalpose',
         ann_file='annotations/animalpose_train.json'),
    dict(source, keypoint_set='tigdog',
         ann_file='annotations/tigdog_train.json'),
]
train_dataloader = dict(dataset=dict(datasets=sources))
union_split = dict(_delete_=True, type='SemiPoseDataset',
                   keypoint_set='animal_union24', data_root=data_root,
                   data_prefix=dict(img='images/'),
                   pipeline={{_base_.val_pipeline}})
val_dataloader = dict(
    dataset=dict(union_split, ann_file='annotations/union_val.json'))
test_dataloader = dict(
    dataset=dict(union_split, ann_file='annotations/union_test.json'))
