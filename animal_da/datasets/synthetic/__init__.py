"""The procedural two-domain animal generator (the embedded default data)."""
from .render import KEYPOINT_NAMES, render_sample, sample_skeleton
from .species import SPECIES, BodyPlan, get_species
from .styles import STYLES, Style, get_style, register_style
from .writer import (KEYPOINT_SET_SPLITS, LAYOUTS, OCCLUSION_SPLITS, SPLITS,
                     coco_categories,
                     ensure_dataset, generate_dataset, read_meta)

__all__ = [
    'KEYPOINT_NAMES', 'render_sample', 'sample_skeleton', 'SPECIES',
    'BodyPlan', 'get_species', 'STYLES', 'Style', 'get_style',
    'register_style', 'SPLITS', 'coco_categories', 'ensure_dataset',
    'generate_dataset', 'read_meta', 'KEYPOINT_SET_SPLITS', 'LAYOUTS',
    'OCCLUSION_SPLITS'
]
