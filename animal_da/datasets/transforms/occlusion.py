"""Occluder pasting (UDA-Animal-Pose's occlusion augmentation)."""
import glob
import os.path as osp
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PasteOccluders(BaseTransform):
    """Alpha-paste 1..``max_count`` occluders at random places of the crop.

    UDA-Animal-Pose (METHODS.md 1.6): with probability 0.5, 1 to 7 Pascal VOC
    segmented objects (no animals or people, at least 500 px), downscaled
    by 0.5 at load, rescaled by U(0.2, 0.8), pasted with an edge alpha of
    192 at uniform random centres. Keypoint labels are left as they are.

    ``occluder_dir`` is a folder of RGBA PNG cut-outs (e.g. made from VOC's
    ``SegmentationObject`` masks). Without it, occluders are the synthetic
    generator's rocks, sticks and grass drawn on the crop.

    Args:
        occluder_dir (str, optional): Folder of RGBA PNG objects.
        prob (float): Probability of occluding a sample.
        max_count (int): Most occluders per sample.
        scale (tuple): Range of the paste scale.
        downscale (float): Scale applied at load.
        min_area (int): Objects with fewer opaque pixels are skipped.
        edge_alpha (int): Alpha of the object's border pixels.
    """

    def __init__(self, occluder_dir: Optional[str] = None, prob: float = 0.5,
                 max_count: int = 7, scale: Tuple[float, float] = (0.2, 0.8),
                 downscale: float = 0.5, min_area: int = 500,
                 edge_alpha: int = 192):
        if max_count < 1:
            raise ValueError(f'max_count must be >= 1, got {max_count}')
        self.occluder_dir = occluder_dir
        self.prob, self.max_count, self.scale = prob, max_count, scale
        self.downscale, self.min_area = downscale, min_area
        self.edge_alpha = edge_alpha
        self._objects: Optional[List[np.ndarray]] = None

    def _load(self) -> List[np.ndarray]:
        if self._objects is not None:
            return self._objects
        files = sorted(glob.glob(osp.join(self.occluder_dir, '*.png')))
        if not files:
            raise FileNotFoundError(
                f'no PNG occluders in {self.occluder_dir}; give a folder of '
                'RGBA cut-outs or occluder_dir=None for synthetic occluders')
        objects = []
        for f in files:
            img = cv2.imread(f, cv2.IMREAD_UNCHANGED)
            if img is None or img.ndim != 3 or img.shape[2] != 4:
                raise ValueError(f'{f} is not an RGBA PNG (the alpha channel '
                                 'marks the object)')
            if (img[..., 3] > 0).sum() < self.min_area:
                continue
            img = cv2.resize(img, None, fx=self.downscale, fy=self.downscale,
                             interpolation=cv2.INTER_AREA)
            alpha = img[..., 3]
            inner = cv2.erode((alpha > 0).astype(np.uint8), np.ones((3, 3)))
            edge = (alpha > 0) & (inner == 0)
            alpha[edge] = np.minimum(alpha[edge], self.edge_alpha)
            objects.append(img)
        if not objects:
            raise ValueError(f'every occluder in {self.occluder_dir} is '
                             f'smaller than min_area={self.min_area} px')
        self._objects = objects
        return objects

    def _paste(self, img: np.ndarray, obj: np.ndarray,
               rng: np.random.Generator) -> None:
        s = rng.uniform(*self.scale)
        obj = cv2.resize(obj, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        oh, ow = obj.shape[:2]
        if oh < 1 or ow < 1:
            return
        h, w = img.shape[:2]
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        x0, y0 = int(cx - ow / 2), int(cy - oh / 2)
        ix0, iy0 = max(x0, 0), max(y0, 0)
        ix1, iy1 = min(x0 + ow, w), min(y0 + oh, h)
        if ix1 <= ix0 or iy1 <= iy0:
            return
        crop = obj[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
        a = crop[..., 3:4].astype(np.float32) / 255.
        region = img[iy0:iy1, ix0:ix1].astype(np.float32)
        img[iy0:iy1, ix0:ix1] = np.clip(
            a * crop[..., :3] + (1 - a) * region, 0, 255).astype(img.dtype)

    def transform(self, results: dict) -> dict:
        rng = np.random.default_rng(np.random.randint(2**31))
        if rng.random() >= self.prob:
            return results
        img = results['img']
        count = int(rng.integers(1, self.max_count + 1))
        if self.occluder_dir is None:
            from ..synthetic.render import draw_occluder
            canvas = img.astype(np.float32)
            for _ in range(count):
                draw_occluder(rng, canvas)
            results['img'] = np.clip(canvas, 0, 255).astype(img.dtype)
            return results
        objects = self._load()
        img = img.copy()
        for _ in range(count):
            self._paste(img, objects[int(rng.integers(len(objects)))], rng)
        results['img'] = img
        return results
