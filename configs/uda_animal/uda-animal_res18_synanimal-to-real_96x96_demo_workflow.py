# UDA-Animal-Pose from the `synthetic` to the unlabelled `real` style, every
# stage in one resumable command:
#   python tools/run_workflow.py configs/uda_animal/uda-animal_res18_synanimal-to-real_96x96_demo_workflow.py
# Stages: stage 1 (the refinement-head network on the source) -> export ->
# TTA pseudo labels of the unlabelled target -> stage 2 -> evaluation on
# target_test of stage 1 and of stage 2's teacher and student (final weights;
# no model selection on target labels).
data_root = 'data/synanimal/'
seed = 0
stages = dict(
    stage1_train=dict(
        kind='train', validate=False, epochs=12,
        config='./td-hm_res18-refine_synanimal-source_96x96_demo.py'),
    stage1=dict(kind='export', model='@stage1_train'),
    pseudo_labels=dict(kind='pseudo_label', model='@stage1',
                       num_transforms=3),
    uda_animal=dict(
        kind='train', validate=False, epochs=2, init='@stage1.checkpoint',
        pseudo_labels='@pseudo_labels.file',
        config='./uda-animal_res18_synanimal-to-real_96x96_demo.py'),
    uda_animal_export=dict(kind='export', model='@uda_animal'),
    eval_stage1=dict(kind='evaluate', model='@stage1_train',
                     method='uda_stage1'),
    eval_uda_animal=dict(kind='evaluate', model='@uda_animal',
                         predict_on='teacher', method='uda_animal'),
    eval_uda_animal_student=dict(kind='evaluate', model='@uda_animal',
                                 predict_on='student', method='uda_animal'),
)
