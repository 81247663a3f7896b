"""A student and an EMA teacher, each an ordinary mmpose pose estimator."""
import copy
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmpose.registry import MODELS
from torch import Tensor

from ...pseudo_labels import (image_to_view, view_to_image,
                              view_to_view_affine, warp_heatmaps)


@MODELS.register_module()
class TeacherStudentPoseEstimator(BaseModel):
    """Base of teacher-student recipes (ScarceNet, UDA-Animal-Pose).

    Student and teacher are built from the same ``pose_estimator`` config
    (a ``TopdownPoseEstimator``); the teacher never gets gradients and is
    updated by ``EMATeacherHook``. Training data comes as named views
    (``mmdet.MultiBranch`` + ``mmdet.MultiBranchDataPreprocessor``);
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
                         init_cfg=init_cfg)
        self.student = MODELS.build(copy.deepcopy(pose_estimator))
        self.teacher = MODELS.build(copy.deepcopy(pose_estimator))
        for p in self.teacher.parameters():
            p.requires_grad = False
        self.semi_train_cfg = dict(semi_train_cfg or {})
        self.semi_test_cfg = dict(semi_test_cfg or {})
        predict_on = self.semi_test_cfg.get('predict_on', 'teacher')
        if predict_on not in ('teacher', 'student'):
            raise ValueError(f'predict_on must be teacher or student, got '
                             f'{predict_on!r}')
        #: values set by ScheduledValuesHook (e.g. consistency weight)
        self.scheduled: Dict[str, float] = {}

    def init_weights(self) -> None:
        """Initialise; a ``Pretrained`` ``init_cfg`` names a plain
        pose-estimator checkpoint (e.g. an exported stage-1 model) that is
        loaded, strictly, into both the student and the teacher."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            for net in (self.student, self.teacher):
                self.load_plain_checkpoint(net, cfg['checkpoint'])
            self._is_init = True
            return
        super().init_weights()

    def load_plain_checkpoint(self, net: torch.nn.Module, path: str) -> None:
        """Load a plain pose-estimator checkpoint into ``net``, strictly."""
        from mmengine.runner.checkpoint import load_checkpoint
        load_checkpoint(net, path, map_location='cpu', strict=True,
                        logger='current')

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

    @property
    def dataset_meta(self) -> Optional[dict]:
        return getattr(self.student, 'dataset_meta', None)

    @dataset_meta.setter
    def dataset_meta(self, meta: dict) -> None:
        self.student.dataset_meta = meta
        self.teacher.dataset_meta = meta

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
        return net.head.forward(net.extract_feat(inputs))

    @staticmethod
    def stack_meta(samples: List, key: str, device) -> Tensor:
        """Stack one metainfo entry of a view's samples into a tensor."""
        return torch.as_tensor(
            np.asarray([s.metainfo[key] for s in samples]), device=device,
            dtype=torch.float32 if key != 'flip' else torch.bool)

    def targets(self, samples: List, device) -> tuple:
        """A view's target heatmaps (B, K, H, W) and weights (B, K)."""
        heat = torch.stack([s.gt_fields.heatmaps for s in samples]).to(device)
        weights = torch.cat([torch.as_tensor(s.gt_instance_labels.
                                             keypoint_weights)
                             for s in samples]).to(device)
        return heat, weights

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
