# The 24-joint union of AP-10K, AnimalPose and TigDog (FreeNet's
# info/union_definition.json, METHODS.md 3.3): the 21-joint union plus chin and
# TigDog's shoulder points; FreeNet's kps_weights as joint_weights, its 24
# eval sigmas. Source joints map here by animal_da.datasets.keypoint_sets.
_base_ = ['animal_union21.py']
dataset_info = dict(
    dataset_name='animal_union24',
    keypoint_info={
        21: dict(name='chin', id=21, color=[51, 153, 255], type='upper',
                 swap=''),
        22: dict(name='L_shoulder', id=22, color=[0, 255, 0], type='upper',
                 swap='R_shoulder'),
        23: dict(name='R_shoulder', id=23, color=[255, 128, 0],
                 type='upper', swap='L_shoulder'),
    },
    skeleton_info={
        21: dict(link=('nose', 'chin'), id=21, color=[51, 153, 255]),
        22: dict(link=('chin', 'throat'), id=22, color=[51, 153, 255]),
        23: dict(link=('L_shoulder', 'L_F_hip'), id=23, color=[0, 255, 0]),
        24: dict(link=('R_shoulder', 'R_F_hip'), id=24, color=[255, 128, 0]),
    },
    # FreeNet's 24-joint kps_weights: 1 on eyes, nose, neck, tail and the
    # extra joints; 1 / 1.2 / 1.5 on hip / knee / paw of every leg
    joint_weights=[
        1., 1., 1., 1., 1., 1., 1.2, 1.5, 1., 1.2, 1.5, 1., 1.2, 1.5, 1., 1.2,
        1.5, 1., 1., 1., 1., 1., 1., 1.
    ],
    sigmas=[
        0.025, 0.025, 0.026, 0.035, 0.035, 0.079, 0.072, 0.062, 0.079, 0.072,
        0.062, 0.107, 0.087, 0.089, 0.107, 0.087, 0.089, 0.035, 0.035, 0.1,
        0.1, 0.026, 0.035, 0.035
    ])
