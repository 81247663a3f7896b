"""Heads and domain discriminators."""
from .domain_discriminators import (ConvDomainDiscriminator,
                                    ConvMLPDomainDiscriminator,
                                    GradientReversal,
                                    MLPDomainDiscriminator, grad_reverse)
from .per_joint_head import PerJointHeatmapHead
from .refine_head import RefineHeatmapHead

__all__ = ['PerJointHeatmapHead', 'RefineHeatmapHead', 'GradientReversal', 'grad_reverse',
           'ConvDomainDiscriminator',
           'MLPDomainDiscriminator', 'ConvMLPDomainDiscriminator']
