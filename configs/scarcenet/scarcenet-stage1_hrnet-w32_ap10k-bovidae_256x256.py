# ScarceNet transfer setting, stage 1: all train images of the Bovidae family
# labelled (ScarceNet ships the list as annotation_list_Bovidae); test on
# another species with test_dataloader.dataset.category_names=['deer'].
_base_ = ['../_base_/scarcenet-stage1_hrnet-w32_ap10k_256x256.py']
labelled = dict(supercategories=['Bovidae'])
train_dataloader = dict(dataset=dict(labelled=labelled))
pseudo_label_dataset = dict(labelled=labelled)
test_dataloader = dict(dataset=dict(type='SemiPoseDataset',
                                    category_names=['deer']))
