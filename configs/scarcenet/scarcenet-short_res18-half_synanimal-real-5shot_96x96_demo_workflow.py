# `make demo`: learning from scarce labels on the embedded data in minutes on
# 2 CPU cores. The short-recipe ScarceNet workflow (pretraining on the
# `synthetic` style, labelled-only on 5 `real` labels per species, TTA pseudo
# labels of the unlabelled pool, ScarceNet stage 2, labelled-only trained as
# long as stage 2 for a fair control, evaluation on target_test) with a
# half-width ResNet-18 (base_channels 32: about 1.6x the images/s) on a
# 1,000-image set at 128 px (tools/demo.py makes it), and a faster EMA
# teacher (decay 0.99 instead of 0.999: with the warm start, a stage 2 of a
# few hundred iterations would make the teacher a near-uniform average of
# every student since the start). Run it with `make demo`, or:
#   python tools/run_workflow.py \
#       configs/scarcenet/scarcenet-short_res18-half_synanimal-real-\
#       5shot_96x96_demo_workflow.py
_base_ = ['./scarcenet-short_res18_synanimal-real-5shot_96x96_demo_workflow.py']
data_root = 'data/synanimal-demo/'

plain = {'model.backbone.base_channels': 32, 'model.head.in_channels': 256,
         'model.head.deconv_out_channels': (64, 64, 64)}
recipe = {'model.pose_estimator.backbone.base_channels': 32,
          'model.pose_estimator.head.in_channels': 256,
          'model.pose_estimator.head.deconv_out_channels': (64, 64, 64)}
stages = dict(
    pretrain=dict(epochs=10, cfg_options=plain),
    labelled_only=dict(epochs=8, cfg_options=plain),
    scarcenet=dict(epochs=6, cfg_options=dict(recipe, **{
        'custom_hooks[EMATeacherHook].decay': 0.99})),
    labelled_only_longer=dict(epochs=6, cfg_options=plain),
)
