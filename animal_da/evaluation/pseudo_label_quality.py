"""How good pseudo labels are, on data whose labels were hidden (the
generated animals): precision and recall of the kept keypoints, and the
hidden labels written as a pseudo-label file (a control for benchmarks)."""
from typing import Dict

import numpy as np

from ..pseudo_labels import build_filter, load_pseudo_labels
from ..utils import dump_json_atomic


def pseudo_label_quality(pl_file: str, dataset, filter_cfg: dict,
                         thr: float = 0.05) -> Dict[str, float]:
    """Precision and recall of filtered pseudo labels against the hidden
    labels of an unlabelled view (only possible on data that has them).

    A kept keypoint is correct within ``thr`` times the instance's crop side
    (1.25 x the longer box side).

    Args:
        pl_file (str): Pseudo-label file.
        dataset: A ``SemiPoseDataset`` whose unlabelled instances keep
            ``hidden_keypoints``.
        filter_cfg (dict): The filter that turns scores into kept keypoints.
        thr (float): Distance threshold.

    Returns:
        dict: ``precision``, ``recall`` and ``kept`` (fraction of keypoints),
        in percent.
    """
    labels = load_pseudo_labels(pl_file)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    infos = [i for i in infos if 'hidden_keypoints' in i and
             int(i['id']) in labels]
    if not infos:
        raise ValueError(f'no unlabelled instances of {pl_file} have hidden '
                         'labels to compare with')
    pl = np.stack([labels[int(i['id'])] for i in infos])
    keep = build_filter(filter_cfg)(pl[..., 2])
    gt = np.stack([i['hidden_keypoints'][0] for i in infos])
    vis = np.stack([i['hidden_keypoints_visible'][0] for i in infos]) > 0
    side = np.array([1.25 * np.max(i['bbox'][0][2:] - i['bbox'][0][:2])
                     for i in infos])
    close = np.linalg.norm(pl[..., :2] - gt, axis=-1) < thr * side[:, None]
    correct = keep & vis & close
    return dict(precision=100 * correct.sum() / max(1, keep.sum()),
                recall=100 * correct.sum() / max(1, vis.sum()),
                kept=100 * keep.mean())


def hidden_labels_as_pseudo_labels(dataset, out: str) -> int:
    """Write the hidden labels of an unlabelled view as a pseudo-label file.

    A control for benchmarks on data that has the labels: stage 2 trained
    from this file (kept with ``GlobalPercentileFilter(percentile=0)``)
    separates what a recipe loses to wrong pseudo labels from what its
    training step costs. Score 1 where a keypoint is labelled, else 0.

    Args:
        dataset: A ``SemiPoseDataset`` whose unlabelled instances keep
            ``hidden_keypoints``.
        out (str): Output JSON (written atomically).

    Returns:
        int: Number of instances written.
    """
    entries = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if 'hidden_keypoints' not in info:
            continue
        kpts = np.asarray(info['hidden_keypoints'][0], np.float64)
        vis = np.asarray(info['hidden_keypoints_visible'][0]) > 0
        flat = np.concatenate([kpts, vis[:, None].astype(np.float64)], 1)
        entries.append(dict(id=int(info['id']),
                            image_id=int(info['img_id']),
                            category_id=int(info.get('category_id', 1)),
                            keypoints=[round(float(v), 2)
                                       for v in flat.reshape(-1)],
                            score=1.0))
    if not entries:
        raise ValueError('the dataset has no unlabelled instances with '
                         'hidden labels')
    dump_json_atomic(dict(info=dict(description='animal_da hidden labels '
                                    'as pseudo labels (a control)'),
                          annotations=entries), out)
    return len(entries)
