# The control of the ASDA demo: the same parts, pasted with a random
# rotation and translation from the generator's range (no generator, no
# min-max), so a gain of ASDA over it is credited to the adversarial
# placement.
_base_ = ['./asda_res18_synanimal-real-20shot_96x96_demo.py']

optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
model = dict(
    generator=dict(_delete_=True, type='RandomPartPlacer', num_types=8),
    adv_cfg=dict(ng=0))
