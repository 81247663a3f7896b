# The CPU-sized model on the generated keypoint-set sources (tools/
# generate_synthetic_data.py --layout keypoint_sets): an AP-10K-style file
# (17 joints), an AnimalPose-style file (20, mmpose's order) and a TigDog-style
# file (19), merged into the 24-joint union (KeypointUnionDataset: each source
# converted by joint name; joints it lacks are "not annotated", no loss).
# Evaluated on union_val / union_test, annotated on all 24 joints: AP and PCK
# on all, shared, exclusive and per-source joints (JointSubsetMetric).
_base_ = ['./td-hm_res18_synanimal_96x96.py']

union = 'animal_union24'
data_root = 'data/synanimal_union/'
# FreeNet's labelled subset: a random 10 % of the annotations (sample_few,
# seed 2; per source dataset here)
labelled = dict(ratio=0.1, seed=2)
codec = dict(
    type='MSRAHeatmap', input_size=(96, 96), heatmap_size=(24, 24), sigma=1)
model = dict(head=dict(out_channels=24))

# FreeNet's training geometry (METHODS.md 3.3): half-body p 0.3, scale
# 0.65-1.35, rotation up to 45 degrees, flip; tight crops (FreeNet pads the
# box to a square but adds no 1.25 margin: train_padding = 1.0, a parity
# switch; evaluation keeps mmpose's 1.25). mmpose samples scale and rotation
# from truncated normals, FreeNet uniformly.
train_padding = 1.0
train_geometry = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=train_padding),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody', prob=0.3, min_total_keypoints=3,
         min_upper_keypoints=3, min_lower_keypoints=3),
    dict(type='RandomBBoxTransform', shift_prob=0., scale_factor=(0.65, 1.35),
         rotate_factor=45.0, rotate_prob=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    # the keypoint states ride through the geometry; split off here
    dict(type='PopKeypointStates'),
    dict(type='GenerateTarget', encoder=codec),
]
train_pipeline = train_geometry + [dict(type='PackPoseInputs')]
# FreeNet's two pixel-aligned views (METHODS.md 3.3), here beside the
# geometry they share (mmengine configs cannot extend a base's list): ori as
# it is, aug after RandWeakAugment (n 2, m 10; blur radius 3 at 256 px)
view_pack = dict(type='PackPoseInputs',
                 meta_keys=('id', 'img_id', 'img_path', 'category_id',
                            'ori_shape', 'img_shape', 'input_size',
                            'input_center', 'input_scale', 'flip',
                            'flip_direction', 'flip_indices', 'is_labelled',
                            'dataset_name'))
freenet_pipeline = train_geometry + [
    dict(type='SharedMultiBranch', branch_field=['ori', 'aug'],
         ori=[view_pack],
         aug=[dict(type='RandWeakAugment', n=2, m=10, solarize_inverts=True,
                   posterize_noop=True, blur_radius=3 * 96 / 256),
              view_pack]),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='SetKeypointStates'),
    dict(type='PopKeypointStates'),
    dict(type='PackPoseInputs')
]
source = dict(type='SemiPoseDataset', data_root=data_root,
              data_prefix=dict(img='images/'), role='labelled',
              labelled=labelled)
sources = [
    dict(source, keypoint_set='ap10k',
         ann_file='annotations/ap10k_train.json'),
    dict(source, keypoint_set='animalpose',
         ann_file='annotations/animalpose_train.json'),
    dict(source, keypoint_set='tigdog',
         ann_file='annotations/tigdog_train.json'),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(_delete_=True, type='KeypointUnionDataset', union=union,
                 datasets=sources, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='SemiPoseDataset', keypoint_set=union,
                 data_root=data_root, data_prefix=dict(img='images/'),
                 ann_file='annotations/union_val.json',
                 pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='SemiPoseDataset', keypoint_set=union,
                 data_root=data_root, data_prefix=dict(img='images/'),
                 ann_file='annotations/union_test.json',
                 pipeline=val_pipeline))
val_evaluator = [
    dict(type='JointSubsetMetric', subsets=union,
         metrics=[dict(type='CocoMetric', ann_file=None),
                  dict(type='PCKAccuracy', thr=0.05),
                  dict(type='CropPCKAccuracy', thr=0.05)])
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='all/coco/AP'))
