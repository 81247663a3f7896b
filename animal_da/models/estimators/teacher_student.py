"""A student and an EMA teacher, each an ordinary mmpose pose estimator."""
import contextlib
import copy
from typing import Dict, List, Optional, Union

import torch
from mmpose.registry import MODELS
from torch import Tensor

from ...pseudo_labels import (image_to_view, view_to_image,
                              view_to_view_affine, warp_heatmaps)
from .base import RecipePoseEstimator


@MODELS.register_module()
class TeacherStudentPoseEstimator(RecipePoseEstimator):
    """Base of teacher-student recipes (ScarceNet, UDA-Animal-Pose).

    Student and teacher are built from the same ``pose_estimator`` config
    (a ``TopdownPoseEstimator``); the teacher never gets gradients and is
    updated by ``EMATeacherHook``. Training data comes as named views
    (``SharedMultiBranch`` + ``mmdet.MultiBranchDataPreprocessor``);
    subclasses implement :meth:`loss` as a short list of named steps.
    Validation and testing use the teacher or the student
    (``semi_test_cfg.predict_on``); ``tools/export_model.py --which`` exports
    either as a plain mmpose model.

    Args:
        pose_estimator (dict): Config of the pose estimator.
        data_preprocessor (dict): Usually ``MultiBranchDataPreprocessor``
            wrapping the estimator's ``PoseDataPreprocessor``.
        semi_train_cfg (dict): Recipe settings (loss weights, filters...).
        semi_test_cfg (dict): ``predict_on``: ``teacher`` or ``student``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 pose_estimator: dict,
                 data_preprocessor: Optional[dict] = None,
                 semi_train_cfg: Optional[dict] = None,
                 semi_test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         semi_train_cfg=semi_train_cfg, init_cfg=init_cfg)
        self.student = MODELS.build(copy.deepcopy(pose_estimator))
        self.teacher = MODELS.build(copy.deepcopy(pose_estimator))
        for p in self.teacher.parameters():
            p.requires_grad = False
        self.semi_test_cfg = dict(semi_test_cfg or {})
        predict_on = self.semi_test_cfg.get('predict_on', 'teacher')
        if predict_on not in ('teacher', 'student'):
            raise ValueError(f'predict_on must be teacher or student, got '
                             f'{predict_on!r}')

    def pose_networks(self) -> List[torch.nn.Module]:
        """Student and teacher (a plain checkpoint loads into both)."""
        return [self.student, self.teacher]

    def warp_between_views(self, heatmaps: Tensor, src: List, dst: List,
                           stride: float) -> Tensor:
        """Soft heatmaps (B, K, H, W) of view ``src`` resampled into view
        ``dst`` (channels swapped where the two differ in flip)."""
        dev = heatmaps.device
        src_to_dst = view_to_view_affine(
            self.stack_meta(src, 'view_affine', dev),
            self.stack_meta(dst, 'view_affine', dev), stride)
        flips = self.stack_meta(src, 'flip', dev) ^ self.stack_meta(
            dst, 'flip', dev)
        return warp_heatmaps(heatmaps, src_to_dst, flips,
                             src[0].metainfo['flip_indices'])

    def forward(self, inputs: Union[Tensor, Dict[str, Tensor]],
                data_samples=None, mode: str = 'tensor'):
        """``loss`` takes named views; ``predict``/``tensor`` plain batches."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        net = getattr(self, self.semi_test_cfg.get('predict_on', 'teacher'))
        return net(inputs, data_samples, mode=mode)

    def loss(self, multi_inputs: Dict[str, Tensor],
             multi_samples: Dict[str, List]) -> dict:
        """The recipe; see subclasses."""
        raise NotImplementedError

    # ---- helpers shared by recipes -------------------------------------
    def heatmaps(self, net: torch.nn.Module, inputs: Tensor) -> Tensor:
        """Heatmaps of ``net`` (student or teacher) for a view."""
        with self.timed(self.forward_part(net)), self.no_grad_autocast(
                inputs):
            return net.head.forward(net.extract_feat(inputs)).float()

    def no_grad_autocast(self, inputs: Tensor):
        """Autocast for the passes without gradients (teacher targets,
        agreement views) when ``semi_train_cfg.no_grad_autocast`` names a
        dtype (``'bfloat16'``, ``'float16'`` on CUDA); otherwise, and for
        passes with gradients, nothing changes. A speed switch: the passes
        only give argmax locations, soft targets and BN statistics."""
        dtype = self.semi_train_cfg.get('no_grad_autocast')
        if dtype is None or torch.is_grad_enabled():
            return contextlib.nullcontext()
        return torch.autocast(device_type=inputs.device.type,
                              dtype=getattr(torch, dtype))

    def map_between_views(self, kpts: Tensor, src: List, dst: List,
                          stride: float) -> Tensor:
        """Heatmap keypoints (B, K, 2) of view ``src`` into view ``dst``."""
        dev = kpts.device
        flip_idx = src[0].metainfo['flip_indices']
        in_img = view_to_image(kpts * stride,
                               self.stack_meta(src, 'view_affine', dev),
                               self.stack_meta(src, 'flip', dev), flip_idx)
        return image_to_view(in_img, self.stack_meta(dst, 'view_affine', dev),
                             self.stack_meta(dst, 'flip', dev),
                             flip_idx) / stride
