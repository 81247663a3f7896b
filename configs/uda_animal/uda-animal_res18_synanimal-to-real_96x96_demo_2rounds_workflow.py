# UDA-Animal-Pose with a second round of stage 2 (not in the paper, whose
# pseudo labels are made once: METHODS.md 1.5): the first round's teacher
# labels the unlabelled `real` images again (same TTA) and a second stage 2
# starts from it on those labels. Everything of the one-round workflow, then
#   python tools/run_workflow.py configs/uda_animal/uda-animal_res18_synanimal-to-real_96x96_demo_2rounds_workflow.py
# Measured on the generated data: docs/benchmarks/domain_shift_cpu-converged_uda_rounds.json.
_base_ = ['./uda-animal_res18_synanimal-to-real_96x96_demo_workflow.py']
stages = dict(
    uda_round1_teacher=dict(kind='export', model='@uda_animal',
                            which='teacher'),
    pseudo_labels_round2=dict(kind='pseudo_label',
                              model='@uda_round1_teacher', num_transforms=3),
    uda_round2=dict(
        kind='train', validate=False, epochs=2,
        init='@uda_round1_teacher.checkpoint',
        pseudo_labels='@pseudo_labels_round2.file',
        config='./uda-animal_res18_synanimal-to-real_96x96_demo.py'),
    uda_round2_export=dict(kind='export', model='@uda_round2'),
    eval_uda_round2=dict(kind='evaluate', model='@uda_round2',
                         predict_on='teacher', method='uda_round2'),
    eval_uda_round2_student=dict(kind='evaluate', model='@uda_round2',
                                 predict_on='student', method='uda_round2'),
)
