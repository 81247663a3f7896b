# ScarceNet on the generated `real` style with 5 labels per species, every
# stage in one resumable command (the paper's stage-2 recipe):
#   python tools/run_workflow.py configs/scarcenet/scarcenet_res18_synanimal-real-5shot_96x96_demo_workflow.py
# Stages: the source-only model (synthetic style, no target labels; it stands
# in for the ImageNet weights the paper starts from) -> labelled-only
# (= ScarceNet stage 1) -> TTA pseudo labels of the unlabelled pool ->
# ScarceNet stage 2 -> evaluation on target_test of labelled-only, of
# labelled-only trained on for stage 2's epochs (so a gain is credited to the
# unlabelled pool) and of ScarceNet's teacher and student (final weights).
data_root = 'data/synanimal/'
seed = 0
stages = dict(
    pretrain=dict(
        kind='train', validate=False,
        config='../baselines/td-hm_res18_synanimal-source-only_96x96_demo.py',
        epochs=12),
    pretrained=dict(kind='export', model='@pretrain'),
    labelled_only=dict(
        kind='train', validate=False, init='@pretrained.checkpoint',
        config='./td-hm_res18_synanimal-real-5shot_96x96_demo.py',
        epochs=10),
    stage1=dict(kind='export', model='@labelled_only'),
    pseudo_labels=dict(kind='pseudo_label', model='@stage1',
                       num_transforms=3),
    scarcenet=dict(
        kind='train', validate=False, init='@stage1.checkpoint',
        pseudo_labels='@pseudo_labels.file',
        config='./scarcenet_res18_synanimal-real-5shot_96x96_demo.py',
        epochs=6,
        cfg_options={
            # the ramps are 1/3 of the stage
            'custom_hooks[ScheduledValuesHook].values.consistency_weight'
            '.length': 1,
            'custom_hooks[ScheduledValuesHook].values.small_loss_rate'
            '.length': 2,
        }),
    # the evaluated network (the teacher) as a plain mmpose model
    scarcenet_export=dict(kind='export', model='@scarcenet'),
    labelled_only_longer=dict(
        kind='train', validate=False, init='@stage1.checkpoint',
        config='./td-hm_res18_synanimal-real-5shot_96x96_demo.py',
        epochs=6),
    eval_labelled_only=dict(kind='evaluate', model='@labelled_only',
                            method='labelled_only'),
    eval_labelled_only_longer=dict(kind='evaluate',
                                   model='@labelled_only_longer',
                                   method='labelled_only_longer'),
    eval_scarcenet=dict(kind='evaluate', model='@scarcenet',
                        predict_on='teacher', method='scarcenet'),
    eval_scarcenet_student=dict(kind='evaluate', model='@scarcenet',
                                predict_on='student', method='scarcenet'),
)
