"""ASDA's per-sample part canvases (METHODS.md 4.3): parts of a part bank,
scaled to the body and centred on input-size canvases, for the STN
generator to move and paste (``animal_da.models.heads.STNPartGenerator``).
"""
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from ..part_bank import PartBank


@TRANSFORMS.register_module()
class SemanticPartCanvas(BaseTransform):
    """Draw parts from a bank onto input-size canvases (after
    ``TopdownAffine``); the pasting itself happens in the model.

    Per sample: the number of parts from ``num_aug`` (uniform), each part's
    type uniform over the bank's types and its instance uniform within the
    type; scale ``body_diag * size_type / part_diag * U(scale_range)`` where
    ``body_diag`` is the diagonal of the instance box mapped into the crop;
    the mask eroded (``erode_kernel``) then Gaussian-blurred
    (``blur_kernel``); the part centred on the canvas (``centre_quirk``:
    ASDA passes (H // 2, W // 2) into an (x, y) slot, a no-op for square
    inputs). Samples whose crop came from a half-body box (``half_body``,
    set by ``SafeRandomHalfBody``) get no part unless ``both_hf_sa``.
    Canvases are padded to ``max(num_aug)`` parts with empty masks.

    Added keys: ``part_imgs`` (N, H, W, 3) uint8 in the image's channel
    order (zero outside the mask), ``part_masks`` (N, H, W) float32,
    ``part_types`` (N, ) int64 (index into the bank's types; -1: none).
    Pack them with ``PackPoseInputs(meta_keys=(..., 'part_imgs',
    'part_masks', 'part_types'))``.

    Args:
        bank (str): The part bank folder.
        types (Sequence[str], optional): Part types used (default: all).
        num_aug (Sequence[int]): Choices of the number of parts [ASDA
            recommends (1, ); its default (0, 2, 4, 6, 8)].
        scale_range (tuple): [(0.7, 1.3)].
        erode_kernel (int): Erosion kernel side [3 in ASDA's configs; 13
            its default].
        blur_kernel (int): Gaussian kernel side [3; 15].
        both_hf_sa (bool): Also on half-body crops [False].
        centre_quirk (bool): ASDA's (H // 2, W // 2) centre [True].
        prob (float): Probability of drawing parts at all [1.0].
        sizes (dict, optional): Per-type size overrides (fraction of the
            body diagonal; default the bank's).
        min_visible (int): Fewest visible keypoints for parts to be drawn
            [0; ASDA's COCO setting: 8, ``num_joints_SA``].
    """

    def __init__(self, bank: str, types: Optional[Sequence[str]] = None,
                 num_aug: Sequence[int] = (1, ),
                 scale_range: Sequence[float] = (0.7, 1.3),
                 erode_kernel: int = 3, blur_kernel: int = 3,
                 both_hf_sa: bool = False, centre_quirk: bool = True,
                 prob: float = 1.0,
                 sizes: Optional[Dict[str, float]] = None,
                 min_visible: int = 0):
        if not num_aug or min(num_aug) < 0:
            raise ValueError(f'num_aug must list part counts >= 0, got '
                             f'{num_aug}')
        if blur_kernel % 2 == 0 and blur_kernel > 0:
            raise ValueError(f'blur_kernel must be odd, got {blur_kernel}')
        self.bank = PartBank(bank, types, sizes)
        self.num_aug = [int(n) for n in num_aug]
        self.max_parts = max(self.num_aug)
        self.scale_range = tuple(scale_range)
        self.erode_kernel, self.blur_kernel = erode_kernel, blur_kernel
        self.both_hf_sa, self.centre_quirk = both_hf_sa, centre_quirk
        self.prob = prob
        self.min_visible = min_visible

    @staticmethod
    def body_diagonal(results: dict) -> float:
        """Diagonal of the instance box in input pixels."""
        x0, y0, x1, y1 = np.asarray(results['bbox'], np.float64)[0]
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]])
        center = np.asarray(results['input_center'], np.float64)
        scale = np.asarray(results['input_scale'], np.float64)
        w, h = results['input_size']
        # TopdownAffine maps input_scale (image px) onto input_size
        pix = (corners - center) / scale * np.array([w, h])
        ext = pix.max(0) - pix.min(0)
        return float(np.hypot(*ext))

    def _canvas(self, img: np.ndarray, mask: np.ndarray, size: tuple,
                scale: float) -> tuple:
        w, h = size
        ph, pw = img.shape[:2]
        nw, nh = max(1, int(round(pw * scale))), max(1, int(round(ph * scale)))
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
        m = cv2.resize(mask.astype(np.uint8), (nw, nh),
                       interpolation=cv2.INTER_NEAREST).astype(np.float32)
        if self.erode_kernel > 1:
            m = cv2.erode(m, np.ones((self.erode_kernel, ) * 2, np.uint8))
        if self.blur_kernel > 1:
            m = cv2.GaussianBlur(m, (self.blur_kernel, ) * 2, 0)
        cx, cy = (h // 2, w // 2) if self.centre_quirk else (w // 2, h // 2)
        canvas = np.zeros((h, w, 3), np.uint8)
        cmask = np.zeros((h, w), np.float32)
        x0, y0 = cx - nw // 2, cy - nh // 2
        sx0, sy0 = max(0, -x0), max(0, -y0)
        dx0, dy0 = max(0, x0), max(0, y0)
        dx1, dy1 = min(w, x0 + nw), min(h, y0 + nh)
        if dx1 > dx0 and dy1 > dy0:
            canvas[dy0:dy1, dx0:dx1] = img[sy0:sy0 + dy1 - dy0,
                                           sx0:sx0 + dx1 - dx0]
            cmask[dy0:dy1, dx0:dx1] = m[sy0:sy0 + dy1 - dy0,
                                        sx0:sx0 + dx1 - dx0]
        canvas[cmask <= 0] = 0
        return canvas, cmask

    def transform(self, results: dict) -> dict:
        w, h = results['input_size']
        imgs = np.zeros((self.max_parts, h, w, 3), np.uint8)
        masks = np.zeros((self.max_parts, h, w), np.float32)
        types = np.full((self.max_parts, ), -1, np.int64)
        vis = np.asarray(results.get('keypoints_visible', np.ones((1, 1))))
        vis = vis[..., 0] if vis.ndim == 3 else vis
        skip = (results.get('half_body') and not self.both_hf_sa) or \
            int((vis > 0).sum()) < self.min_visible or \
            np.random.rand() >= self.prob
        n = 0 if skip else int(np.random.choice(self.num_aug))
        if n:
            diag = self.body_diagonal(results)
        for i in range(n):
            t = int(np.random.randint(len(self.bank.types)))
            name = self.bank.types[t]
            choices = self.bank.parts[name]
            part = choices[np.random.randint(len(choices))]
            pimg, pmask = self.bank.load(part)
            pdiag = float(np.hypot(*pmask.shape))
            scale = diag * self.bank.sizes[name] / pdiag * \
                np.random.uniform(*self.scale_range)
            imgs[i], masks[i] = self._canvas(pimg, pmask, (w, h), scale)
            types[i] = t
        results['part_imgs'] = imgs
        results['part_masks'] = masks
        results['part_types'] = types
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(bank={self.bank.root!r}, '
                f'types={len(self.bank.types)}, num_aug={self.num_aug})')
