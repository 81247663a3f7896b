"""Metrics beside mmpose's."""
from .crop_pck import AP10K_PARTS, TIGDOG_PARTS, CropPCKAccuracy
from .joint_subsets import JointSubsetMetric

__all__ = ['CropPCKAccuracy', 'TIGDOG_PARTS', 'AP10K_PARTS',
           'JointSubsetMetric']
