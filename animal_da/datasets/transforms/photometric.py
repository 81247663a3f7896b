"""Photometric augmentation: ScarceNet's strong view (METHODS.md 2.6),
FreeNet's weak view (3.3), UDA-Animal-Pose's stage-1 chain and target jitter
(1.3, 1.6)."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps


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
class RandWeakAugment(BaseTransform):
    """FreeNet's ``RandWeakAugment(n=2, m=10)`` (METHODS.md 3.3), the aug
    view of its pixel-aligned ori/aug pair: photometric only, so ori and aug
    share keypoints and targets.

    Draws ``n`` ops with replacement from AutoContrast, Brightness, Color,
    Contrast, Equalize, Identity, Posterize, Sharpness, Solarize, CutoutMore
    and Blur; each is applied with probability ``p ~ U(0.2, 0.8)``, always
    at magnitude ``m`` (out of 10). At ``m = 10``: enhance factor 0.95,
    CutoutMore 1-5 grey (128) squares of side 5 % of the crop, Blur a PIL
    Gaussian of radius ``blur_radius``.

    Args:
        n (int): Ops per image.
        m (int): Magnitude (0-10).
        solarize_inverts (bool): FreeNet's effective Solarize [True: the
            threshold ``255 - 256 m / 10`` is -1 at m = 10, so the whole
            image is inverted]; False uses threshold 128.
        posterize_noop (bool): FreeNet's effective Posterize [True: ``8 -
            round(0.4 m) + 4`` bits = 8 at m = 10, a no-op]; False keeps 4
            bits.
        blur_radius (float): PIL blur radius [3 at 256 px; scale it with
            the input].
    """
    OPS = ('AutoContrast', 'Brightness', 'Color', 'Contrast', 'Equalize',
           'Identity', 'Posterize', 'Sharpness', 'Solarize', 'CutoutMore',
           'Blur')

    def __init__(self, n: int = 2, m: int = 10, solarize_inverts: bool = True,
                 posterize_noop: bool = True, blur_radius: float = 3.0):
        if not 0 <= m <= 10:
            raise ValueError(f'magnitude m must be in [0, 10], got {m}')
        self.n, self.m = int(n), m
        self.solarize_inverts = solarize_inverts
        self.posterize_noop = posterize_noop
        self.blur_radius = blur_radius

    def _op(self, name: str, img: Image.Image) -> Image.Image:
        m = self.m
        if name in ('Brightness', 'Color', 'Contrast', 'Sharpness'):
            return getattr(ImageEnhance, name)(img).enhance(
                0.9 * m / 10 + 0.05)
        if name == 'AutoContrast':
            return ImageOps.autocontrast(img)
        if name == 'Equalize':
            return ImageOps.equalize(img)
        if name == 'Posterize':
            bits = 8 - int(round(0.4 * m)) + 4 if self.posterize_noop else 4
            return ImageOps.posterize(img, min(8, bits))
        if name == 'Solarize':
            thr = 255 - int(25.6 * m) if self.solarize_inverts else 128
            return ImageOps.invert(img) if thr < 0 else ImageOps.solarize(
                img, thr)
        if name == 'CutoutMore' and m > 0:
            w, h = img.size
            side = int(0.05 * m / 10 * min(w, h))
            img = img.copy()
            draw = ImageDraw.Draw(img)
            for _ in range(np.random.randint(1, 6)):
                x0 = int(max(0, np.random.uniform(0, w) - side / 2))
                y0 = int(max(0, np.random.uniform(0, h) - side / 2))
                draw.rectangle((x0, y0, min(w, x0 + side), min(h, y0 + side)),
                               (128, 128, 128))
            return img
        if name == 'Blur' and m > 0:
            return img.filter(ImageFilter.GaussianBlur(self.blur_radius))
        return img  # Identity (and the m = 0 no-ops)

    def transform(self, results: Dict) -> Dict:
        img = Image.fromarray(results['img'][..., ::-1])  # BGR -> RGB
        for name in np.random.choice(self.OPS, self.n):
            if np.random.rand() <= np.random.uniform(0.2, 0.8):
                img = self._op(name, img)
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
