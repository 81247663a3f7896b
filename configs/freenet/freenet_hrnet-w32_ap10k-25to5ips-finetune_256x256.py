# FreeNet setting (b), 25 -> 5 images per species, its second run
# (FreeNet's finetune.py, METHODS.md 3.3 b and 3.5): the same algorithm
# (ssl_utils.finetune is ours_ap10k) for 6,000 iterations, the keep ratios
# decaying over all of them (down_step 6,000), warm-up and cosine over the
# 6,000. How FreeNet chains it with the first run is undocumented (its base
# network starts from "pretrained_25_5.pth"); here both networks start from
# the first run's best student, FreeNet's evaluated and released network
# (the workflow's `freenet_student` export). The feedback ramp keeps the
# README's 4,500 -> 6,000 (finetune.py's own values are not given).
#   python tools/run_workflow.py \
#       configs/freenet/freenet_hrnet-w32_ap10k-25to5ips_256x256_workflow.py
_base_ = ['./freenet_hrnet-w32_ap10k-25to5ips_256x256.py']

finetune_iters = 6000
first_run_student = 'work_dirs/freenet_ap10k_25to5ips/freenet_student.pth'
train_cfg = dict(max_iters=finetune_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=900),
    dict(type='CosineAnnealingLR', T_max=finetune_iters - 900, eta_min=0.,
         by_epoch=False, begin=900, end=finetune_iters),
]
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='CheckpointShapeCheckHook'),
    dict(type='ScheduledValuesHook', by_epoch=False, values=dict(
        keep_ratio_face=dict(type='CosineRampDown', length=finetune_iters,
                             min=0.5),
        keep_ratio_front=dict(type='CosineRampDown', length=finetune_iters,
                              min=0.6),
        keep_ratio_back=dict(type='CosineRampDown', length=finetune_iters,
                             min=0.65),
        keep_ratio_exclusive=dict(type='CosineRampDown',
                                  length=finetune_iters, min=0.65),
        feedback_weight=dict(type='LinearRamp', begin=4499, end=5999,
                             start_value=0., end_value=2.0))),
]
# teacher (base network) and student both from the first run's student
model = dict(semi_train_cfg=dict(student_init='both'),
             init_cfg=dict(checkpoint=first_run_student))
