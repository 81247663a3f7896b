# The supervised baseline of the ASDA demo: the CPU model trained on 20
# labelled images per species of the generated `real` style (target_train),
# with the augmentation ASDA adds its parts to (METHODS.md 4.5: scale,
# rotation, flip, half-body).
_base_ = ['../_base_/td-hm_res18_synanimal_96x96.py']

labelled = dict(per_category=20, seed=0)
part_bank = 'data/synanimal_parts'
train_cfg = dict(max_epochs=30, val_interval=10)
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)
# the crop geometry of every ASDA demo row (SafeRandomHalfBody records
# whether a crop is half-body: ASDA pastes no part on those)
asda_geometry = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='SafeRandomHalfBody', prob=0.3, min_total_keypoints=8),
    dict(type='RandomBBoxTransform', scale_factor=(0.65, 1.35),
         rotate_factor=40.0, rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
]
asda_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices', 'part_imgs',
                            'part_masks', 'part_types'))
# one part per sample (ASDA's recommended num_aug (1,)); ASDA erodes the
# mask by 3x3 and blurs it by 3x3 at 256 px: at 96 px no erosion (a thin leg
# would vanish), the blur kept
asda_pipeline = asda_geometry + [
    dict(type='SemanticPartCanvas', bank=part_bank, num_aug=(1, ),
         scale_range=(0.7, 1.3), erode_kernel=1, blur_kernel=3,
         both_hf_sa=False, centre_quirk=True),
    dict(type='GenerateTarget', encoder=codec),
    asda_pack,
]
train_pipeline = asda_geometry + [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=5,  # 140 labelled images: 5 passes make one epoch
        dataset=dict(
            type='SemiPoseDataset',
            data_root={{_base_.data_root}},
            ann_file='annotations/target_train.json',
            data_prefix=dict(img='images/'),
            role='labelled',
            labelled=labelled,
            pipeline=train_pipeline)))
