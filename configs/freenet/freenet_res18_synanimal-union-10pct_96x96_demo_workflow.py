# FreeNet on the generated keypoint-set sources, every stage in one
# resumable command (METHODS.md 3.1):
#   python tools/generate_synthetic_data.py --layout keypoint_sets \
#       --out data/synanimal_union --num-images 600
#   python tools/run_workflow.py configs/freenet/freenet_res18_synanimal-union-10pct_96x96_demo_workflow.py
# Stages: the naive merge of the labelled 10 % (FreeNet's supervised base
# network) -> FreeNet (base network = teacher, adaptation network = student,
# both from the naive merge) -> evaluation on union_test of the naive merge,
# of the naive merge trained on for as many iterations as FreeNet's stage
# (the control: a gain is then credited to the unlabelled data and the
# recipe, not to a longer schedule) and of FreeNet's student (the evaluated
# model) and teacher. All joints, shared joints, exclusive joints and each
# source's joints are in every evaluation.
data_root = 'data/synanimal_union/'
seed = 0
# the half-width CPU model (the performance issue's converging regime):
# about 20 minutes on 2 cores
width = 0.5
selection_metric = 'all/coco/AP'
stages = dict(
    naive_merge=dict(
        kind='train', validate=False,
        config='./td-hm_res18_synanimal-union-naive-10pct_96x96_demo.py',
        epochs=300),
    base=dict(kind='export', model='@naive_merge'),
    freenet=dict(
        kind='train', validate=False, init='@base.checkpoint',
        config='./freenet_res18_synanimal-union-10pct_96x96_demo.py',
        epochs=6),
    # FreeNet's epoch is 8 x ceil(unlabelled / 7) instances in batches of
    # 32 (58 iterations with 600 images per source); the naive merge's is
    # its 180 labelled instances (6 iterations): 6 FreeNet epochs are 58
    # naive-merge epochs
    naive_merge_longer=dict(
        kind='train', validate=False, init='@base.checkpoint',
        config='./td-hm_res18_synanimal-union-naive-10pct_96x96_demo.py',
        epochs=58),
    eval_naive_merge=dict(kind='evaluate', model='@naive_merge',
                          method='naive_merge'),
    eval_naive_merge_longer=dict(kind='evaluate',
                                 model='@naive_merge_longer',
                                 method='naive_merge_longer'),
    # the student is FreeNet's evaluated model (rows freenet_student and
    # freenet_teacher)
    eval_freenet=dict(kind='evaluate', model='@freenet',
                      predict_on='student', method='freenet'),
    eval_freenet_teacher=dict(kind='evaluate', model='@freenet',
                              predict_on='teacher', method='freenet_teacher'),
)
