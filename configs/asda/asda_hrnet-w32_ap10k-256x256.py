# ASDA for animals on AP-10K (HRNet-W32, 256x256): a part bank cut from
# AP-10K's own instance polygons by keypoint groups (legs, head, tail):
#   python tools/build_part_bank.py data/ap10k/annotations/ap10k-train-split1.json \
#       data/ap10k/data --out data/ap10k_parts --groups \
#       left_front_leg=L_Shoulder,L_Elbow,L_F_Paw right_front_leg=R_Shoulder,R_Elbow,R_F_Paw \
#       left_back_leg=L_Hip,L_Knee,L_B_Paw right_back_leg=R_Hip,R_Knee,R_B_Paw \
#       head=L_Eye,R_Eye,Nose,Neck "tail=Root of tail,L_Hip,R_Hip"
# then ASDA's recommended settings (one part, no part on half-body crops,
# STN Adam 1e-3) on mmpose's AP-10K HRNet schedule.
_base_ = ['mmpose::animal_2d_keypoint/topdown_heatmap/ap10k/'
          'td-hm_hrnet-w32_8xb64-210e_ap10k-256x256.py']
custom_imports = dict(imports=['animal_da'], allow_failed_imports=False)

part_bank = 'data/ap10k_parts'
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiModuleOptimWrapperConstructor',
    pose=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4)),
    generator=dict(type='OptimWrapper',
                   optimizer=dict(type='Adam', lr=1e-3)))
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
asda_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'crowd_index', 'ori_shape', 'img_shape',
                            'input_size', 'input_center', 'input_scale',
                            'flip', 'flip_direction', 'flip_indices',
                            'raw_ann_info', 'part_imgs', 'part_masks',
                            'part_types'))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='SafeRandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='SemanticPartCanvas', bank=part_bank, num_aug=(1, ),
         scale_range=(0.7, 1.3), erode_kernel=3, blur_kernel=3,
         both_hf_sa=False, centre_quirk=True),
    dict(type='GenerateTarget', encoder=codec),
    asda_pack,
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
pose_estimator = {{_base_.model}}
model = dict(
    _delete_=True,
    type='AdversarialAugPoseEstimator',
    pose_estimator=pose_estimator,
    # ASDA's STN: ImageNet ResNet-18 localisation, 25 LIP part types
    generator=dict(
        type='STNPartGenerator', num_types=6,
        backbone=dict(type='ResNet', depth=18, out_indices=(3, ),
                      init_cfg=dict(type='Pretrained',
                                    checkpoint='torchvision://resnet18')),
        in_channels=512, hidden=128),
    adv_cfg=dict(stn_first=False, nd=1, ng=1))
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
