"""Pseudo labels on disk: COCO keypoint results with per-keypoint scores.

Each entry is a COCO result (``image_id``, ``category_id``, ``keypoints`` as
``[x, y, score] * K``, ``score``) plus the annotation ``id`` it labels, so
any COCO tool can open, review and edit the file.
"""
import json
import os.path as osp
from typing import Dict

import numpy as np


def load_pseudo_labels(path: str) -> Dict[int, np.ndarray]:
    """Read a pseudo-label file.

    Args:
        path (str): JSON written by ``tools/pseudo_label.py``.

    Returns:
        dict: annotation id -> (K, 3) array of x, y, score (image pixels).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'pseudo-label file {path} not found; make it '
                                'with tools/pseudo_label.py')
    with open(path) as f:
        data = json.load(f)
    entries = data['annotations'] if isinstance(data, dict) else data
    out = {}
    for e in entries:
        if 'id' not in e:
            raise ValueError(f'{path}: entries need the annotation "id" they '
                             'label')
        out[int(e['id'])] = np.asarray(e['keypoints'],
                                       np.float32).reshape(-1, 3)
    return out
