# FiDIP on the generated animals: the source-only model (synthetic style)
# fine-tuned on all `synthetic` images plus 5 labelled `real` images per
# species, with the domain discriminator (its pre-training runs before the
# main loop). Evaluated on target_test with final weights, beside the
# source-only model it starts from.
#   python tools/run_workflow.py configs/fidip/fidip_res18_synanimal-syn+real-5shot_96x96_demo_workflow.py
data_root = 'data/synanimal/'
seed = 0
stages = dict(
    source_only=dict(
        kind='train', validate=False, epochs=12,
        config='../baselines/td-hm_res18_synanimal-source-only_96x96_demo.py'),
    pretrained=dict(kind='export', model='@source_only'),
    fidip=dict(kind='train', validate=False, epochs=2,
               init='@pretrained.checkpoint',
               config='./fidip_res18_synanimal-syn+real-5shot_96x96_demo.py',
               cfg_options={
                   'custom_hooks[DiscriminatorPretrainHook].epochs': 1}),
    eval_source_only=dict(kind='evaluate', model='@source_only',
                          method='source_only'),
    fidip_export=dict(kind='export', model='@fidip'),
    eval_fidip=dict(kind='evaluate', model='@fidip', method='fidip'),
)
