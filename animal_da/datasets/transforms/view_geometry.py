"""Record each view's geometry for the model-side view mapping."""
from typing import Dict

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import RandomHalfBody
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_warp_matrix

#: meta keys every multi-view branch should pack
VIEW_META_KEYS = ('id', 'img_id', 'img_path', 'category_id', 'ori_shape',
                  'img_shape', 'input_size', 'input_center', 'input_scale',
                  'flip', 'flip_direction', 'flip_indices', 'view_affine',
                  'is_labelled', 'raw_ann_info')


@TRANSFORMS.register_module()
class RecordViewGeometry(BaseTransform):
    """Store the image-to-input affine of a top-down view, flip included.

    Run it right after ``TopdownAffine``. It writes ``view_affine`` (2x3,
    original-image pixels to input pixels; a horizontal flip by
    ``RandomFlip`` earlier in the branch is folded in as ``x -> W - 1 - x``)
    and makes sure ``flip`` and ``is_labelled`` are set. Pack the view with
    ``PackPoseInputs(meta_keys=VIEW_META_KEYS)``.
    """

    def transform(self, results: Dict) -> Dict:
        if 'input_center' not in results:
            raise KeyError('RecordViewGeometry must follow TopdownAffine')
        w, h = results['input_size']
        rot = float(results['bbox_rotation'][0]) if 'bbox_rotation' in \
            results else 0.
        mat = np.concatenate([
            get_warp_matrix(results['input_center'], results['input_scale'],
                            rot, output_size=(w, h)), [[0, 0, 1]]
        ])
        flip = bool(results.get('flip', False))
        if flip:
            if results.get('flip_direction', 'horizontal') != 'horizontal':
                raise ValueError('only horizontal flips are supported')
            img_w = results['ori_shape'][1]
            mirror = np.array([[-1., 0, img_w - 1], [0, 1, 0], [0, 0, 1]])
            mat = mat @ mirror
        results['view_affine'] = mat[:2].astype(np.float32)
        results['flip'] = flip
        results.setdefault('is_labelled', True)
        return results


@TRANSFORMS.register_module()
class SafeRandomHalfBody(RandomHalfBody):
    """mmpose's ``RandomHalfBody`` that keeps the original box when the
    half-body box would be degenerate.

    With pseudo labels, the selected keypoints can coincide (a weak model
    puts several joints on one pixel); mmpose then builds a zero-size box and
    the crop's affine is singular. Such samples keep their full box. Sets
    ``half_body`` (whether the box changed), which ``SemanticPartCanvas``
    reads.

    Args:
        min_size (float): Smallest accepted side of the half-body box, in
            image pixels.
        **kwargs: As for mmpose's ``RandomHalfBody``.
    """

    def __init__(self, min_size: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.min_size = min_size

    def transform(self, results: Dict) -> Dict:
        center = results['bbox_center'].copy()
        scale = results['bbox_scale'].copy()
        results = super().transform(results)
        if np.any(results['bbox_scale'] < self.min_size):
            results['bbox_center'], results['bbox_scale'] = center, scale
        # whether the crop is a half-body one (ASDA skips those)
        results['half_body'] = bool(
            not np.array_equal(results['bbox_scale'], scale) or
            not np.array_equal(results['bbox_center'], center))
        return results


@TRANSFORMS.register_module()
class RandomCropShear(BaseTransform):
    """Per-axis scale and shear of the top-down crop, the part of imgaug's
    ``Affine`` that mmpose's ``RandomBBoxTransform`` (isotropic scale,
    shift, rotation) lacks; UDA-Animal-Pose's stage-1 chain uses it
    (METHODS.md 1.3: scale 0.5-1.5 per axis, shear +-20 degrees).

    Run it after ``TopdownAffine`` (and after ``RecordViewGeometry`` in a
    multi-view branch: its ``view_affine`` is updated) and before
    ``GenerateTarget``. The crop image and ``transformed_keypoints`` are
    warped about the crop centre by ``[[sx, tan(shear) sy], [0, sy]]``;
    keypoints that leave the crop are dropped by the target encoder as usual.

    Args:
        prob (float): Probability of warping a sample.
        axis_scale (tuple): Range of the independent x and y scale factors.
        shear (float): Largest shear angle along x, in degrees.
        border_value (int): Fill value outside the warped image.
    """

    def __init__(self, prob: float = 0.5, axis_scale=(1.0, 1.0),
                 shear: float = 20.0, border_value: int = 0):
        lo, hi = axis_scale
        if not 0 < lo <= hi:
            raise ValueError(f'axis_scale must be 0 < low <= high, got '
                             f'{axis_scale}')
        if not 0 <= shear < 90:
            raise ValueError(f'shear must be in [0, 90) degrees, got {shear}')
        self.prob, self.axis_scale = prob, (float(lo), float(hi))
        self.shear, self.border_value = float(shear), border_value

    def matrix(self, w: int, h: int) -> np.ndarray:
        """A random 3x3 crop-pixel warp about the crop centre."""
        sx, sy = np.random.uniform(*self.axis_scale, size=2)
        t = np.tan(np.deg2rad(np.random.uniform(-self.shear, self.shear)))
        cx, cy = (w - 1) / 2., (h - 1) / 2.
        to_c = np.array([[1., 0, -cx], [0, 1, -cy], [0, 0, 1]])
        back = np.array([[1., 0, cx], [0, 1, cy], [0, 0, 1]])
        warp = np.array([[sx, t * sy, 0], [0, sy, 0], [0, 0, 1]])
        return back @ warp @ to_c

    def transform(self, results: Dict) -> Dict:
        if 'transformed_keypoints' not in results and 'keypoints' in results:
            raise KeyError('RandomCropShear must follow TopdownAffine')
        if np.random.rand() >= self.prob:
            return results
        h, w = results['img'].shape[:2]
        mat = self.matrix(w, h)
        results['img'] = cv2.warpAffine(
            results['img'], mat[:2], (w, h), flags=cv2.INTER_LINEAR,
            borderValue=(self.border_value, ) * 3)
        kpts = results.get('transformed_keypoints')
        if kpts is not None:
            results['transformed_keypoints'] = (
                kpts @ mat[:2, :2].T + mat[:2, 2]).astype(kpts.dtype)
        if 'view_affine' in results:
            view = np.concatenate([results['view_affine'], [[0, 0, 1]]])
            results['view_affine'] = (mat @ view)[:2].astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, axis_scale='
                f'{self.axis_scale}, shear={self.shear})')
