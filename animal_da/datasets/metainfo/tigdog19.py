# TigDog's 19 landmarks in FreeNet's order (info/tigdog_keypoints_format.json,
# METHODS.md 3.3): the 18 of tigdog.py plus the neck. Like tigdog.py, the
# sigmas only let mmpose's CocoMetric run; they are not a published protocol.
_base_ = ['tigdog.py']
dataset_info = dict(
    dataset_name='tigdog19',
    keypoint_info={
        18: dict(name='neck', id=18, color=[51, 153, 255], type='upper',
                 swap=''),
    },
    skeleton_info={
        16: dict(link=('neck', 'chin'), id=16, color=[51, 153, 255]),
        17: dict(link=('neck', 'left_shoulder'), id=17, color=[0, 255, 0]),
        18: dict(link=('neck', 'right_shoulder'), id=18,
                 color=[255, 128, 0]),
    },
    joint_weights=[1.] * 19,
    sigmas=[0.089] * 19)
