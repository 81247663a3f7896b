# The 21-joint union of AP-10K and AnimalPose (FreeNet's
# info/ap_10k_animal_pose_union_keypoints_format.json, METHODS.md 3.3): names,
# flip pairs, upper/lower body, FreeNet's kps_weights as joint_weights and its
# 21 eval sigmas. Source joints map here by animal_da.datasets.keypoint_sets.
dataset_info = dict(
    dataset_name='animal_union21',
    paper_info=dict(
        author='Zeng, Dan and others (FreeNet)',
        title='Towards Labeling-free Fine-grained Animal Pose Estimation',
        container='ACM MM',
        year='2024',
        homepage='https://github.com/yzrs/FreeNet',
    ),
    keypoint_info={
        0:
        dict(name='L_eye', id=0, color=[0, 255, 0], type='upper',
             swap='R_eye'),
        1:
        dict(name='R_eye',
             id=1,
             color=[255, 128, 0],
             type='upper',
             swap='L_eye'),
        2:
        dict(name='nose', id=2, color=[51, 153, 255], type='upper', swap=''),
        3:
        dict(name='neck', id=3, color=[51, 153, 255], type='upper', swap=''),
        4:
        dict(name='tail', id=4, color=[51, 153, 255], type='lower', swap=''),
        5:
        dict(name='L_F_hip',
             id=5,
             color=[0, 255, 0],
             type='upper',
             swap='R_F_hip'),
        6:
        dict(name='L_F_knee',
             id=6,
             color=[0, 255, 0],
             type='upper',
             swap='R_F_knee'),
        7:
        dict(name='L_F_paw',
             id=7,
             color=[0, 255, 0],
             type='upper',
             swap='R_F_paw'),
        8:
        dict(name='R_F_hip',
             id=8,
             color=[255, 128, 0],
             type='upper',
             swap='L_F_hip'),
        9:
        dict(name='R_F_knee',
             id=9,
             color=[255, 128, 0],
             type='upper',
             swap='L_F_knee'),
        10:
        dict(name='R_F_paw',
             id=10,
             color=[255, 128, 0],
             type='upper',
             swap='L_F_paw'),
        11:
        dict(name='L_B_hip',
             id=11,
             color=[0, 255, 0],
             type='lower',
             swap='R_B_hip'),
        12:
        dict(name='L_B_knee',
             id=12,
             color=[0, 255, 0],
             type='lower',
             swap='R_B_knee'),
        13:
        dict(name='L_B_paw',
             id=13,
             color=[0, 255, 0],
             type='lower',
             swap='R_B_paw'),
        14:
        dict(name='R_B_hip',
             id=14,
             color=[255, 128, 0],
             type='lower',
             swap='L_B_hip'),
        15:
        dict(name='R_B_knee',
             id=15,
             color=[255, 128, 0],
             type='lower',
             swap='L_B_knee'),
        16:
        dict(name='R_B_paw',
             id=16,
             color=[255, 128, 0],
             type='lower',
             swap='L_B_paw'),
        17:
        dict(name='L_ear',
             id=17,
             color=[0, 255, 0],
             type='upper',
             swap='R_ear'),
        18:
        dict(name='R_ear',
             id=18,
             color=[255, 128, 0],
             type='upper',
             swap='L_ear'),
        19:
        dict(name='throat', id=19, color=[51, 153, 255], type='lower',
             swap=''),
        20:
        dict(name='wither', id=20, color=[51, 153, 255], type='lower',
             swap=''),
    },
    skeleton_info={
        0: dict(link=('L_eye', 'R_eye'), id=0, color=[51, 153, 255]),
        1: dict(link=('L_eye', 'nose'), id=1, color=[51, 153, 255]),
        2: dict(link=('R_eye', 'nose'), id=2, color=[51, 153, 255]),
        3: dict(link=('L_eye', 'L_ear'), id=3, color=[0, 255, 0]),
        4: dict(link=('R_eye', 'R_ear'), id=4, color=[255, 128, 0]),
        5: dict(link=('nose', 'throat'), id=5, color=[51, 153, 255]),
        6: dict(link=('throat', 'neck'), id=6, color=[51, 153, 255]),
        7: dict(link=('neck', 'wither'), id=7, color=[51, 153, 255]),
        8: dict(link=('wither', 'tail'), id=8, color=[51, 153, 255]),
        9: dict(link=('neck', 'L_F_hip'), id=9, color=[51, 153, 255]),
        10: dict(link=('neck', 'R_F_hip'), id=10, color=[51, 153, 255]),
        11: dict(link=('L_F_hip', 'L_F_knee'), id=11, color=[0, 255, 0]),
        12: dict(link=('L_F_knee', 'L_F_paw'), id=12, color=[0, 255, 0]),
        13: dict(link=('R_F_hip', 'R_F_knee'), id=13, color=[255, 128, 0]),
        14: dict(link=('R_F_knee', 'R_F_paw'), id=14, color=[255, 128, 0]),
        15: dict(link=('tail', 'L_B_hip'), id=15, color=[51, 153, 255]),
        16: dict(link=('L_B_hip', 'L_B_knee'), id=16, color=[0, 255, 0]),
        17: dict(link=('L_B_knee', 'L_B_paw'), id=17, color=[0, 255, 0]),
        18: dict(link=('tail', 'R_B_hip'), id=18, color=[51, 153, 255]),
        19: dict(link=('R_B_hip', 'R_B_knee'), id=19, color=[255, 128, 0]),
        20: dict(link=('R_B_knee', 'R_B_paw'), id=20, color=[255, 128, 0]),
    },
    joint_weights=[
        1.0, 1.0, 1.0, 1.0, 1.2, 1.2, 1.2, 1.5, 1.2, 1.2, 1.5, 1.5, 1.2, 1.5,
        1.5, 1.2, 1.5, 1.0, 1.0, 1.0, 1.0
    ],
    sigmas=[
        0.025, 0.025, 0.026, 0.035, 0.035, 0.079, 0.072, 0.062, 0.079, 0.072,
        0.062, 0.107, 0.087, 0.089, 0.107, 0.087, 0.089, 0.035, 0.035, 0.1, 0.1
    ])
