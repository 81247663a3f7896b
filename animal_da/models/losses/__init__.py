"""Losses."""
from .domain_bce import DomainBCELoss
from .joints_mse import JointsMSELoss

__all__ = ['DomainBCELoss', 'JointsMSELoss']
