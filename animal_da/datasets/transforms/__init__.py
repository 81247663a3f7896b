"""Transforms: view geometry and strong augmentation."""
from .photometric import GreyCutout, RandAugmentPose
from .view_geometry import VIEW_META_KEYS, RecordViewGeometry

__all__ = ['GreyCutout', 'RandAugmentPose', 'RecordViewGeometry',
           'VIEW_META_KEYS']
