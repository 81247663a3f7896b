"""Record each view's geometry for the model-side view mapping."""
from typing import Dict

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
    the crop's affine is singular. Such samples keep their full box.

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
        return results
