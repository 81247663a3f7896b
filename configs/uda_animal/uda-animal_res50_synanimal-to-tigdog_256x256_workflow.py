# UDA-Animal-Pose, paper setting: the synthetic animals of Mu et al. to
# TigDog (ResNet-50, 256x256). Stage 1 on the synthetic animals, TTA pseudo
# labels of the TigDog training frames (5 views, with the optical-flow
# temporal check by video), stage 2, and the TigDog-paper PCK of stage 1 and
# of stage 2's teacher and student (best weights on TigDog val, as the paper).
# Reads data/synthetic_animal/ and data/tigdog/ (tools/dataset_converters).
#   python tools/run_workflow.py configs/uda_animal/uda-animal_res50_synanimal-to-tigdog_256x256_workflow.py
seed = 0
stages = dict(
    stage1_train=dict(
        kind='train',
        config='./td-hm_res50-refine_synanimal-tigdog_256x256.py'),
    stage1=dict(kind='export', model='@stage1_train'),
    pseudo_labels=dict(kind='pseudo_label', model='@stage1',
                       num_transforms=5, temporal=dict(by_video=True)),
    uda_animal=dict(
        kind='train', init='@stage1.checkpoint',
        pseudo_labels='@pseudo_labels.file',
        config='./uda-animal_res50_synanimal-to-tigdog_256x256.py'),
    uda_animal_export=dict(kind='export', model='@uda_animal',
                           checkpoint='best'),
    eval_stage1=dict(kind='evaluate', model='@stage1_train',
                     checkpoint='best', method='uda_stage1'),
    eval_uda_animal=dict(kind='evaluate', model='@uda_animal',
                         checkpoint='best', predict_on='teacher',
                         method='uda_animal'),
    eval_uda_animal_student=dict(kind='evaluate', model='@uda_animal',
                                 checkpoint='best', predict_on='student',
                                 method='uda_animal'),
)
