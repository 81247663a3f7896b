"""Pseudo labels: view geometry, filters and the on-disk store."""
from .filters import (AgreementFilter, GlobalPercentileFilter,
                      SmallLossFilter, build_filter)
from .geometry import (decode_argmax, image_to_view, invert_affine,
                       render_gaussian, swap_channels, view_to_image,
                       warp_heatmaps)
from .store import load_pseudo_labels
from .temporal import temporal_check

__all__ = [
    'AgreementFilter', 'GlobalPercentileFilter', 'SmallLossFilter',
    'build_filter', 'decode_argmax', 'image_to_view', 'invert_affine',
    'render_gaussian', 'swap_channels', 'view_to_image', 'warp_heatmaps',
    'load_pseudo_labels', 'temporal_check'
]
