# FreeNet setting (b), "25 -> 5 ips" (METHODS.md 3.3): the AP-10K train
# annotations of ScarceNet's 25-images-per-species list, with FreeNet's
# visibility overrides (info/25_5_imgs_keypoints_anns_info.json: limb joints
# survive on about 5 images per species, head/neck/tail on many more; copy
# FreeNet's info/ to data/ap10k/freenet_info/). The supervised base network.
_base_ = ['./td-hm_hrnet-w32_ap10k-split-level0_256x256.py']

missing_keypoints = ('data/ap10k/freenet_info/'
                     '25_5_imgs_keypoints_anns_info.json')
labelled = dict(image_ids_file='data/ap10k/freenet_info/label_list/'
                'annotation_list_25.json')
train_dataloader = dict(dataset=dict(visibility_overrides=missing_keypoints,
                                     labelled=labelled))
