# ScarceNet stage 1 with ScarceNet's list of 10 labelled images per species.
_base_ = ['../_base_/scarcenet-stage1_hrnet-w32_ap10k_256x256.py']
labelled = dict(image_ids_file='data/ap10k/label_list/annotation_list_10')
train_dataloader = dict(dataset=dict(labelled=labelled))
pseudo_label_dataset = dict(labelled=labelled)
