"""Heads and domain discriminators."""
from .domain_discriminators import (ConvDomainDiscriminator,
                                    ConvMLPDomainDiscriminator,
                                    GradientReversal,
                                    MLPDomainDiscriminator, grad_reverse)
from .per_joint_head import PerJointHeatmapHead
from .refine_head import RefineHeatmapHead
from .stn_generator import (RandomPartPlacer, STNPartGenerator, composite,
                            part_transforms, warp_parts)

__all__ = ['PerJointHeatmapHead', 'RefineHeatmapHead', 'GradientReversal',
           'grad_reverse', 'ConvDomainDiscriminator',
           'MLPDomainDiscriminator', 'ConvMLPDomainDiscriminator',
           'STNPartGenerator', 'RandomPartPlacer', 'composite',
           'part_transforms', 'warp_parts']
