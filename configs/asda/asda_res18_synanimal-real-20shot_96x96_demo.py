# ASDA (METHODS.md 4) on the generated `real` style with 20 labels per
# species, sized for 2 CPU cores: one part of the generator's animal part
# bank (legs, heads, necks, tails, bodies; tools/build_part_bank.py) per
# sample, moved by an STN generator (ResNet-18 localisation, identity at
# start) to raise the pose loss; the pose network learns on the result.
# Run it through the workflow (it builds the part bank):
#   python tools/run_workflow.py configs/asda/asda_res18_synanimal-real-20shot_96x96_demo_workflow.py
_base_ = ['./td-hm_res18_synanimal-real-20shot_96x96_demo.py']

# paper: Adam, pose lr 1e-3 (MPII) / 3e-3 (COCO), generator lr 1e-3
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam',
                                                       lr=1e-3)))
# one DDP wrapper per network (two optimisers, custom train_step)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline={{_base_.asda_pipeline}})))

pose_estimator = {{_base_.model}}
model = dict(
    _delete_=True,
    type='AdversarialAugPoseEstimator',
    pose_estimator=pose_estimator,
    # 8 part types in the generator's bank (25 in ASDA's LIP bank)
    generator=dict(type='STNPartGenerator', num_types=8,
                   backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
                   in_channels=512, hidden=128),
    adv_cfg=dict(stn_first=False, nd=1, ng=1))
