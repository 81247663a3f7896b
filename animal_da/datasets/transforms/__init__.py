"""Transforms: view geometry and strong augmentation."""
from .domain import SetDomainLabel
from .photometric import GreyCutout, NoiseBlurContrast, RandAugmentPose
from .view_geometry import (VIEW_META_KEYS, RecordViewGeometry,
                            SafeRandomHalfBody)

__all__ = ['GreyCutout', 'NoiseBlurContrast', 'RandAugmentPose',
           'RecordViewGeometry', 'SafeRandomHalfBody', 'VIEW_META_KEYS', 'SetDomainLabel']
