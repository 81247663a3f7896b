# FreeNet setting (a), level 1: as level 0, the shared set adding the four
# paws (9 joints).
_base_ = ['./td-hm_hrnet-w32_ap10k-split-level0_256x256.py']

missing_keypoints = ('data/ap10k/freenet_info/'
                     'missing_keypoints_anns_info_level_1.json')
train_dataloader = dict(dataset=dict(visibility_overrides=missing_keypoints))
