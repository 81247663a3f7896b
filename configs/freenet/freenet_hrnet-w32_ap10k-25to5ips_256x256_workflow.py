# FreeNet setting (b), 25 -> 5 images per species (METHODS.md 3):
#   python tools/run_workflow.py \
#       configs/freenet/freenet_hrnet-w32_ap10k-25to5ips_256x256_workflow.py
# The stages of the level-0 workflow, with this setting's configs, then
# FreeNet's second run (finetune.py: 6,000 iterations of the same algorithm)
# from the first run's best student, evaluated as student and teacher.
_base_ = ['./freenet_hrnet-w32_ap10k-split-level0_256x256_workflow.py']
selection_metric = 'coco/AP'
stages = dict(
    base_train=dict(config='./td-hm_hrnet-w32_ap10k-25to5ips_256x256.py'),
    freenet=dict(config='./freenet_hrnet-w32_ap10k-25to5ips_256x256.py'),
    freenet_student=dict(kind='export', model='@freenet', which='student',
                         checkpoint='best'),
    finetune=dict(
        kind='train', init='@freenet_student.checkpoint',
        config='./freenet_hrnet-w32_ap10k-25to5ips-finetune_256x256.py'),
    eval_finetune=dict(kind='evaluate', model='@finetune', checkpoint='best',
                       predict_on='student', method='freenet_finetune'),
    eval_finetune_teacher=dict(kind='evaluate', model='@finetune',
                               checkpoint='best', predict_on='teacher',
                               method='freenet_finetune_teacher'),
)
