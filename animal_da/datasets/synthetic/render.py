"""Render one animal image with exact AP-10K keypoints (and the 24 joints of
the AP-10K + AnimalPose + TigDog union, for keypoint-set sources).

The animal is a 2.5D articulated model: body parts are capsules (and an
ellipsoid torso) in a 3D animal frame (x forward, y up, z to the animal's
left), turned by a yaw angle, projected orthographically and painted far side
first. A part-label map drawn alongside the image decides visibility: a
keypoint is visible (2) when the pixel under it belongs to one of its own
parts, occluded (1) when another part or an occluder covers it, and unlabelled
(0, at 0,0) outside the image. Drawing uses OpenCV fills and whole-image NumPy
operations only (no per-pixel Python loops).
"""
from typing import Dict, Tuple

import cv2
import numpy as np

from .species import BodyPlan
from .styles import Style

# AP-10K keypoint order (mmpose configs/_base_/datasets/ap10k.py); a test
# checks these names against mmpose's metainfo.
KEYPOINT_NAMES = ('L_Eye', 'R_Eye', 'Nose', 'Neck', 'Root of tail',
                  'L_Shoulder', 'L_Elbow', 'L_F_Paw', 'R_Shoulder', 'R_Elbow',
                  'R_F_Paw', 'L_Hip', 'L_Knee', 'L_B_Paw', 'R_Hip', 'R_Knee',
                  'R_B_Paw')
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
# joints 17-23 of the 24-joint union (animal_da/datasets/metainfo/
# animal_union24.py; 0-16 are AP-10K's): placed from the same pose draws, so
# adding them changes no image and no AP-10K keypoint
UNION_EXTRA_NAMES = ('L_ear', 'R_ear', 'throat', 'wither', 'chin',
                     'L_shoulder', 'R_shoulder')
NUM_UNION_KEYPOINTS = NUM_KEYPOINTS + len(UNION_EXTRA_NAMES)

# part labels in the label map
TORSO, NECK, HEAD, TAIL = 1, 2, 3, 4
LEG_PARTS = {('L', 'F'): (5, 6), ('R', 'F'): (7, 8), ('L', 'B'): (9, 10),
             ('R', 'B'): (11, 12)}
OCCLUDER = 255

# parts a keypoint lies on: it is visible when the label under it is one of
# these
OWNERS: Tuple[Tuple[int, ...], ...] = (
    (HEAD, ), (HEAD, ), (HEAD, ), (TORSO, NECK), (TORSO, TAIL),
    (TORSO, 5), (5, 6), (6, ), (TORSO, 7), (7, 8), (8, ),
    (TORSO, 9), (9, 10), (10, ), (TORSO, 11), (11, 12), (12, ),
    # union extras: ears, throat, withers, chin, TigDog's shoulders
    (HEAD, ), (HEAD, ), (HEAD, NECK), (TORSO, NECK), (HEAD, ), (TORSO, 5),
    (TORSO, 7))

#: the label-map ids of each animal part (part banks, animal occluders)
PART_LABELS: Dict[str, Tuple[int, ...]] = {
    'left_front_leg': (5, 6), 'right_front_leg': (7, 8),
    'left_back_leg': (9, 10), 'right_back_leg': (11, 12), 'head': (HEAD, ),
    'neck': (NECK, ), 'tail': (TAIL, ), 'body': (TORSO, )}

_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 16, endpoint=False)),
                    np.sin(np.linspace(0, 2 * np.pi, 16, endpoint=False))], 1)
_SHIFT = 4  # OpenCV fixed-point bits: sub-pixel accurate fills


def _angle(rng: np.random.Generator, limits, scale: float = 1.0) -> float:
    """A uniform angle (radians) from ``limits`` widened about its middle."""
    lo, hi = limits
    mid, half = (lo + hi) / 2, (hi - lo) / 2 * scale
    return float(np.deg2rad(rng.uniform(mid - half, mid + half)))


