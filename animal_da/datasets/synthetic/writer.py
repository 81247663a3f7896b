"""Write generated animals as COCO keypoint files that mmpose reads unchanged.

Layout of a dataset folder ``OUT``::

    OUT/annotations/{split}.json     COCO keypoints (AP-10K's 17 keypoints)
    OUT/images/{split}/{index}.jpg
    OUT/meta.json                    generation parameters (written last)

Everything is written into a temporary sibling folder that is renamed to
``OUT`` at the end, so an interrupted run never leaves a folder that looks
complete.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .render import KEYPOINT_NAMES, render_sample
from .species import get_species
from .styles import get_style

#: split name -> (domain, size as a fraction of ``num_images``)
SPLITS: Dict[str, Tuple[str, float]] = {
    'source_train': ('source', 1.0),
    'source_val': ('source', 0.25),
    'target_train': ('target', 1.0),
    'target_val': ('target', 0.25),
    'target_test': ('target', 0.25),
}
GENERATOR_VERSION = 2


def ap10k_metainfo() -> dict:
    """AP-10K names, skeleton and flip pairs from mmpose's own metainfo."""
    import mmpose
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    return parse_pose_metainfo(dict(from_file=osp.join(
        osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
        'datasets', 'ap10k.py')))


def coco_categories(species: Optional[Sequence[str]] = None) -> List[dict]:
    """COCO ``categories`` entries, one per species, with AP-10K keypoints.

    Args:
        species (Sequence[str], optional): Species names (default: all).

    Returns:
        list[dict]: Categories with ``keypoints`` and 1-based ``skeleton``.
    """
    meta = ap10k_metainfo()
    names = [meta['keypoint_id2name'][i] for i in range(meta['num_keypoints'])]
    if tuple(names) != KEYPOINT_NAMES:
        raise RuntimeError('mmpose AP-10K keypoint names changed: '
                           f'{names} != {KEYPOINT_NAMES}')
    skeleton = [[int(a) + 1, int(b) + 1] for a, b in meta['skeleton_links']]
    return [
        dict(id=p.category_id, name=p.name, supercategory=p.family,
             keypoints=names, skeleton=skeleton) for p in get_species(species)
    ]


def _render_task(task: tuple) -> Tuple[dict, dict]:
    """Render and save one image; runs in a worker process."""
    (root, split, split_idx, index, seed, size, species, style_name) = task
    rng = np.random.default_rng([seed, split_idx, index])
    plans = get_species(species)
    plan = plans[index % len(plans)]
    out = render_sample(plan, get_style(style_name), rng, size)
    file_name = f'{split}/{index:06d}.jpg'
    ok, buf = cv2.imencode(
        '.jpg', cv2.cvtColor(out['image'], cv2.COLOR_RGB2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, out['jpeg_quality']])
    if not ok:
        raise RuntimeError(f'JPEG encoding failed for {file_name}')
    buf.tofile(osp.join(root, 'images', file_name))
    image_id = split_idx * 1_000_000 + index + 1
    kps = [round(float(v), 2) for v in out['keypoints'].reshape(-1)]
    image = dict(id=image_id, file_name=file_name, width=size, height=size,
                 style=style_name, species=plan.name)
    ann = dict(id=image_id, image_id=image_id, category_id=plan.category_id,
               bbox=[round(v, 2) for v in out['bbox']], area=out['area'],
               iscrowd=0, keypoints=kps,
               num_keypoints=int((out['keypoints'][:, 2] > 0).sum()))
    return image, ann


def _check_out_dir(out_dir: str, overwrite: bool) -> str:
    out_dir = osp.abspath(out_dir)
    parent = osp.dirname(out_dir)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as err:
        raise PermissionError(f'cannot create output folder {parent} ({err}); '
                              'choose another --out') from err
    if not os.access(parent, os.W_OK):
        raise PermissionError(f'output folder {parent} is not writable; '
                              'choose another --out')
    if osp.exists(out_dir) and not overwrite:
        raise FileExistsError(f'{out_dir} exists; pass --overwrite (or '
                              'overwrite=True) to replace it')
    return out_dir


