"""Quadruped body plans, written as data.

Lengths are in units of the torso length of a horse (1.0); angles in degrees.
Each plan is one COCO category with a supercategory (its family), so
"N labels per species" and "train on one family, test on the others" can be
expressed as for AP-10K. Add a species by adding a :class:`BodyPlan` to
:data:`SPECIES`.
"""
from dataclasses import dataclass, field
from typing import Dict, Tuple

Range = Tuple[float, float]


@dataclass(frozen=True)
class BodyPlan:
    """Shape and joint limits of one species.

    Args:
        name (str): Category name.
        family (str): Supercategory.
        category_id (int): COCO category id (stable across versions).
        torso_len (float): Shoulder-to-hip body length.
        torso_height (float): Body depth (belly to back).
        body_width (float): Lateral half-distance between left and right legs.
        neck_len (float): Neck length.
        neck_angle (Range): Neck elevation above horizontal.
        neck_radius (Tuple[float, float]): Neck radius at base and top.
        head_len (float): Head-base to nose.
        head_radius (float): Radius at the back of the head.
        snout_ratio (float): Nose radius over head radius.
        head_angle (Range): Head direction relative to horizontal.
        front_leg (Tuple[float, float]): Upper and lower front leg lengths.
        back_leg (Tuple[float, float]): Upper and lower back leg lengths.
        leg_radius (float): Leg thickness (radius) at the top.
        front_swing (Range): Front upper leg angle from vertical (+ forward).
        front_bend (Range): Front lower leg angle relative to the upper.
        back_swing (Range): Back upper leg angle from vertical.
        back_bend (Range): Back lower leg angle relative to the upper.
        tail_len (float): Tail length.
        tail_radius (float): Tail radius at the root.
        tail_angle (Range): Tail direction (0 = straight back, + up).
        synthetic_color (Tuple[int, int, int]): RGB of the flat render.
        real_palette (Tuple[Tuple[int, int, int], ...]): Natural coat RGBs.
        pattern (str): Coat pattern in the real style: ``plain``, ``spots``,
            ``stripes`` or ``patches``.
    """
    name: str
    family: str
    category_id: int
    torso_len: float
    torso_height: float
    body_width: float
    neck_len: float
    neck_angle: Range
    neck_radius: Tuple[float, float]
    head_len: float
    head_radius: float
    snout_ratio: float
    head_angle: Range
    front_leg: Tuple[float, float]
    back_leg: Tuple[float, float]
    leg_radius: float
    front_swing: Range = (-25., 30.)
    front_bend: Range = (-5., 50.)
    back_swing: Range = (-30., 25.)
    back_bend: Range = (-50., 5.)
    tail_len: float = 0.4
    tail_radius: float = 0.035
    tail_angle: Range = (-70., -30.)
    synthetic_color: Tuple[int, int, int] = (200, 120, 60)
    real_palette: Tuple[Tuple[int, int, int], ...] = field(
        default_factory=lambda: ((120, 80, 50), ))
    pattern: str = 'plain'