def sample_skeleton(plan: BodyPlan, style: Style,
                    rng: np.random.Generator) -> Tuple[np.ndarray, list]:
    """Sample a pose in the 3D animal frame.

    Args:
        plan (BodyPlan): Species.
        style (Style): Domain (its pose distribution).
        rng (np.random.Generator): Random source.

    Returns:
        tuple: ``(keypoints, parts)``: keypoints (24, 3), the 24-joint union
        (AP-10K's 17 first), and parts as ``(label, p0, p1, r0, r1)``
        capsules (the torso is label 1 and given by its semi-axes in
        ``p1``).
    """
    L, H, W = plan.torso_len, plan.torso_height, plan.body_width
    kp = np.zeros((NUM_UNION_KEYPOINTS, 3))
    parts = [(TORSO, np.zeros(3), np.array([0.54 * L, 0.5 * H, W + 0.6 *
                                            plan.leg_radius]), 0., 0.)]
    ls = style.limb_scale
    legs = {'F': (0.4 * L, -0.08 * H, plan.front_leg, plan.front_swing,
                  plan.front_bend),
            'B': (-0.4 * L, -0.02 * H, plan.back_leg, plan.back_swing,
                  plan.back_bend)}
    idx = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
    r_leg = plan.leg_radius
    for side, z in (('L', W), ('R', -W)):
        for end, (x0, y0, (up, lo), swing, bend) in legs.items():
            a = _angle(rng, swing, ls)
            b = a + _angle(rng, bend, ls)
            top = np.array([x0, y0, z])
            mid = top + up * np.array([np.sin(a), -np.cos(a), 0])
            paw = mid + lo * np.array([np.sin(b), -np.cos(b), 0])
            names = ((f'{side}_Shoulder', f'{side}_Elbow', f'{side}_F_Paw')
                     if end == 'F' else
                     (f'{side}_Hip', f'{side}_Knee', f'{side}_B_Paw'))
            for n, p in zip(names, (top, mid, paw)):
                kp[idx[n]] = p
            upper, lower = LEG_PARTS[(side, end)]
            parts.append((upper, top, mid, r_leg, 0.8 * r_leg))
            parts.append((lower, mid, paw, 0.8 * r_leg, 0.55 * r_leg))
    # neck and head
    neck = np.array([0.42 * L, 0.22 * H, 0.])
    head_down = rng.random() < style.head_down_prob
    phi = (np.deg2rad(rng.uniform(-45., -5.)) if head_down else _angle(
        rng, plan.neck_angle))
    head_base = neck + plan.neck_len * np.array([np.cos(phi), np.sin(phi), 0])
    psi = (np.deg2rad(rng.uniform(-100., -60.)) if head_down else _angle(
        rng, plan.head_angle))
    d = np.array([np.cos(psi), np.sin(psi), 0.])
    n = np.array([-np.sin(psi), np.cos(psi), 0.])
    nose = head_base + plan.head_len * d
    r_head = plan.head_radius
    kp[idx['Neck']] = neck
    kp[idx['Nose']] = nose
    for name, z in (('L_Eye', 0.55), ('R_Eye', -0.55)):
        kp[idx[name]] = (head_base + 0.35 * plan.head_len * d +
                         0.45 * r_head * n + np.array([0, 0, z * r_head]))
    _union_extras(plan, kp, head_base, d, n, phi)
    parts.append((NECK, neck - np.array([0.05 * L, 0.1 * H, 0]), head_base,
                  plan.neck_radius[0], plan.neck_radius[1]))
    parts.append((HEAD, head_base - 0.15 * plan.head_len * d, nose, r_head,
                  r_head * plan.snout_ratio))
    # tail: two segments with a bend
    root = np.array([-0.47 * L, 0.22 * H, 0.])
    kp[idx['Root of tail']] = root
    t1 = np.pi - _angle(rng, plan.tail_angle, ls)
    t2 = t1 + np.deg2rad(rng.uniform(-30., 30.))
    mid = root + 0.5 * plan.tail_len * np.array([np.cos(t1), np.sin(t1), 0])
    tip = mid + 0.5 * plan.tail_len * np.array([np.cos(t2), np.sin(t2), 0])
    parts.append((TAIL, root, mid, plan.tail_radius, 0.8 * plan.tail_radius))
    parts.append((TAIL, mid, tip, 0.8 * plan.tail_radius,
                  0.5 * plan.tail_radius))
    return kp, parts


