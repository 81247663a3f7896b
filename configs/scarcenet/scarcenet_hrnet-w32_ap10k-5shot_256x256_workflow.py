# ScarceNet on AP-10K split 1 (5 labelled images per species) at paper
# settings (HRNet-W32, 256x256):
# stage 1 on the labelled images, TTA pseudo labels (5 views) of the rest,
# stage 2, and evaluation of stage 1 and of stage 2's teacher (best weights on
# val, as the paper reports) and student. Needs data/ap10k/ with ScarceNet's
# label_list files.
#   python tools/run_workflow.py configs/scarcenet/scarcenet_hrnet-w32_ap10k-5shot_256x256_workflow.py
seed = 0
stages = dict(
    stage1_train=dict(
        kind='train',
        config='./scarcenet-stage1_hrnet-w32_ap10k-5shot_256x256.py'),
    stage1=dict(kind='export', model='@stage1_train'),
    pseudo_labels=dict(kind='pseudo_label', model='@stage1',
                       num_transforms=5),
    scarcenet=dict(kind='train', init='@stage1.checkpoint',
                   pseudo_labels='@pseudo_labels.file',
                   config='./scarcenet_hrnet-w32_ap10k-5shot_256x256.py'),
    # the evaluated network (the teacher) as a plain mmpose model
    scarcenet_export=dict(kind='export', model='@scarcenet',
                          checkpoint='best'),
    eval_stage1=dict(kind='evaluate', model='@stage1_train',
                     checkpoint='best', method='labelled_only'),
    eval_scarcenet=dict(kind='evaluate', model='@scarcenet',
                        checkpoint='best', predict_on='teacher',
                        method='scarcenet'),
    eval_scarcenet_student=dict(kind='evaluate', model='@scarcenet',
                                checkpoint='best', predict_on='student',
                                method='scarcenet'),
)
