"""ScarceNet's strong photometric augmentation (METHODS.md 2.6)."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from PIL import Image, ImageEnhance, ImageOps


def _enhance(kind):
    def op(img: Image.Image, v: int) -> Image.Image:
        return getattr(ImageEnhance, kind)(img).enhance(0.9 * v / 10 + 0.05)
    return op


# FixMatch-style pool of ScarceNet (lib/utils/augmentation_pool.py): the
# geometric ops are left out because keypoint targets are already rendered
_POOL = {
    'AutoContrast': lambda img, v: ImageOps.autocontrast(img),
    'Brightness': _enhance('Brightness'),
    'Color': _enhance('Color'),
    'Contrast': _enhance('Contrast'),
    'Equalize': lambda img, v: ImageOps.equalize(img),
    'Identity': lambda img, v: img,
    'Posterize': lambda img, v: ImageOps.posterize(img, int(0.4 * v) + 4),
    'Sharpness': _enhance('Sharpness'),
    'Solarize': lambda img, v: ImageOps.solarize(img, 256 - int(25.6 * v)),
}


@TRANSFORMS.register_module()
class RandAugmentPose(BaseTransform):
    """RandAugmentMC with photometric ops only (labels stay valid).

    Draws ``n`` ops with replacement; each is applied with probability
    ``prob`` at magnitude ``v ~ randint[1, m)``. Enhance factors are
    ``0.9 v / 10 + 0.05``, Posterize bits ``int(0.4 v) + 4``, Solarize
    threshold ``256 - int(25.6 v)``, as in ScarceNet.

    Args:
        n (int): Ops per image.
        m (int): Magnitude bound.
        prob (float): Probability of applying each drawn op.
    """

    def __init__(self, n: int = 2, m: int = 10, prob: float = 0.5):
        self.n, self.m, self.prob = n, m, prob
        self.ops = list(_POOL)

    def transform(self, results: Dict) -> Dict:
        img = Image.fromarray(results['img'][..., ::-1])  # BGR -> RGB
        for name in np.random.choice(self.ops, self.n):
            if np.random.rand() < self.prob:
                img = _POOL[name](img, np.random.randint(1, self.m))
        results['img'] = np.ascontiguousarray(np.asarray(img)[..., ::-1])
        return results


@TRANSFORMS.register_module()
class GreyCutout(BaseTransform):
    """Paste ``num_holes`` grey squares at uniform random centres.

    ScarceNet: with probability 0.5, six 32x32 squares of value 127 on the
    256x256 input (``size`` scales with the input).

    Args:
        num_holes (int): Squares per image.
        size (int): Square side in input pixels.
        prob (float): Probability of cutting at all.
        value (int): Fill value.
    """

    def __init__(self, num_holes: int = 6, size: int = 32, prob: float = 0.5,
                 value: int = 127):
        self.num_holes, self.size = num_holes, size
        self.prob, self.value = prob, value

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        h, w = img.shape[:2]
        for _ in range(self.num_holes):
            cx, cy = np.random.randint(w), np.random.randint(h)
            x0, x1 = max(0, cx - self.size // 2), min(w, cx + self.size // 2)
            y0, y1 = max(0, cy - self.size // 2), min(h, cy + self.size // 2)
            img[y0:y1, x0:x1] = self.value
        results['img'] = img
        return results
