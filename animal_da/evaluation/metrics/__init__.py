"""Metrics beside mmpose's."""
from .crop_pck import CropPCKAccuracy

__all__ = ['CropPCKAccuracy']
