"""Losses."""
from .joints_mse import JointsMSELoss

__all__ = ['JointsMSELoss']
