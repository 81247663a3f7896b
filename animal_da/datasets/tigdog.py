"""TigDog and the synthetic animals of Mu et al. (UDA-Animal-Pose), read
from COCO files written by tools/dataset_converters/tigdog_to_coco.py."""
import os.path as osp

from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from .semi_pose import SemiPoseDataset

#: 18-keypoint metainfo, shipped inside the package
TIGDOG_METAINFO = osp.join(osp.dirname(osp.abspath(__file__)), 'metainfo',
                           'tigdog.py')


@DATASETS.register_module()
class TigDogDataset(BaseCocoStyleDataset):
    """Real horses and tigers of TigDog with the 18 keypoints of
    ``configs/_base_/datasets/tigdog.py`` (image entries keep their
    ``video_id``, the shot, for the video-level split and temporal checks).
    """
    METAINFO: dict = dict(from_file=TIGDOG_METAINFO)


@DATASETS.register_module()
class SyntheticAnimalDataset(BaseCocoStyleDataset):
    """The CAD-rendered horses and tigers of Mu et al. (CVPR 2020), all
    keypoints visible, with TigDog's 18 keypoints."""
    METAINFO: dict = dict(from_file=TIGDOG_METAINFO)


@DATASETS.register_module()
class TigDogSemiDataset(SemiPoseDataset):
    """TigDog as an unlabelled (pseudo-labelled) pool for stage 2."""
    METAINFO: dict = dict(from_file=TIGDOG_METAINFO)
