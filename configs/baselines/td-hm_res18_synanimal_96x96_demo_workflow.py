# The two references of the domain-shift benchmark as one workflow: the
# source-only model (trained on the `synthetic` style) and the oracle
# (trained on the labelled `real` style), both evaluated on target_test with
# their final weights. Run:
#   python tools/run_workflow.py configs/baselines/td-hm_res18_synanimal_96x96_demo_workflow.py
# Workflow-level keys reach every stage (tools/run_workflow.py --help).
data_root = 'data/synanimal/'
seed = 0
stages = dict(
    source_only=dict(
        kind='train', validate=False,
        config='./td-hm_res18_synanimal-source-only_96x96_demo.py'),
    oracle=dict(kind='train', validate=False,
                config='./td-hm_res18_synanimal-oracle_96x96_demo.py'),
    eval_source_only=dict(kind='evaluate', model='@source_only',
                          method='source_only'),
    eval_oracle=dict(kind='evaluate', model='@oracle', method='oracle'),
)
