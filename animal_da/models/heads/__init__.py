"""Heads and domain discriminators."""
from .domain_discriminators import (ConvDomainDiscriminator,
                                    ConvMLPDomainDiscriminator,
                                    GradientReversal,
                                    MLPDomainDiscriminator, grad_reverse)
from .per_joint_head import PerJointHeatmapHead

__all__ = ['PerJointHeatmapHead', 'GradientReversal', 'grad_reverse',
           'ConvDomainDiscriminator',
           'MLPDomainDiscriminator', 'ConvMLPDomainDiscriminator']