SPECIES: Dict[str, BodyPlan] = {
    p.name: p
    for p in [
        BodyPlan(
            name='horse', family='Equidae', category_id=1, torso_len=1.0,
            torso_height=0.42, body_width=0.12, neck_len=0.55,
            neck_angle=(35., 70.), neck_radius=(0.14, 0.08), head_len=0.42,
            head_radius=0.09, snout_ratio=0.6, head_angle=(-80., -30.),
            front_leg=(0.42, 0.42), back_leg=(0.45, 0.42), leg_radius=0.06,
            tail_len=0.5, tail_radius=0.05, tail_angle=(-80., -40.),
            synthetic_color=(190, 110, 50),
            real_palette=((110, 70, 40), (60, 40, 30), (170, 150, 130),
                          (140, 90, 50)),
            pattern='plain'),
        BodyPlan(
            name='tiger', family='Felidae', category_id=2, torso_len=1.0,
            torso_height=0.36, body_width=0.11, neck_len=0.25,
            neck_angle=(5., 35.), neck_radius=(0.15, 0.12), head_len=0.3,
            head_radius=0.13, snout_ratio=0.55, head_angle=(-40., 0.),
            front_leg=(0.3, 0.3), back_leg=(0.33, 0.3), leg_radius=0.065,
            front_swing=(-30., 40.), back_swing=(-40., 30.), tail_len=0.75,
            tail_radius=0.035, tail_angle=(-50., 15.),
            synthetic_color=(240, 150, 40),
            real_palette=((200, 110, 40), (180, 120, 70), (215, 150, 80)),
            pattern='stripes'),
        BodyPlan(
            name='dog', family='Canidae', category_id=3, torso_len=0.8,
            torso_height=0.33, body_width=0.1, neck_len=0.3,
            neck_angle=(25., 60.), neck_radius=(0.11, 0.08), head_len=0.3,
            head_radius=0.09, snout_ratio=0.5, head_angle=(-35., 5.),
            front_leg=(0.3, 0.28), back_leg=(0.32, 0.28), leg_radius=0.05,
            front_swing=(-30., 40.), back_swing=(-40., 30.), tail_len=0.4,
            tail_radius=0.035, tail_angle=(-20., 50.),
            synthetic_color=(150, 150, 160),
            real_palette=((90, 70, 50), (40, 35, 30), (190, 170, 140),
                          (150, 110, 70)),
            pattern='patches'),
        BodyPlan(
            name='giraffe', family='Giraffidae', category_id=4, torso_len=0.9,
            torso_height=0.42, body_width=0.12, neck_len=1.05,
            neck_angle=(50., 80.), neck_radius=(0.12, 0.06), head_len=0.32,
            head_radius=0.07, snout_ratio=0.65, head_angle=(-70., -20.),
            front_leg=(0.6, 0.6), back_leg=(0.58, 0.56), leg_radius=0.055,
            front_swing=(-15., 20.), back_swing=(-20., 15.), tail_len=0.4,
            tail_radius=0.025, tail_angle=(-85., -55.),
            synthetic_color=(230, 200, 80),
            real_palette=((200, 160, 90), (190, 140, 70)),
            pattern='patches'),
        BodyPlan(
            name='bear', family='Ursidae', category_id=5, torso_len=1.0,
            torso_height=0.58, body_width=0.16, neck_len=0.2,
            neck_angle=(-5., 30.), neck_radius=(0.22, 0.17), head_len=0.32,
            head_radius=0.15, snout_ratio=0.45, head_angle=(-45., 0.),
            front_leg=(0.26, 0.24), back_leg=(0.27, 0.23), leg_radius=0.1,
            front_swing=(-20., 30.), back_swing=(-25., 25.),
            back_bend=(-30., 10.), tail_len=0.08, tail_radius=0.05,
            tail_angle=(-40., 0.), synthetic_color=(120, 80, 200),
            real_palette=((60, 40, 30), (90, 60, 40), (30, 25, 22)),
            pattern='plain'),
        BodyPlan(
            name='mouse', family='Muridae', category_id=6, torso_len=0.75,
            torso_height=0.38, body_width=0.12, neck_len=0.1,
            neck_angle=(0., 30.), neck_radius=(0.16, 0.13), head_len=0.3,
            head_radius=0.12, snout_ratio=0.3, head_angle=(-30., 10.),
            front_leg=(0.13, 0.13), back_leg=(0.16, 0.14), leg_radius=0.04,
            front_swing=(-30., 50.), back_swing=(-50., 30.), tail_len=0.9,
            tail_radius=0.025, tail_angle=(-30., 20.),
            synthetic_color=(100, 200, 120),
            real_palette=((110, 100, 90), (150, 130, 110), (70, 60, 55)),
            pattern='plain'),
        BodyPlan(
            name='antelope', family='Bovidae', category_id=7, torso_len=0.85,
            torso_height=0.36, body_width=0.1, neck_len=0.45,
            neck_angle=(30., 65.), neck_radius=(0.1, 0.065), head_len=0.3,
            head_radius=0.075, snout_ratio=0.55, head_angle=(-75., -25.),
            front_leg=(0.42, 0.42), back_leg=(0.45, 0.42), leg_radius=0.04,
            tail_len=0.15, tail_radius=0.03, tail_angle=(-60., 0.),
            synthetic_color=(220, 90, 90),
            real_palette=((170, 120, 70), (140, 100, 60), (200, 170, 120)),
            pattern='spots'),
    ]
}


def get_species(names) -> Tuple[BodyPlan, ...]:
    """Look up body plans by name.

    Args:
        names (Iterable[str] | None): Species names; None means all.

    Returns:
        Tuple[BodyPlan, ...]: The plans, in the order given.

    Raises:
        ValueError: A name is unknown; the message lists the known ones.
    """
    if names is None:
        return tuple(SPECIES.values())
    names = list(names)
    unknown = [n for n in names if n not in SPECIES]
    if unknown or not names:
        raise ValueError(f'unknown species {unknown or names}; choose from '
                         f'{sorted(SPECIES)}')
    return tuple(SPECIES[n] for n in names)