def generate_dataset(out_dir: str,
                     num_images: int,
                     seed: int = 0,
                     img_size: int = 256,
                     species: Optional[Sequence[str]] = None,
                     splits: Optional[Sequence[str]] = None,
                     source_style: str = 'synthetic',
                     target_style: str = 'real',
                     nproc: int = 1,
                     overwrite: bool = False,
                     show_progress: bool = True) -> dict:
    """Generate a two-domain animal dataset.

    Args:
        out_dir (str): Dataset folder to create.
        num_images (int): Images in each train split; val and test get a
            quarter of it (at least one).
        seed (int): Seed; the same seed gives byte-identical files.
        img_size (int): Image side in pixels.
        species (Sequence[str], optional): Species to draw (default: all).
        splits (Sequence[str], optional): Splits to write (default: all of
            :data:`SPLITS`).
        source_style (str): Style of ``source_*`` splits.
        target_style (str): Style of ``target_*`` splits.
        nproc (int): Worker processes.
        overwrite (bool): Replace an existing ``out_dir``.
        show_progress (bool): Show a progress bar.

    Returns:
        dict: The generation parameters and per-split image counts (also in
        ``meta.json``).
    """
    from mmengine.utils import track_parallel_progress, track_progress
    if int(num_images) <= 0:
        raise ValueError(f'num_images must be positive, got {num_images}')
    if img_size < 32:
        raise ValueError(f'img_size must be at least 32, got {img_size}')
    splits = list(SPLITS) if splits is None else list(splits)
    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        raise ValueError(f'unknown splits {unknown or splits}; choose from '
                         f'{list(SPLITS)}')
    styles = {'source': get_style(source_style).name,
              'target': get_style(target_style).name}
    categories = coco_categories(species)
    out_dir = _check_out_dir(out_dir, overwrite)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.tmp-',
                           dir=osp.dirname(out_dir))
    try:
        counts = {}
        os.makedirs(osp.join(tmp, 'annotations'))
        for split in splits:
            domain, frac = SPLITS[split]
            n = max(1, int(round(num_images * frac)))
            counts[split] = n
            os.makedirs(osp.join(tmp, 'images', split))
            split_idx = list(SPLITS).index(split)
            tasks = [(tmp, split, split_idx, i, seed, img_size,
                      None if species is None else list(species),
                      styles[domain]) for i in range(n)]
            if nproc > 1 and n > 1:
                results = track_parallel_progress(
                    _render_task, tasks, nproc, chunksize=16,
                    skip_first=False) if show_progress else _pool_map(
                        tasks, nproc)
            else:
                results = (track_progress(_render_task, tasks)
                           if show_progress else
                           [_render_task(t) for t in tasks])
            coco = dict(
                info=dict(description=f'animal_da synthetic animals, {split}',
                          style=styles[domain], seed=seed,
                          version=GENERATOR_VERSION),
                images=[r[0] for r in results],
                annotations=[r[1] for r in results],
                categories=categories)
            with open(osp.join(tmp, 'annotations', f'{split}.json'), 'w') as f:
                json.dump(coco, f, separators=(',', ':'))
        meta = dict(version=GENERATOR_VERSION, num_images=int(num_images),
                    seed=seed, img_size=img_size,
                    species=None if species is None else list(species),
                    source_style=styles['source'],
                    target_style=styles['target'], splits=counts,
                    style_params=_style_params(styles))
        with open(osp.join(tmp, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=2, sort_keys=True)
        if osp.exists(out_dir):
            old = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.old-',
                                   dir=osp.dirname(out_dir))
            os.rename(out_dir, osp.join(old, 'data'))
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def _style_params(styles: dict) -> dict:
    """The parameters of the styles used, so a changed style is noticed."""
    from dataclasses import asdict
    return {d: {k: list(v) if isinstance(v, tuple) else v
                for k, v in asdict(get_style(name)).items()}
            for d, name in styles.items()}


def _pool_map(tasks: list, nproc: int) -> list:
    from multiprocessing import Pool
    with Pool(nproc) as pool:
        return pool.map(_render_task, tasks, chunksize=16)


def read_meta(out_dir: str) -> Optional[dict]:
    """The ``meta.json`` of a complete dataset folder, or None."""
    path = osp.join(out_dir, 'meta.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def ensure_dataset(out_dir: str, num_images: int, seed: int = 0,
                   **kwargs) -> dict:
    """Generate ``out_dir`` unless a complete one with these settings exists.

    Args:
        out_dir (str): Dataset folder.
        num_images (int): As for :func:`generate_dataset`.
        seed (int): As for :func:`generate_dataset`.
        **kwargs: Further :func:`generate_dataset` arguments.

    Returns:
        dict: The dataset's ``meta.json`` content.
    """
    meta = read_meta(out_dir)
    want = dict(version=GENERATOR_VERSION, num_images=int(num_images),
                seed=seed, img_size=kwargs.get('img_size', 256),
                source_style=kwargs.get('source_style', 'synthetic'),
                target_style=kwargs.get('target_style', 'real'),
                species=None if kwargs.get('species') is None else list(
                    kwargs['species']))
    want['style_params'] = _style_params(
        dict(source=want['source_style'], target=want['target_style']))
    if meta is not None and all(meta.get(k) == v for k, v in want.items()):
        wanted_splits = kwargs.get('splits') or list(SPLITS)
        if all(s in meta['splits'] for s in wanted_splits):
            return meta
    return generate_dataset(out_dir, num_images, seed=seed, overwrite=True,
                            **kwargs)