def _union_extras(plan: BodyPlan, kp: np.ndarray, head_base: np.ndarray,
                  d: np.ndarray, n: np.ndarray, phi: float) -> None:
    """Place the union's extra joints (no random draws: the pose decides).

    Ear bases sit on top of the back of the head, the chin under the jaw,
    the throat where the neck meets the head from below, the withers on the
    back above the front legs, and TigDog's shoulder points on the torso
    side above each front leg's top (AP-10K's shoulder, FreeNet's F_hip).
    """
    L, H, W = plan.torso_len, plan.torso_height, plan.body_width
    r_head = plan.head_radius
    base = NUM_KEYPOINTS
    for i, z in ((base, 0.6), (base + 1, -0.6)):  # L_ear, R_ear
        kp[i] = (head_base - 0.02 * plan.head_len * d + 0.8 * r_head * n +
                 np.array([0, 0, z * r_head]))
    down = np.array([np.sin(phi), -np.cos(phi), 0.])  # below the neck axis
    kp[base + 2] = head_base + 0.85 * plan.neck_radius[1] * down  # throat
    x = 0.3 * L  # withers: the torso's top above the front legs
    kp[base + 3] = (x, 0.95 * 0.5 * H * np.sqrt(1 - (x / (0.54 * L)) ** 2),
                    0.)
    r_mid = r_head * (0.5 + 0.5 * plan.snout_ratio)
    kp[base + 4] = head_base + 0.6 * plan.head_len * d - 0.85 * r_mid * n
    for i, z in ((base + 5, W), (base + 6, -W)):  # L/R TigDog shoulder
        kp[i] = (0.33 * L, 0.18 * H, z)


