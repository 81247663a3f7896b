"""Visual styles (domains) of the generator, each a set of parameters.

``synthetic`` looks like a rendered dataset: flat shading, plain or gradient
backgrounds, a canonical pose distribution. ``real`` looks like field footage:
coat patterns, clutter, lighting gradients, blur, sensor noise, JPEG
artefacts, occluders and a shifted pose distribution. Add a style with
:func:`register_style`.
"""
from dataclasses import dataclass, replace
from typing import Dict, Tuple

Range = Tuple[float, float]


@dataclass(frozen=True)
class Style:
    """Rendering and pose parameters of one domain.

    Args:
        name (str): Style name.
        natural_colors (bool): Coat from the species' natural palette (else
            its flat synthetic colour).
        color_jitter (float): Per-image random change of the coat colour.
        pattern_strength (float): Contrast of coat patterns (0 = none).
        far_side_shade (float): Brightness of far-side limbs.
        background (str): ``flat``, ``gradient`` or ``clutter``.
        clutter_shapes (Tuple[int, int]): Number of clutter shapes.
        clutter_contrast (float): Colour spread of clutter against the
            background.
        light_gradient (float): Strength of a random lighting gradient.
        blur_sigma (Range): Gaussian blur sigma (pixels at 256 px).
        noise_sigma (Range): Sensor noise std (0-255 scale).
        jpeg_quality (Tuple[int, int]): JPEG quality range.
        occluder_prob (float): Probability of occluders over the animal.
        max_occluders (int): Most occluders per image.
        yaw (Range): Heading off the side view, mirrored for left/right.
        pitch (Range): Whole-body tilt in the image plane.
        limb_scale (float): Scale of leg-angle ranges (> 1: wider gaits).
        head_down_prob (float): Probability of a lowered (grazing) head.
        size (Range): Animal's longer bbox side over the image side.
        partial_prob (float): Probability of a partly out-of-frame animal.
    """
    name: str
    natural_colors: bool = False
    color_jitter: float = 0.1
    pattern_strength: float = 0.0
    far_side_shade: float = 0.7
    background: str = 'gradient'
    clutter_shapes: Tuple[int, int] = (0, 0)
    clutter_contrast: float = 0.0
    light_gradient: float = 0.0
    blur_sigma: Range = (0.0, 0.0)
    noise_sigma: Range = (0.0, 0.0)
    jpeg_quality: Tuple[int, int] = (95, 95)
    occluder_prob: float = 0.0
    max_occluders: int = 0
    yaw: Range = (-25., 25.)
    pitch: Range = (-8., 8.)
    limb_scale: float = 1.0
    head_down_prob: float = 0.0
    size: Range = (0.55, 0.85)
    partial_prob: float = 0.0


STYLES: Dict[str, Style] = {}


def register_style(style: Style, force: bool = False) -> Style:
    """Add a style under its name.

    Args:
        style (Style): The style.
        force (bool): Replace an existing style of the same name.

    Returns:
        Style: The style.
    """
    if style.name in STYLES and not force:
        raise KeyError(f'style {style.name!r} exists; pass force=True')
    STYLES[style.name] = style
    return style


def get_style(name: str) -> Style:
    """Look up a style by name, with a clear error for unknown names."""
    if name not in STYLES:
        raise ValueError(f'unknown style {name!r}; choose from '
                         f'{sorted(STYLES)}')
    return STYLES[name]


SYNTHETIC = register_style(Style(name='synthetic'))

REAL = register_style(
    replace(
        SYNTHETIC,
        name='real',
        natural_colors=True,
        color_jitter=0.15,
        pattern_strength=0.35,
        far_side_shade=0.85,
        background='clutter',
        clutter_shapes=(4, 10),
        clutter_contrast=0.35,
        light_gradient=0.45,
        blur_sigma=(0.3, 1.2),
        noise_sigma=(2., 8.),
        jpeg_quality=(35, 75),
        occluder_prob=0.35,
        max_occluders=3,
        yaw=(-40., 40.),
        pitch=(-15., 15.),
        limb_scale=1.3,
        head_down_prob=0.3,
        size=(0.45, 0.9),
        partial_prob=0.15,
    ))

# the occlusion-heavy test style: the `real` style with occluders over every
# animal and up to 5 of them (the writer's `occlusion` layout also pastes
# parts of other animals over the target)
REAL_OCCLUDED = register_style(
    replace(REAL, name='real_occluded', occluder_prob=1.0, max_occluders=5))
