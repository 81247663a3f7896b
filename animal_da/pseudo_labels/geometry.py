"""View geometry in pure torch: move keypoints between the image and the
views of one instance, decode and render heatmaps.

A view is described by the 2x3 matrix ``view_affine`` that maps original
image pixels to the view's input pixels, with the horizontal mirror of a
flipped view folded in, and by ``flip``: in a flipped view, keypoint channels
are also swapped by ``flip_indices`` (mmpose's ``RandomFlip`` relabels a
mirrored left eye as the right eye). ``RecordViewGeometry`` writes both into
each view's metainfo.
"""
import contextlib
import functools
from typing import Callable, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F


def full_precision(fn: Callable) -> Callable:
    """Run ``fn`` outside autocast, half-precision tensor arguments cast to
    float32: under mixed precision (``AmpOptimWrapper``) the matrix products
    would run in fp16/bf16, which ``torch.linalg.inv`` refuses and which
    costs keypoint coordinates their sub-pixel precision. (On the functions
    with matrix products only; autocast leaves elementwise ops as they
    are.)"""
    low = (torch.float16, torch.bfloat16)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        kinds = {a.device.type for a in (*args, *kwargs.values())
                 if isinstance(a, torch.Tensor)} & {'cpu', 'cuda'}

        def up(a):
            return a.float() if isinstance(a, torch.Tensor) and \
                a.dtype in low else a
        with contextlib.ExitStack() as stack:  # autocast off where it acts
            for kind in kinds:
                stack.enter_context(torch.autocast(kind, enabled=False))
            return fn(*map(up, args), **{k: up(v) for k, v in kwargs.items()})
    return wrapper


def _affine(kpts: torch.Tensor, mat: torch.Tensor) -> torch.Tensor:
    """Apply (B, 2, 3) matrices to (B, K, 2) points."""
    return kpts @ mat[:, :, :2].transpose(1, 2) + mat[:, None, :, 2]


@full_precision
def invert_affine(mat: torch.Tensor) -> torch.Tensor:
    """Invert (B, 2, 3) affine matrices."""
    return torch.linalg.inv(_full(mat))[:, :2]


def _full(mat: torch.Tensor) -> torch.Tensor:
    """(B, 2, 3) affine matrices as (B, 3, 3)."""
    return torch.cat([mat, mat.new_tensor([0., 0., 1.]).expand(
        mat.shape[0], 1, 3)], dim=1)


@full_precision
def view_to_view_affine(src_affine: torch.Tensor, dst_affine: torch.Tensor,
                        stride: Union[float, Sequence[float]] = 1.
                        ) -> torch.Tensor:
    """The map from one view's heatmap pixels to another's.

    The one home of this matrix: recipes warp a teacher's heatmaps into the
    student's view with it, the TTA labeller every view into the identity
    crop.

    Args:
        src_affine (Tensor): (B, 2, 3) image -> source-view input pixels.
        dst_affine (Tensor): (B, 2, 3) image -> destination-view input
            pixels.
        stride (float or (sx, sy)): Input pixels per heatmap pixel.

    Returns:
        Tensor: (B, 2, 3) source-view heatmap pixels -> destination-view
        heatmap pixels.
    """
    m = _full(dst_affine) @ torch.linalg.inv(_full(src_affine))
    sx, sy = (stride, stride) if isinstance(stride, (int, float)) \
        else stride
    scale = torch.diag(m.new_tensor([float(sx), float(sy), 1.]))
    unscale = torch.diag(m.new_tensor([1. / sx, 1. / sy, 1.]))
    return (unscale @ m @ scale)[:, :2]


def _swap(kpts: torch.Tensor, flip: torch.Tensor,
          flip_indices: Sequence[int]) -> torch.Tensor:
    """Swap left/right channels of the flipped samples."""
    idx = torch.as_tensor(list(flip_indices), device=kpts.device)
    swapped = kpts.index_select(1, idx)
    shape = (-1, ) + (1, ) * (kpts.dim() - 1)
    return torch.where(flip.view(shape), swapped, kpts)


@full_precision
def image_to_view(kpts: torch.Tensor, view_affine: torch.Tensor,
                  flip: torch.Tensor,
                  flip_indices: Sequence[int]) -> torch.Tensor:
    """Image keypoints (B, K, 2) to a view's input pixels, channels swapped
    where the view is flipped."""
    return _swap(_affine(kpts, view_affine), flip, flip_indices)


@full_precision
def view_to_image(kpts: torch.Tensor, view_affine: torch.Tensor,
                  flip: torch.Tensor,
                  flip_indices: Sequence[int]) -> torch.Tensor:
    """A view's keypoints (B, K, 2, input pixels) back to the image."""
    return _affine(_swap(kpts, flip, flip_indices),
                   invert_affine(view_affine))


def swap_channels(values: torch.Tensor, flip: torch.Tensor,
                  flip_indices: Sequence[int]) -> torch.Tensor:
    """Swap per-keypoint values (B, K, ...) of flipped samples."""
    return _swap(values, flip, flip_indices)


