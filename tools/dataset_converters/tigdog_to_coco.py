"""Convert TigDog (behaviorDiscovery2.0) and the synthetic animals of Mu et
al. to COCO keypoint files with UDA-Animal-Pose's 18 keypoints.

TigDog: ``ROOT/behaviorDiscovery2.0/ranges/ANIMAL/ranges.mat`` (rows: shot id,
first frame, last frame), ``ROOT/behaviorDiscovery2.0/landmarks/ANIMAL/
SHOT.mat`` (per frame: 19 x 2 coordinates and 19 x 1 visibility) and frames
``ROOT/behaviorDiscovery2.0/ANIMAL/%08d.jpg``. As the paper's code does, the
first 18 landmarks are kept, tiger landmarks are re-ordered to horse order,
frames with at most 9 visible keypoints are dropped, and the box is the
visible keypoints' extent +-15 px, clipped. Image entries keep ``video_id``
(the shot) and ``frame_id`` for video-level splits and temporal checks.

Synthetic animals: ``ROOT/ANIMAL_combineds5r5_texture/*img.png`` with
``*kpts.npy`` (18 x 2 or 18 x 3); every keypoint visible, the box is the
keypoints' extent clipped to the image.

Examples:
    python tools/dataset_converters/tigdog_to_coco.py tigdog \\
        --root data/tigdog --animal horse tiger \\
        --frame-idxs horse_train_idxs_by_video.npy tiger_train_idxs_by_video.npy \\
        --out data/tigdog/annotations/train.json
    python tools/dataset_converters/tigdog_to_coco.py synthetic \\
        --root data/synthetic_animal --animal horse tiger \\
        --out data/synthetic_animal/annotations/train.json
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np

NUM_KEYPOINTS = 18
CATEGORIES = [dict(id=1, name='horse', supercategory='Equidae'),
              dict(id=2, name='tiger', supercategory='Felidae')]
#: UDA-Animal-Pose's 1-based tiger -> horse landmark order
TIGER_TO_HORSE = [1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 18, 13, 14, 9, 10, 11,
                  12]


def _category(animal: str) -> int:
    for c in CATEGORIES:
        if c['name'] == animal:
            return c['id']
    raise ValueError(f'animal must be horse or tiger, got {animal!r}')


def _image_size(path: str):
    from PIL import Image
    if not osp.isfile(path):
        raise FileNotFoundError(f'frame {path} not found')
    with Image.open(path) as im:
        return im.size  # (width, height)


def _annotation(ann_id: int, img_id: int, cat: int, kpts: np.ndarray,
                width: int, height: int, margin: float) -> dict:
    vis = kpts[:, 2] > 0
    xs, ys = kpts[vis, 0], kpts[vis, 1]
    x0, y0 = max(xs.min() - margin, 0.), max(ys.min() - margin, 0.)
    x1 = min(xs.max() + margin, float(width))
    y1 = min(ys.max() + margin, float(height))
    flat = np.concatenate([kpts[:, :2], np.where(vis, 2, 0)[:, None]], 1)
    flat[~vis, :2] = 0
    return dict(id=ann_id, image_id=img_id, category_id=cat,
                bbox=[float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
                area=float((x1 - x0) * (y1 - y0)), iscrowd=0,
                num_keypoints=int(vis.sum()),
                keypoints=[float(v) for v in flat.reshape(-1)])


def _frame_landmarks(landmarks, frame_id: int) -> np.ndarray:
    """(19, 3) x, y, visibility of one frame of a shot's landmark file."""
    entry = landmarks[frame_id][0][0][0]
    coords = np.asarray(entry[0], dtype=np.float64).reshape(-1, 2)
    vis = np.asarray(entry[1], dtype=np.float64).reshape(-1, 1)
    return np.hstack([coords, vis])


