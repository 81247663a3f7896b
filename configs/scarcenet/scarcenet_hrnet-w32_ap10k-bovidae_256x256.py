# ScarceNet transfer setting, stage 2 (labelled: Bovidae; test: deer).
_base_ = ['../_base_/scarcenet-stage2_hrnet-w32_ap10k_256x256.py']
stage1_checkpoint = ('work_dirs/scarcenet-stage1_hrnet-w32_ap10k-bovidae_256x256/'
                     'exported/scarcenet-stage1_hrnet-w32_ap10k-bovidae_256x256_student.pth')
pseudo_label_file = ('work_dirs/scarcenet-stage1_hrnet-w32_ap10k-bovidae_256x256/'
                     'pseudo_labels.json')
labelled = dict(supercategories=['Bovidae'])
train_dataloader = dict(dataset=dict(
    labelled=labelled, pseudo_labels=dict(file=pseudo_label_file)))
model = dict(init_cfg=dict(checkpoint=stage1_checkpoint))
test_dataloader = dict(dataset=dict(type='SemiPoseDataset',
                                    category_names=['deer']))
