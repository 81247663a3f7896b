"""Transforms: view geometry and strong augmentation."""
from .domain import SetDomainLabel
from .occlusion import PasteOccluders
from .photometric import BrightnessContrast, GreyCutout, NoiseBlurContrast, RandAugmentPose
from .view_geometry import (VIEW_META_KEYS, RecordViewGeometry,
                            SafeRandomHalfBody)

__all__ = ['BrightnessContrast', 'GreyCutout', 'NoiseBlurContrast', 'RandAugmentPose',
           'RecordViewGeometry', 'SafeRandomHalfBody', 'VIEW_META_KEYS', 'SetDomainLabel',
           'PasteOccluders']
