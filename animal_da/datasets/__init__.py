"""Datasets, transforms and the synthetic animal generator."""
from . import synthetic  # noqa: F401
from .keypoint_union import KeypointUnionDataset
from .samplers import DomainBalancedSampler
from .semi_pose import SemiPoseDataset
from .syrip import SyRIPDataset
from .tigdog import (SyntheticAnimalDataset, TigDogDataset,
                     TigDogSemiDataset)
from .transforms import *  # noqa: F401,F403

__all__ = ['SemiPoseDataset', 'SyRIPDataset', 'DomainBalancedSampler',
           'TigDogDataset', 'SyntheticAnimalDataset', 'TigDogSemiDataset',
           'KeypointUnionDataset']
