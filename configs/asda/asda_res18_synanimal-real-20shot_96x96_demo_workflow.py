# ASDA on the generated `real` style with 20 labels per species, every stage
# in one resumable command:
#   python tools/run_workflow.py configs/asda/asda_res18_synanimal-real-20shot_96x96_demo_workflow.py
# Stages: the generator's part bank (animals of the `real` style, other
# seeds than the dataset's) -> the source-only model (it stands in for the
# ImageNet weights the paper starts from) -> from it, with the same labels
# and epochs: the supervised baseline, the same parts pasted at random
# places, and ASDA -> evaluation of the three pose networks on target_test.
data_root = 'data/synanimal/'
seed = 0
stages = dict(
    parts=dict(kind='part_bank', num_images=300, seed=1, img_size=256),
    pretrain=dict(
        kind='train', validate=False,
        config='../baselines/td-hm_res18_synanimal-source-only_96x96_demo.py',
        epochs=12),
    pretrained=dict(kind='export', model='@pretrain'),
    supervised=dict(kind='train', validate=False,
                    init='@pretrained.checkpoint',
                    config='./td-hm_res18_synanimal-real-20shot_96x96_demo.py',
                    epochs=20),
    random_paste=dict(
        kind='train', validate=False, init='@pretrained.checkpoint',
        part_bank='@parts.dir',
        config='./asda-random_res18_synanimal-real-20shot_96x96_demo.py',
        epochs=20),
    asda=dict(kind='train', validate=False, init='@pretrained.checkpoint',
              part_bank='@parts.dir',
              config='./asda_res18_synanimal-real-20shot_96x96_demo.py',
              epochs=20),
    eval_supervised=dict(kind='evaluate', model='@supervised',
                         method='supervised'),
    eval_random_paste=dict(kind='evaluate', model='@random_paste',
                           method='random_paste'),
    eval_asda=dict(kind='evaluate', model='@asda', method='asda'),
)
