"""PCK normalised by the input crop, as the TigDog papers report it."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.evaluation.functional import keypoint_pck_accuracy
from mmpose.registry import METRICS


@METRICS.register_module()
class CropPCKAccuracy(BaseMetric):
    """PCK with the threshold a fraction of the top-down input crop's side.

    UDA-Animal-Pose and its successors count a joint as correct when it lies
    within ``0.05 x`` the side of the square input crop (heatmap side / 10 at
    threshold 0.5), the crop being 1.25 x the longer side of the box
    (METHODS.md 1.7). mmpose's ``PCKAccuracy(norm_item='bbox')`` normalises by
    the box instead, so the same threshold is stricter there. The crop side is
    the longer side of each sample's ``input_scale`` (set by
    ``GetBBoxCenterScale``, padding included). Aggregation is mmpose's: the
    mean over joints of per-joint accuracy over all instances.

    Args:
        thr (float): Threshold as a fraction of the crop side.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = 'crop'

    def __init__(self, thr: float = 0.05, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thr = thr

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Keep predictions, ground truth and crop sides of a batch."""
        for sample in data_samples:
            gt = sample['gt_instances']
            mask = np.asarray(gt['keypoints_visible']).astype(bool)
            if mask.ndim == 3:
                mask = mask[..., 0]
            side = float(np.max(sample['input_scale']))
            self.results.append(
                dict(pred=sample['pred_instances']['keypoints'][:1],
                     gt=gt['keypoints'][:1], mask=mask.reshape(1, -1),
                     side=np.full((1, 2), side, dtype=np.float32)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """PCK over all kept samples, in [0, 1] like mmpose's PCK."""
        MMLogger.get_current_instance().info(
            f'Evaluating {self.__class__.__name__} (normalised by the input '
            f'crop side, thr={self.thr})...')
        cat = {k: np.concatenate([r[k] for r in results]) for k in results[0]}
        _, pck, _ = keypoint_pck_accuracy(cat['pred'], cat['gt'], cat['mask'],
                                          self.thr, cat['side'])
        return {'PCK': float(pck)}
