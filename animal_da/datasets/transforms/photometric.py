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


@TRANSFORMS.register_module()
class NoiseBlurContrast(BaseTransform):
    """The photometric part of UDA-Animal-Pose's stage-1 imgaug chain.

    Each step is applied with probability ``prob`` in random order
    (METHODS.md 1.3): additive Gaussian noise with std up to ``noise_std``
    (per channel with probability 0.5), Gaussian blur with sigma in
    ``blur_sigma``, and contrast normalisation by a factor in ``contrast``
    (per channel with probability 0.5). Paper values at 256 px: noise 0.5 x
    255, blur 1-5, contrast 0.5-2; ``blur_sigma`` is in pixels of the image
    the transform sees (scale it for smaller crops).

    Args:
        prob (float): Probability of each step.
        noise_std (float): Largest noise std (0-255 scale).
        blur_sigma (tuple): Blur sigma range.
        contrast (tuple): Contrast factor range.
    """

    def __init__(self, prob: float = 0.5, noise_std: float = 0.5 * 255,
                 blur_sigma=(1.0, 5.0), contrast=(0.5, 2.0)):
        self.prob, self.noise_std = prob, noise_std
        self.blur_sigma, self.contrast = tuple(blur_sigma), tuple(contrast)

    def transform(self, results: Dict) -> Dict:
        import cv2
        img = results['img'].astype(np.float32)
        for step in np.random.permutation(3):
            if np.random.rand() >= self.prob:
                continue
            per_channel = np.random.rand() < 0.5
            shape = (1, 1, img.shape[2]) if per_channel else (1, 1, 1)
            if step == 0:
                std = np.random.uniform(0, self.noise_std)
                noise = np.empty(img.shape[:2] + (
                    img.shape[2] if per_channel else 1, ), np.float32)
                # OpenCV draws float32 normals 4x faster than NumPy's legacy
                # float64 ones; seeded from NumPy's state (which mmengine
                # seeds per worker), so runs stay reproducible
                cv2.setRNGSeed(int(np.random.randint(2**31 - 1)))
                cv2.randn(noise.reshape(noise.shape[0], -1), 0., float(std))
                img = img + noise
            elif step == 1:
                img = cv2.GaussianBlur(img, (0, 0),
                                       np.random.uniform(*self.blur_sigma))
            else:
                alpha = np.random.uniform(*self.contrast, size=shape)
                img = (img - 128) * alpha.astype(np.float32) + 128
        results['img'] = np.clip(img, 0, 255).astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class BrightnessContrast(BaseTransform):
    """UDA-Animal-Pose's target-view jitter (METHODS.md 1.6): with
    probability ``prob``, ``img = c (img - mean) + mean + b`` with
    ``c ~ U(contrast)`` and ``b ~ U(brightness) x 255``, clipped.

    Args:
        prob (float): Probability of applying it.
        contrast (tuple): Range of the contrast factor (paper 0.8-1.2).
        brightness (tuple): Range of the offset as a fraction of 255
            (paper -0.2-0.2).
    """

    def __init__(self, prob: float = 0.5, contrast=(0.8, 1.2),
                 brightness=(-0.2, 0.2)):
        self.prob = prob
        self.contrast, self.brightness = tuple(contrast), tuple(brightness)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img'].astype(np.float32)
        mean = img.mean(axis=(0, 1), keepdims=True)
        img = np.random.uniform(*self.contrast) * (img - mean) + mean + \
            np.random.uniform(*self.brightness) * 255
        results['img'] = np.clip(img, 0, 255).astype(np.uint8)
        return results