class _View:
    """Yaw, image-plane tilt, scale and shift from animal to image pixels."""

    def __init__(self, yaw: float, pitch: float):
        self.cy, self.sy = np.cos(yaw), np.sin(yaw)
        self.cp, self.sp = np.cos(pitch), np.sin(pitch)
        self.scale, self.shift = 1.0, np.zeros(2)

    def rotate(self, p: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Points (N, 3) to unscaled screen (N, 2) and depth (N, )."""
        x = p[:, 0] * self.cy + p[:, 2] * self.sy
        depth = -p[:, 0] * self.sy + p[:, 2] * self.cy
        u, v = x, -p[:, 1]
        return np.stack([u * self.cp - v * self.sp,
                         u * self.sp + v * self.cp], 1), depth

    def project(self, p: np.ndarray) -> np.ndarray:
        """Points (N, 3) to image pixels (N, 2)."""
        return self.rotate(p)[0] * self.scale + self.shift


def _ellipsoid_points(axes: np.ndarray) -> np.ndarray:
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 20, endpoint=False),
                       np.linspace(-np.pi / 2, np.pi / 2, 9))
    return np.stack([axes[0] * np.cos(v) * np.cos(u), axes[1] * np.sin(v),
                     axes[2] * np.cos(v) * np.sin(u)], -1).reshape(-1, 3)


def _part_outline(view: _View, part) -> np.ndarray:
    """Screen outline points (unscaled) of a part."""
    label, p0, p1, r0, r1 = part
    if label == TORSO:
        return view.rotate(_ellipsoid_points(p1))[0]
    ends = view.rotate(np.stack([p0, p1]))[0]
    return np.concatenate([ends[0] + r0 * _CIRCLE, ends[1] + r1 * _CIRCLE])


def _fill(canvas: np.ndarray, pts: np.ndarray, value) -> None:
    hull = cv2.convexHull(np.round(pts * (1 << _SHIFT)).astype(np.int32))
    cv2.fillConvexPoly(canvas, hull, value, cv2.LINE_8, _SHIFT)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int,
                  channels: int = 1) -> np.ndarray:
    """Smooth noise in [0, 1] of ``size``x``size`` from a ``cells`` grid."""
    grid = rng.random((cells, cells, channels)).astype(np.float32)
    out = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(out.reshape(size, size, channels), 0, 1)


_NATURE = np.array([[70, 90, 40], [110, 120, 60], [120, 100, 70],
                    [90, 80, 70], [150, 140, 120], [60, 70, 50],
                    [170, 160, 100], [100, 110, 120]], np.float32)


def _background(rng: np.random.Generator, style: Style,
                size: int) -> np.ndarray:
    if style.background == 'flat':
        return np.broadcast_to(rng.uniform(40, 230, 3).astype(np.float32),
                               (size, size, 3)).copy()
    if style.background == 'gradient':
        c0, c1 = rng.uniform(40, 230, (2, 3)).astype(np.float32)
        a = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
        t = np.clip((xs - .5) * np.cos(a) + (ys - .5) * np.sin(a) + .5, 0, 1)
        return c0 + (c1 - c0) * t[..., None]
    if style.background != 'clutter':
        raise ValueError(f'unknown background {style.background!r}')
    base = _NATURE[rng.integers(len(_NATURE), size=2)]
    t = _smooth_noise(rng, size, int(rng.integers(3, 7)))
    img = base[0] + (base[1] - base[0]) * t
    img += (_smooth_noise(rng, size, int(rng.integers(16, 40)), 3) - .5) * 60
    for _ in range(int(rng.integers(*style.clutter_shapes, endpoint=True))):
        _clutter_shape(rng, img, style.clutter_contrast)
    return img


def _random_color(rng: np.random.Generator, contrast: float) -> tuple:
    c = _NATURE[rng.integers(len(_NATURE))] * rng.uniform(
        1 - contrast, 1 + contrast)
    return tuple(float(x) for x in np.clip(c, 0, 255))


def _clutter_shape(rng: np.random.Generator, img: np.ndarray,
                   contrast: float, label: np.ndarray = None,
                   near: np.ndarray = None) -> None:
    """Draw a rock, stick or grass tuft; also into ``label`` if given.

    Args:
        rng (np.random.Generator): Random source.
        img (np.ndarray): Float image, drawn in place.
        contrast (float): Colour spread of the shape.
        label (np.ndarray, optional): Label map; the shape is marked
            ``OCCLUDER`` there.
        near (np.ndarray, optional): Box (x0, y0, x1, y1) to centre the shape
            in (occluders over the animal).
    """
    size = img.shape[0]
    lo, hi = (np.zeros(2), np.full(2, size)) if near is None else (near[:2],
                                                                   near[2:])
    cx, cy = rng.uniform(lo, hi)
    color = _random_color(rng, contrast)
    kind = int(rng.integers(3))
    if kind == 0:  # rock or bush
        axes = (float(rng.uniform(.06, .3) * size),
                float(rng.uniform(.06, .24) * size))
        box = ((float(cx), float(cy)), axes, float(rng.uniform(0, 180)))

        def draw(canvas, value, aa):
            cv2.ellipse(canvas, box, value, -1, aa)
    else:
        if kind == 1:  # stick or branch
            a = rng.uniform(0, np.pi)
            d = np.array([np.cos(a), np.sin(a)]) * rng.uniform(.1, .35) * size
            lines = [((cx - d[0], cy - d[1]), (cx + d[0], cy + d[1]))]
            thick = int(rng.integers(2, max(3, size // 25)))
        else:  # grass tuft
            lines = []
            for _ in range(int(rng.integers(4, 10))):
                a = np.deg2rad(rng.uniform(-120, -60))
                length = rng.uniform(.08, .3) * size
                x0 = cx + rng.uniform(-.05, .05) * size
                lines.append(((x0, cy), (x0 + length * np.cos(a),
                                         cy + length * np.sin(a))))
            thick = max(1, size // 100)
        lines = [tuple((int(p[0]), int(p[1])) for p in ln) for ln in lines]

        def draw(canvas, value, aa):
            for p0, p1 in lines:
                cv2.line(canvas, p0, p1, value, thick, aa)
    draw(img, color, cv2.LINE_AA)
    if label is not None:
        draw(label, OCCLUDER, cv2.LINE_8)


def draw_occluder(rng: np.random.Generator, img: np.ndarray,
                  contrast: float = 0.35) -> None:
    """Draw one of the generator's clutter shapes (rock, stick, grass) at a
    random place of a float image, in place (occlusion augmentation where no
    folder of segmented objects exists)."""
    _clutter_shape(rng, img, contrast)


def _coat_pattern(rng: np.random.Generator, kind: str, size: int,
                  scale: float) -> np.ndarray:
    """Pattern map in [0, 1] (1 = darkest) at the animal's scale."""
    if kind == 'stripes':
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        a = rng.uniform(-.3, .3)
        period = max(3., rng.uniform(.06, .1) * scale)
        warp = _smooth_noise(rng, size, 6)[..., 0] * 2 * period
        phase = (xs * np.cos(a) + ys * np.sin(a) + warp) / period
        return (np.sin(2 * np.pi * phase) > 0.55).astype(np.float32)
    if kind in ('spots', 'patches'):
        cells = max(4, int(size / max(4., scale * (
            .05 if kind == 'spots' else .12))))
        noise = _smooth_noise(rng, size, min(cells, size // 2))[..., 0]
        return (noise > (0.62 if kind == 'spots' else 0.5)).astype(
            np.float32)
    return _smooth_noise(rng, size, 8)[..., 0] * 0.5


def render_sample(plan: BodyPlan, style: Style, rng: np.random.Generator,
                  size: int = 256, max_tries: int = 20) -> Dict:
    """Render one image of one animal.

    Args:
        plan (BodyPlan): Species.
        style (Style): Domain.
        rng (np.random.Generator): Random source (the image is a function of
            its state).
        size (int): Image side in pixels.
        max_tries (int): Poses sampled until one shows at least 6 keypoints.

    Returns:
        dict: ``image`` (H, W, 3) uint8 RGB, ``keypoints`` (17, 3) with COCO
        visibility, ``union_keypoints`` (24, 3) the same for the 24-joint
        union, ``bbox`` xywh, ``area``, ``labels`` (H, W) part-label map and
        ``jpeg_quality``.
    """
    for _ in range(max_tries):
        out = _render_once(plan, style, rng, size)
        if (out['keypoints'][:, 2] > 0).sum() >= 6 and out['area'] > 0.01 * \
                size * size:
            return out
    return out


def _render_once(plan: BodyPlan, style: Style, rng: np.random.Generator,
                 size: int) -> Dict:
    kp3d, parts = sample_skeleton(plan, style, rng)
    yaw = _angle(rng, style.yaw) + (np.pi if rng.random() < 0.5 else 0.)
    view = _View(yaw, _angle(rng, style.pitch))
    # scale and place: the animal's longer side is style.size of the image
    outlines = [_part_outline(view, p) for p in parts]
    pts = np.concatenate(outlines)
    lo, hi = pts.min(0), pts.max(0)
    view.scale = rng.uniform(*style.size) * size / float((hi - lo).max())
    ext = (hi - lo) * view.scale
    shift = np.empty(2)
    for ax in range(2):
        free = size - ext[ax]
        shift[ax] = rng.uniform(0, free) if free > 0 else free / 2
    if rng.random() < style.partial_prob:
        ax, sgn = int(rng.integers(2)), rng.choice([-1., 1.])
        out = rng.uniform(.15, .4) * ext[ax]
        shift[ax] = -out if sgn < 0 else size - ext[ax] + out
    view.shift = shift - lo * view.scale

    # painter's order: far-side legs, tail, torso, near legs, neck, head
    near_left = view.cy > 0  # the camera sees the animal's left side

    def order(part) -> int:
        label = part[0]
        for (side, _), ids in LEG_PARTS.items():
            if label in ids:
                return 3 if (side == 'L') == near_left else 0
        return {TAIL: 1, TORSO: 2, NECK: 4, HEAD: 5}[label]

    labels = np.zeros((size, size), np.uint8)
    for i in sorted(range(len(parts)), key=lambda i: order(parts[i])):
        _fill(labels, outlines[i] * view.scale + view.shift, parts[i][0])
    animal = labels > 0
    ys, xs = np.nonzero(animal)

    # colour the animal from the label map
    if style.natural_colors:
        base = np.array(plan.real_palette[rng.integers(
            len(plan.real_palette))], np.float32)
    else:
        base = np.array(plan.synthetic_color, np.float32)
    base = np.clip(base * rng.uniform(1 - style.color_jitter,
                                      1 + style.color_jitter, 3), 0, 255)
    shade = np.ones(256, np.float32)
    for (side, _), ids in LEG_PARTS.items():
        if (side == 'L') != near_left:
            shade[list(ids)] = style.far_side_shade
    shade[HEAD] = 1.06
    coat = base * shade[labels][..., None]
    if style.pattern_strength > 0:
        pattern = _coat_pattern(rng, plan.pattern, size, view.scale)
        coat *= 1 - style.pattern_strength * pattern[..., None]
        if len(ys):  # lighter back, darker belly
            y0, y1 = ys.min(), ys.max() + 1
            rows = np.clip((np.arange(size) - y0) / max(1, y1 - y0), 0, 1)
            coat *= (1.15 - 0.3 * rows)[:, None, None]
    img = _background(rng, style, size)
    img[animal] = coat[animal]
    # eyes: only those on the camera's side of the head are painted
    kp2d = view.project(kp3d)
    _, depth = view.rotate(kp3d)
    head_depth = view.rotate(parts[-3][1][None])[1][0]
    eye_r = max(1., 0.22 * plan.head_radius * view.scale)
    eye_seen = np.zeros(NUM_UNION_KEYPOINTS, bool)
    for i in (0, 1):
        eye_seen[i] = depth[i] >= head_depth - 0.05 * plan.head_radius
        if eye_seen[i]:
            cv2.circle(img, (int(round(kp2d[i, 0] * 16)),
                             int(round(kp2d[i, 1] * 16))),
                       int(round(eye_r * 16)), (20., 15., 10.), -1,
                       cv2.LINE_AA, 4)
    # occluders over the animal
    if len(xs) and rng.random() < style.occluder_prob:
        box = np.array([xs.min(), ys.min(), xs.max(), ys.max()], float)
        for _ in range(int(rng.integers(1, style.max_occluders + 1))):
            _clutter_shape(rng, img, style.clutter_contrast, labels, box)
    # lighting, blur, noise
    if style.light_gradient > 0:
        a = rng.uniform(0, 2 * np.pi)
        g = np.linspace(-.5, .5, size, dtype=np.float32)
        plane = np.cos(a) * g[None, :] + np.sin(a) * g[:, None]
        img *= (1 + style.light_gradient * plane)[..., None]
    sigma = rng.uniform(*style.blur_sigma) * size / 256
    if sigma > 0.1:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = rng.uniform(*style.noise_sigma)
    if noise > 0:
        img = img + rng.normal(0, noise, img.shape).astype(np.float32)
    image = np.clip(img, 0, 255).astype(np.uint8)

    # ears: like the eyes, seen only on the camera's side of the head
    for i in (NUM_KEYPOINTS, NUM_KEYPOINTS + 1):
        eye_seen[i] = depth[i] >= head_depth - 0.05 * plan.head_radius
    # keypoints with visibility from the label map
    keypoints = np.zeros((NUM_UNION_KEYPOINTS, 3), np.float32)
    for i, (x, y) in enumerate(kp2d):
        if not (0 <= x < size and 0 <= y < size):
            continue
        owner = labels[int(y), int(x)] in OWNERS[i]
        if i in (0, 1, NUM_KEYPOINTS, NUM_KEYPOINTS + 1):
            owner = owner and eye_seen[i]
        keypoints[i] = (x, y, 2 if owner else 1)
    if len(xs):
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        bbox = [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
    else:
        bbox = [0., 0., 0., 0.]
    return dict(
        image=image, keypoints=keypoints[:NUM_KEYPOINTS],
        union_keypoints=keypoints, bbox=bbox, area=float(len(xs)),
        labels=labels,
        jpeg_quality=int(rng.integers(style.jpeg_quality[0],
                                      style.jpeg_quality[1] + 1)))


def occlude_with_animal_parts(out: Dict, plan_pool, style: Style,
                              rng: np.random.Generator, num_parts: int,
                              size: int) -> Dict:
    """Paste body parts of other rendered animals over a sample's animal.

    Each part (a random part of a fresh animal of ``plan_pool``, in
    ``style``) lands with its centre at a uniform point of the target's box;
    its pixels become ``OCCLUDER`` in the label map, and the keypoint rule
    is the renderer's: a visible keypoint now under another animal's part
    becomes occluded (1).

    Args:
        out (dict): A :func:`render_sample` result (changed copies are
            returned).
        plan_pool (Sequence[BodyPlan]): Species of the occluding animals.
        style (Style): Their style.
        rng (np.random.Generator): Random source.
        num_parts (int): Parts to paste.
        size (int): Image side.

    Returns:
        dict: ``out`` with ``image``, ``labels``, ``keypoints`` and
        ``union_keypoints`` updated.
    """
    img, labels = out['image'].copy(), out['labels'].copy()
    x0, y0, w, h = out['bbox']
    names = sorted(PART_LABELS)
    for _ in range(num_parts):
        other = _render_once(plan_pool[int(rng.integers(len(plan_pool)))],
                             style, rng, size)
        mask = np.isin(other['labels'], PART_LABELS[names[int(
            rng.integers(len(names)))]])
        ys, xs = np.nonzero(mask)
        if len(xs) < 20 or w <= 0 or h <= 0:
            continue
        cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
        ty = int(rng.uniform(y0, y0 + h)) - cy
        tx = int(rng.uniform(x0, x0 + w)) - cx
        yy, xx = ys + ty, xs + tx
        ok = (yy >= 0) & (yy < size) & (xx >= 0) & (xx < size)
        img[yy[ok], xx[ok]] = other['image'][ys[ok], xs[ok]]
        labels[yy[ok], xx[ok]] = OCCLUDER
    result = dict(out, image=img, labels=labels)
    for key in ('keypoints', 'union_keypoints'):
        kps = out[key].copy()
        for k, (x, y, v) in enumerate(kps):
            if v == 2 and labels[int(y), int(x)] == OCCLUDER:
                kps[k, 2] = 1
        result[key] = kps
    return result
