"""Transforms: view geometry and strong augmentation."""
from .domain import SetDomainLabel
from .keypoint_states import (PopKeypointStates, SetKeypointStates,
                              UnionKeypointConverter)
from .occlusion import PasteOccluders
from .part_paste import SemanticPartCanvas
from .photometric import (BrightnessContrast, GreyCutout, NoiseBlurContrast,
                          RandAugmentPose, RandWeakAugment)
from .view_geometry import (VIEW_META_KEYS, RandomCropShear,
                            RecordViewGeometry, SafeRandomHalfBody)
from .views import SharedMultiBranch

__all__ = [
    'BrightnessContrast', 'GreyCutout', 'NoiseBlurContrast', 'RandAugmentPose',
    'RandWeakAugment',
    'RandomCropShear', 'RecordViewGeometry', 'SafeRandomHalfBody',
    'VIEW_META_KEYS', 'SetDomainLabel', 'PasteOccluders', 'SetKeypointStates',
    'UnionKeypointConverter', 'PopKeypointStates', 'SemanticPartCanvas',
    'SharedMultiBranch'
]
