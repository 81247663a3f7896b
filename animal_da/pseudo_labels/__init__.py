"""The pseudo-label layer (below datasets and models): view geometry, the
TTA labeller, filters and the on-disk store."""
from .filters import (AgreementFilter, ConfidenceBandFilter,
                      GlobalPercentileFilter, GroupQuantileFilter,
                      SmallLossFilter, build_filter)
from .geometry import (decode_argmax, image_to_view, invert_affine,
                       refine_quarter, render_gaussian, swap_channels,
                       view_to_image, view_to_view_affine, warp_heatmaps)
from .store import load_pseudo_labels
from .temporal import temporal_check
from .tta import TTAPseudoLabeler, generate_pseudo_labels

__all__ = [
    'AgreementFilter', 'GlobalPercentileFilter', 'SmallLossFilter',
    'GroupQuantileFilter', 'ConfidenceBandFilter',
    'build_filter', 'decode_argmax', 'image_to_view', 'invert_affine',
    'refine_quarter', 'render_gaussian', 'swap_channels', 'view_to_image',
    'view_to_view_affine', 'warp_heatmaps', 'load_pseudo_labels',
    'temporal_check', 'TTAPseudoLabeler', 'generate_pseudo_labels'
]