def convert_tigdog(root: str, animal: str,
                   frame_idxs: Optional[Sequence[int]] = None) -> dict:
    """COCO dict of one TigDog animal (optionally only the filtered frames
    at ``frame_idxs``, e.g. a video-level split)."""
    from scipy.io import loadmat
    base = osp.join(root, 'behaviorDiscovery2.0')
    ranges_file = osp.join(base, 'ranges', animal, 'ranges.mat')
    if not osp.isfile(ranges_file):
        raise FileNotFoundError(f'{ranges_file} not found; --root must hold '
                                'behaviorDiscovery2.0/')
    cat = _category(animal)
    frames = []
    for shot, start, end in np.asarray(loadmat(ranges_file)['ranges'],
                                       dtype=np.int64):
        lm_file = osp.join(base, 'landmarks', animal, f'{shot}.mat')
        if not osp.isfile(lm_file):
            continue
        landmarks = loadmat(lm_file)['landmarks']
        for frame in range(start, end + 1):
            kpts = _frame_landmarks(landmarks, frame - start)[:NUM_KEYPOINTS]
            if animal == 'tiger':
                kpts = kpts[np.array(TIGER_TO_HORSE) - 1]
            if kpts[:, 2].sum() > NUM_KEYPOINTS // 2:
                frames.append((int(shot), int(frame), int(frame - start),
                               kpts))
    if frame_idxs is not None:
        frames = [frames[i] for i in frame_idxs]
    images, anns = [], []
    for i, (shot, frame, frame_id, kpts) in enumerate(frames, 1):
        name = osp.join(animal, f'{frame:08d}.jpg')
        width, height = _image_size(osp.join(base, name))
        images.append(dict(id=i, file_name=name, width=width, height=height,
                           video_id=shot, frame_id=frame_id))
        anns.append(_annotation(i, i, cat, kpts, width, height, 15.))
    return dict(images=images, annotations=anns, categories=CATEGORIES)


def convert_synthetic(root: str, animal: str) -> dict:
    """COCO dict of one animal of the synthetic set of Mu et al."""
    folder = osp.join(root, f'{animal}_combineds5r5_texture')
    files = sorted(glob.glob(osp.join(folder, '*img.png')))
    if not files:
        raise FileNotFoundError(f'no *img.png renders in {folder}')
    cat = _category(animal)
    images, anns = [], []
    for i, path in enumerate(files, 1):
        kpts = np.load(path[:-len('img.png')] + 'kpts.npy').astype(
            np.float64)[:NUM_KEYPOINTS, :2]
        kpts = np.hstack([kpts, np.ones((len(kpts), 1))])
        width, height = _image_size(path)
        images.append(dict(id=i, file_name=osp.relpath(path, root),
                           width=width, height=height))
        anns.append(_annotation(i, i, cat, kpts, width, height, 0.))
    return dict(images=images, annotations=anns, categories=CATEGORIES)


def merge(parts: List[dict]) -> dict:
    """One COCO dict from several (ids renumbered, e.g. horse + tiger)."""
    images, anns = [], []
    for part in parts:
        remap = {}
        for img in part['images']:
            remap[img['id']] = len(images) + 1
            images.append(dict(img, id=len(images) + 1))
        for ann in part['annotations']:
            anns.append(dict(ann, id=len(anns) + 1,
                             image_id=remap[ann['image_id']]))
    return dict(images=images, annotations=anns, categories=CATEGORIES)


def _read_idxs(path: str) -> List[int]:
    if path.endswith('.npy'):
        return np.load(path).tolist()
    with open(path) as f:
        return json.load(f)


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', choices=['tigdog', 'synthetic'])
    parser.add_argument('--root', required=True)
    parser.add_argument('--animal', required=True, nargs='+',
                        choices=['horse', 'tiger'],
                        help='one or both (one file, ids renumbered)')
    parser.add_argument('--out', required=True, help='COCO JSON to write')
    parser.add_argument('--frame-idxs', nargs='+',
                        help='TigDog, one per animal: .npy or JSON list of '
                        'indices into the filtered frames in the order '
                        'above (e.g. train_idxs_by_video.npy)')
    args = parser.parse_args(argv)
    if args.frame_idxs and len(args.frame_idxs) != len(args.animal):
        parser.error('give one --frame-idxs file per animal')
    parts = []
    for i, animal in enumerate(args.animal):
        if args.source == 'tigdog':
            idxs = _read_idxs(args.frame_idxs[i]) if args.frame_idxs \
                else None
            parts.append(convert_tigdog(args.root, animal, idxs))
        else:
            parts.append(convert_synthetic(args.root, animal))
    coco = merge(parts)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(coco, f)
    os.replace(tmp, args.out)
    print(f'{len(coco["images"])} images -> {args.out}')
    return args.out


if __name__ == '__main__':
    main(sys.argv[1:])
