# The naive merge (FreeNet's supervised base network, METHODS.md 3.1): the
# labelled 10 % of the three generated keypoint-set sources merged into the
# 24-joint union, joints a source does not annotate masked out of the loss.
#   python tools/generate_synthetic_data.py --layout keypoint_sets \
#       --out data/synanimal_union --num-images 600
#   python tools/train.py configs/freenet/td-hm_res18_synanimal-union-naive-10pct_96x96_demo.py
_base_ = ['../_base_/td-hm_res18_synanimal-union_96x96.py']

# 180 labelled instances (6 iterations an epoch): 300 epochs reach the end
# of the cosine schedule (union_val AP still rose at 200)
train_cfg = dict(max_epochs=300, val_interval=25)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.01,
         by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=300, eta_min=1e-5, by_epoch=True,
         begin=0, end=300),
]
