# FreeNet setting (a), level 0: AP-10K split into non-standard halves, 5 shared joints (METHODS.md 3), every
# stage in one resumable command (needs the datasets under data/ and FreeNet's
# info/ and annotation files, see the stage configs):
#   python tools/run_workflow.py configs/freenet/freenet_hrnet-w32_ap10k-split-level0_256x256_workflow.py
# Stages: the supervised base network (FreeNet ships no script for it;
# mmpose's HRNet schedule) -> its export -> FreeNet (45,000 iterations) ->
# evaluation of the base network and of FreeNet's student (the evaluated
# model) and teacher. As FreeNet, its best student on the val split is the
# reported one, on that same split (METHODS.md 6.3: evaluation split =
# selection split).
selection_metric = 'coco/AP'
stages = dict(
    base_train=dict(kind='train',
                    config='./td-hm_hrnet-w32_ap10k-split-level0_256x256.py'),
    base=dict(kind='export', model='@base_train', checkpoint='best'),
    freenet=dict(kind='train', init='@base.checkpoint',
                 config='./freenet_hrnet-w32_ap10k-split-level0_256x256.py'),
    eval_base=dict(kind='evaluate', model='@base_train', checkpoint='best',
                   method='naive_merge'),
    eval_freenet=dict(kind='evaluate', model='@freenet', checkpoint='best',
                      predict_on='student', method='freenet'),
    eval_freenet_teacher=dict(kind='evaluate', model='@freenet',
                              checkpoint='best', predict_on='teacher',
                              method='freenet_teacher'),
)
