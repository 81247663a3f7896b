"""PCK normalised by the input crop, as the TigDog papers report it."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

#: UDA-Animal-Pose's part groups of the 18 TigDog keypoints (METHODS.md 1.3)
TIGDOG_PARTS = dict(eyes=[0, 1], chin=[2], hooves=[3, 4, 5, 6], hip=[7],
                    knees=[8, 9, 10, 11], shoulders=[12, 13],
                    elbows=[14, 15, 16, 17])
#: the same groups for AP-10K's 17 keypoints
AP10K_PARTS = dict(eyes=[0, 1], nose=[2], neck=[3], tail=[4],
                   shoulders=[5, 8], elbows=[6, 9], front_paws=[7, 10],
                   hips=[11, 14], knees=[12, 15], back_paws=[13, 16])


@METRICS.register_module()
class CropPCKAccuracy(BaseMetric):
    """PCK with the threshold a fraction of the top-down input crop's side.

    UDA-Animal-Pose and its successors count a joint as correct when it lies
    within ``0.05 x`` the side of the square input crop (heatmap side / 10 at
    threshold 0.5), the crop being 1.25 x the longer side of the box
    (METHODS.md 1.7). mmpose's ``PCKAccuracy(norm_item='bbox')`` normalises by
    the box instead, so the same threshold is stricter there. The crop side is
    the longer side of each sample's ``input_scale`` (set by
    ``GetBBoxCenterScale``, padding included).

    Aggregation:
        - ``pooled`` (default, mmpose's): mean over joints of per-joint
          accuracy over all instances.
        - ``batch_mean`` (the TigDog papers' code): instances in test order
          are cut into batches of ``batch_size`` (6 there); each batch scores
          the mean over joints (with a valid ground truth in the batch) of
          per-joint accuracy; the headline is the batch-size-weighted mean
          over batches, per-part scores the unweighted mean over batches.

    ``parts`` adds one score per part group (``PCK_<name>``), e.g.
    :data:`TIGDOG_PARTS` or :data:`AP10K_PARTS`.

    With ``heatmap_size`` set, ground truth is snapped to the heatmap grid
    and joints on its first row/column dropped, as the papers' code takes GT
    from the argmax of the target heatmap with a 1-based coordinate > 1; for
    their integer-argmax predictions use a codec without sub-pixel shift.

    Args:
        thr (float): Threshold as a fraction of the crop side.
        aggregation (str): ``pooled`` or ``batch_mean``.
        batch_size (int): Batch size of ``batch_mean``.
        parts (dict, optional): Part name to keypoint indices.
        heatmap_size (int, optional): Side of the (square) heatmap for the
            GT snapping of the parity mode.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Metric name prefix.
    """
    default_prefix: Optional[str] = 'crop'

    def __init__(self, thr: float = 0.05, aggregation: str = 'pooled',
                 batch_size: int = 6,
                 parts: Optional[Dict[str, Sequence[int]]] = None,
                 heatmap_size: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if aggregation not in ('pooled', 'batch_mean'):
            raise ValueError(f'aggregation must be pooled or batch_mean, got '
                             f'{aggregation!r}')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.thr = thr
        self.aggregation = aggregation
        self.batch_size = batch_size
        self.parts = {k: list(v) for k, v in (parts or {}).items()}
        self.heatmap_size = heatmap_size

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Keep predictions, ground truth and crop sides of a batch."""
        for sample in data_samples:
            gt = sample['gt_instances']
            mask = np.asarray(gt['keypoints_visible']).astype(bool)
            if mask.ndim == 3:
                mask = mask[..., 0]
            kpts = np.asarray(gt['keypoints'][:1], dtype=np.float64)
            mask = mask.reshape(1, -1)
            side = float(np.max(sample['input_scale']))
            if self.heatmap_size:
                kpts, mask = self._snap(kpts, mask, sample)
            self.results.append(
                dict(pred=np.asarray(
                    sample['pred_instances']['keypoints'][:1]),
                     gt=kpts, mask=mask, side=side))

    def _snap(self, kpts: np.ndarray, mask: np.ndarray, sample: dict):
        """GT on the heatmap grid; joints at grid index 0 become invalid."""
        center = np.asarray(sample['input_center'], dtype=np.float64)
        scale = np.asarray(sample['input_scale'], dtype=np.float64)
        h = self.heatmap_size
        grid = np.round((kpts - center) / scale * h + h / 2)
        mask = mask & np.all(grid > 0, axis=-1)
        return (grid - h / 2) / h * scale + center, mask

    def _correct(self, results: list) -> tuple:
        """(N, K) correctness and validity."""
        pred = np.concatenate([r['pred'] for r in results])
        gt = np.concatenate([r['gt'] for r in results])
        valid = np.concatenate([r['mask'] for r in results])
        side = np.array([r['side'] for r in results])[:, None]
        dist = np.linalg.norm(pred - gt, axis=-1) / side
        return (dist < self.thr) & valid, valid

    @staticmethod
    def _joint_mean(correct: np.ndarray, valid: np.ndarray,
                    joints: Optional[Sequence[int]] = None) -> float:
        """Mean over joints with valid GT of per-joint accuracy (NaN: none)."""
        if joints is not None:
            correct, valid = correct[:, joints], valid[:, joints]
        n = valid.sum(0)
        keep = n > 0
        if not keep.any():
            return float('nan')
        return float((correct.sum(0)[keep] / n[keep]).mean())

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """PCK (and per-part PCK), in [0, 1] like mmpose's PCK."""
        MMLogger.get_current_instance().info(
            f'Evaluating {self.__class__.__name__} (normalised by the input '
            f'crop side, thr={self.thr}, {self.aggregation})...')
        correct, valid = self._correct(results)
        names = [None] + list(self.parts)
        if self.aggregation == 'pooled':
            scores = {n: self._joint_mean(correct, valid,
                                          self.parts.get(n)) for n in names}
        else:
            per_batch = {n: [] for n in names}
            sizes = []
            for s in range(0, len(correct), self.batch_size):
                c, v = correct[s:s + self.batch_size], valid[s:s +
                                                             self.batch_size]
                sizes.append(len(c))
                for n in names:
                    per_batch[n].append(self._joint_mean(
                        c, v, self.parts.get(n)))
            head = np.array(per_batch[None])
            ok = ~np.isnan(head)
            scores = {None: float(np.average(head[ok],
                                             weights=np.array(sizes)[ok]))
                      if ok.any() else float('nan')}
            for n in self.parts:
                vals = np.array(per_batch[n])
                scores[n] = float(np.nanmean(vals)) if (
                    ~np.isnan(vals)).any() else float('nan')
        out = {'PCK': scores[None]}
        out.update({f'PCK_{n}': scores[n] for n in self.parts})
        return out