def decode_argmax(heatmaps: torch.Tensor
                  ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Integer argmax of (B, K, H, W) heatmaps.

    Returns:
        tuple: locations (B, K, 2) as (x, y) heatmap pixels, and maxima
        (B, K).
    """
    b, k, h, w = heatmaps.shape
    vals, idx = heatmaps.flatten(2).max(dim=2)
    xy = torch.stack([idx % w, torch.div(idx, w, rounding_mode='floor')],
                     dim=-1).to(heatmaps.dtype)
    return xy, vals


def refine_quarter(heatmaps: torch.Tensor, xy: torch.Tensor
                   ) -> torch.Tensor:
    """Integer heatmap locations moved a quarter pixel along x and y towards
    the higher neighbour, as mmpose's ``refine_keypoints`` (the decode of
    ``MSRAHeatmap``), on every interior pixel; here for batched tensors on
    any device (mmpose's loops over instances in NumPy).

    Args:
        heatmaps (Tensor): (B, K, H, W).
        xy (Tensor): (B, K, 2) integer locations (x, y), e.g. of
            :func:`decode_argmax`.

    Returns:
        Tensor: (B, K, 2) refined locations.
    """
    h, w = heatmaps.shape[-2:]
    flat = heatmaps.flatten(2)
    x, y = xy[..., 0].long(), xy[..., 1].long()

    def at(xx: torch.Tensor, yy: torch.Tensor) -> torch.Tensor:
        idx = yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)
        return flat.gather(2, idx.unsqueeze(-1)).squeeze(-1)

    dx = torch.sign(at(x + 1, y) - at(x - 1, y)) * ((x > 0) & (x < w - 1))
    dy = torch.sign(at(x, y + 1) - at(x, y - 1)) * ((y > 0) & (y < h - 1))
    return xy + 0.25 * torch.stack([dx, dy], dim=-1).to(xy.dtype)


def render_gaussian(kpts: torch.Tensor, weights: torch.Tensor, sigma: float,
                    size: Tuple[int, int],
                    mode: str = 'hrnet') -> Tuple[torch.Tensor, torch.Tensor]:
    """Render Gaussian targets at heatmap keypoints.

    Args:
        kpts (Tensor): (B, K, 2) keypoints in heatmap pixels.
        weights (Tensor): (B, K) weights; kept where the Gaussian window
            overlaps the map, zeroed elsewhere.
        sigma (float): Gaussian sigma in heatmap pixels.
        size (tuple): Heatmap (W, H).
        mode (str): ``hrnet``: centre rounded to the pixel ``int(x + 0.5)``
            and a ``6 sigma + 1`` window, as mmpose's ``MSRAHeatmap`` and the
            HRNet code; ``untruncated``: exact centre, no window.

    Returns:
        tuple: heatmaps (B, K, H, W) and weights (B, K).
    """
    w, h = size
    xs = torch.arange(w, device=kpts.device, dtype=kpts.dtype)
    ys = torch.arange(h, device=kpts.device, dtype=kpts.dtype)
    if mode == 'hrnet':
        mu = torch.floor(kpts + 0.5)
        radius = 3 * sigma
        inside = ((mu[..., 0] + radius >= 0) & (mu[..., 0] - radius < w) &
                  (mu[..., 1] + radius >= 0) & (mu[..., 1] - radius < h))
    elif mode == 'untruncated':
        mu = kpts
        inside = torch.ones_like(weights, dtype=torch.bool)
    else:
        raise ValueError(f'unknown render mode {mode!r}')
    gx = torch.exp(-(xs - mu[..., 0:1])**2 / (2 * sigma**2))
    gy = torch.exp(-(ys - mu[..., 1:2])**2 / (2 * sigma**2))
    heat = gy[..., :, None] * gx[..., None, :]
    if mode == 'hrnet':
        win_x = (xs - mu[..., 0:1]).abs() <= radius
        win_y = (ys - mu[..., 1:2]).abs() <= radius
        heat = heat * (win_y[..., :, None] & win_x[..., None, :])
    weights = weights * inside
    return heat * (weights > 0)[..., None, None], weights


@full_precision
def warp_heatmaps(heatmaps: torch.Tensor, src_to_dst: torch.Tensor,
                  flip_dst: Optional[torch.Tensor] = None,
                  flip_indices: Optional[Sequence[int]] = None
                  ) -> torch.Tensor:
    """Warp soft heatmaps from one view to another with ``grid_sample``.

    Args:
        heatmaps (Tensor): (B, K, H, W) in the source view.
        src_to_dst (Tensor): (B, 2, 3) heatmap-pixel affine source -> dest.
        flip_dst (Tensor, optional): (B, ) samples whose source and
            destination views differ in flip (their channels are swapped).
        flip_indices (Sequence[int], optional): Channel swap order.

    Returns:
        Tensor: (B, K, H, W) heatmaps in the destination view.
    """
    b, k, h, w = heatmaps.shape
    dst_to_src = invert_affine(src_to_dst)
    # pixel coordinates -> normalised [-1, 1] (align_corners=True)
    norm = heatmaps.new_tensor([[2. / (w - 1), 0, -1], [0, 2. / (h - 1), -1],
                                [0, 0, 1]])
    denorm = torch.linalg.inv(norm)
    full = torch.cat([dst_to_src, heatmaps.new_tensor(
        [0., 0., 1.]).expand(b, 1, 3)], dim=1)
    theta = (norm @ full @ denorm)[:, :2]
    grid = F.affine_grid(theta, (b, k, h, w), align_corners=True)
    out = F.grid_sample(heatmaps, grid, align_corners=True)
    if flip_dst is not None:
        out = _swap(out, flip_dst, flip_indices)
    return out
