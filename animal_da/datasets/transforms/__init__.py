"""Transforms: view geometry and strong augmentation."""
from .photometric import GreyCutout, NoiseBlurContrast, RandAugmentPose
from .view_geometry import (VIEW_META_KEYS, RecordViewGeometry,
                            SafeRandomHalfBody)

__all__ = ['GreyCutout', 'NoiseBlurContrast', 'RandAugmentPose',
           'RecordViewGeometry', 'SafeRandomHalfBody', 'VIEW_META_KEYS']
