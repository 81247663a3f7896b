# ScarceNet stage 2 with 20 labelled images per species (AP-10K split 1).
_base_ = ['../_base_/scarcenet-stage2_hrnet-w32_ap10k_256x256.py']
stage1_checkpoint = ('work_dirs/scarcenet-stage1_hrnet-w32_ap10k-20shot_256x256/'
                     'exported/scarcenet-stage1_hrnet-w32_ap10k-20shot_256x256_student.pth')
pseudo_label_file = ('work_dirs/scarcenet-stage1_hrnet-w32_ap10k-20shot_256x256/'
                     'pseudo_labels.json')
labelled = dict(image_ids_file='data/ap10k/label_list/annotation_list_20')
train_dataloader = dict(dataset=dict(
    labelled=labelled, pseudo_labels=dict(file=pseudo_label_file)))
model = dict(init_cfg=dict(checkpoint=stage1_checkpoint))
