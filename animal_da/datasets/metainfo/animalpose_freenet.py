# AnimalPose's 20 keypoints in FreeNet's order (its COCO-style re-split,
# resources/annotation_files/animal_pose_{train,val}.json: categories'
# "keypoints"; METHODS.md 3.3), which differs from mmpose's animalpose.py.
# Names as in those files; colours, upper/lower body, skeleton, joint weights
# and sigmas are mmpose's animalpose.py entries of the same joints (a test
# checks each by name).
G, O, B = [0, 255, 0], [255, 128, 0], [51, 153, 255]
dataset_info = dict(
    dataset_name='animalpose_freenet',
    paper_info=dict(
        author='Cao, Jinkun and Tang, Hongyang and Fang, Hao-Shu and '
        'Shen, Xiaoyong and Lu, Cewu and Tai, Yu-Wing',
        title='Cross-Domain Adaptation for Animal Pose Estimation',
        container='The IEEE International Conference on '
        'Computer Vision (ICCV)',
        year='2019',
        homepage='https://sites.google.com/view/animal-pose/',
    ),
    keypoint_info={
        0: dict(name='left_eye', id=0, color=G, type='upper',
                swap='right_eye'),
        1: dict(name='right_eye', id=1, color=O, type='upper',
                swap='left_eye'),
        2: dict(name='nose', id=2, color=B, type='upper', swap=''),
        3: dict(name='left_ear', id=3, color=G, type='upper',
                swap='right_ear'),
        4: dict(name='right_ear', id=4, color=O, type='upper',
                swap='left_ear'),
        5: dict(name='left_front_elbow', id=5, color=G, type='upper',
                swap='right_front_elbow'),
        6: dict(name='right_front_elbow', id=6, color=O, type='upper',
                swap='left_front_elbow'),
        7: dict(name='left_back_elbow', id=7, color=G, type='lower',
                swap='right_back_elbow'),
        8: dict(name='right_back_elbow', id=8, color=O, type='lower',
                swap='left_back_elbow'),
        9: dict(name='left_front_knee', id=9, color=G, type='upper',
                swap='right_front_knee'),
        10: dict(name='right_front_knee', id=10, color=O, type='upper',
                 swap='left_front_knee'),
        11: dict(name='left_back_knee', id=11, color=G, type='lower',
                 swap='right_back_knee'),
        12: dict(name='right_back_knee', id=12, color=O, type='lower',
                 swap='left_back_knee'),
        13: dict(name='left_front_paw', id=13, color=G, type='upper',
                 swap='right_front_paw'),
        14: dict(name='right_front_paw', id=14, color=O, type='upper',
                 swap='left_front_paw'),
        15: dict(name='left_back_paw', id=15, color=G, type='lower',
                 swap='right_back_paw'),
        16: dict(name='right_back_paw', id=16, color=O, type='lower',
                 swap='left_back_paw'),
        17: dict(name='throat', id=17, color=B, type='upper', swap=''),
        18: dict(name='withers', id=18, color=B, type='upper', swap=''),
        19: dict(name='tailbase', id=19, color=B, type='lower', swap=''),
    },
    skeleton_info={
        0: dict(link=('left_eye', 'right_eye'), id=0, color=B),
        1: dict(link=('left_eye', 'left_ear'), id=1, color=G),
        2: dict(link=('right_eye', 'right_ear'), id=2, color=O),
        3: dict(link=('left_eye', 'nose'), id=3, color=G),
        4: dict(link=('right_eye', 'nose'), id=4, color=O),
        5: dict(link=('nose', 'throat'), id=5, color=B),
        6: dict(link=('throat', 'withers'), id=6, color=B),
        7: dict(link=('tailbase', 'withers'), id=7, color=B),
        8: dict(link=('throat', 'left_front_elbow'), id=8, color=G),
        9: dict(link=('left_front_elbow', 'left_front_knee'), id=9, color=G),
        10: dict(link=('left_front_knee', 'left_front_paw'), id=10, color=G),
        11: dict(link=('throat', 'right_front_elbow'), id=11, color=O),
        12: dict(link=('right_front_elbow', 'right_front_knee'), id=12,
                 color=O),
        13: dict(link=('right_front_knee', 'right_front_paw'), id=13,
                 color=O),
        14: dict(link=('tailbase', 'left_back_elbow'), id=14, color=G),
        15: dict(link=('left_back_elbow', 'left_back_knee'), id=15, color=G),
        16: dict(link=('left_back_knee', 'left_back_paw'), id=16, color=G),
        17: dict(link=('tailbase', 'right_back_elbow'), id=17, color=O),
        18: dict(link=('right_back_elbow', 'right_back_knee'), id=18,
                 color=O),
        19: dict(link=('right_back_knee', 'right_back_paw'), id=19, color=O),
    },
    joint_weights=[
        1., 1., 1., 1., 1., 1., 1., 1., 1., 1.2, 1.2, 1.2, 1.2, 1.5, 1.5, 1.5,
        1.5, 1., 1., 1.
    ],
    sigmas=[
        0.025, 0.025, 0.035, 0.026, 0.035, 0.107, 0.107, 0.107, 0.107, 0.087,
        0.087, 0.087, 0.087, 0.089, 0.089, 0.089, 0.089, 0.10, 0.10, 0.10
    ])
