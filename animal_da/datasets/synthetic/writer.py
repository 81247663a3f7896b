"""Write generated animals as COCO keypoint files that mmpose reads unchanged.

Layout of a dataset folder ``OUT``::

    OUT/annotations/{split}.json     COCO keypoints (AP-10K's 17 keypoints;
                                     in the ``keypoint_sets`` layout each
                                     split in its own keypoint set)
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

from ..keypoint_sets import (keypoint_names, metainfo_file,
                             mmpose_metainfo_file, union_mapping)
from .render import KEYPOINT_NAMES, occlude_with_animal_parts, render_sample
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
#: the ``keypoint_sets`` layout (FreeNet's setting, METHODS.md 3.3): source
#: datasets that each annotate a different subset of the 24-joint union, in
#: their own native order and file format (an AP-10K file read by mmpose's
#: ``AP10KDataset``, an AnimalPose file in mmpose's AnimalPose order read by
#: ``AnimalPoseDataset``, a TigDog file with 19 joints read by our
#: ``TigDogDataset``), plus val and test splits annotated on all 24.
#: split -> (domain, fraction of ``num_images``, keypoint set, species)
KEYPOINT_SET_SPLITS: Dict[str, Tuple[str, float, str, Optional[tuple]]] = {
    'ap10k_train': ('target', 1.0, 'ap10k', None),
    'animalpose_train': ('target', 1.0, 'animalpose',
                         ('dog', 'horse', 'tiger', 'antelope')),
    'tigdog_train': ('target', 1.0, 'tigdog', ('horse', 'tiger')),
    'union_val': ('target', 0.25, 'animal_union24', None),
    'union_test': ('target', 0.25, 'animal_union24', None),
}
#: the ``occlusion`` layout: an occlusion-heavy test split of the target
#: domain (the ``real_occluded`` style: occluders over every animal, up to
#: 5, plus 1-3 body parts of other animals pasted over it), with the same
#: keypoint rules (a keypoint under an occluder is occluded)
OCCLUSION_SPLITS = {'target_test_occluded': ('target', 0.25)}
#: layout -> its splits; split seeds are offset per layout so no image
#: repeats another layout's
LAYOUTS = {'domains': SPLITS, 'keypoint_sets': KEYPOINT_SET_SPLITS,
           'occlusion': OCCLUSION_SPLITS}
_LAYOUT_SEED_OFFSET = {'domains': 0, 'keypoint_sets': 100, 'occlusion': 200}
#: per layout: its default target style and other animals' parts per image
LAYOUT_OPTIONS = {'occlusion': dict(target_style='real_occluded',
                                    animal_parts=(1, 3))}


def _layout_target_style(layout: str, target_style: str) -> str:
    """The target style of a layout (its own default replaces 'real')."""
    own = LAYOUT_OPTIONS.get(layout, {}).get('target_style')
    return own if own and target_style == 'real' else target_style


GENERATOR_VERSION = 2


def ap10k_metainfo() -> dict:
    """AP-10K names, skeleton and flip pairs from mmpose's own metainfo."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    return parse_pose_metainfo(dict(from_file=mmpose_metainfo_file('ap10k')))


def _split_spec(layout: str, split: str) -> Tuple[str, float, str,
                                                  Optional[tuple]]:
    """(domain, fraction, keypoint set, species) of a split."""
    spec = LAYOUTS[layout][split]
    return spec if len(spec) == 4 else (spec[0], spec[1], 'ap10k', None)


def _default_size(layout: str, split: str, num_images: int) -> int:
    """A split's image count without ``split_sizes``: its share of
    ``num_images``."""
    return max(1, int(round(num_images * _split_spec(layout, split)[1])))


def coco_categories(species: Optional[Sequence[str]] = None,
                    keypoint_set: str = 'ap10k') -> List[dict]:
    """COCO ``categories`` entries, one per species.

    Args:
        species (Sequence[str], optional): Species names (default: all).
        keypoint_set (str): ``ap10k`` (AP-10K's keypoints, mmpose's order),
            another source of :mod:`animal_da.datasets.keypoint_sets`
            (``animalpose``, ``tigdog``) or a union (``animal_union24``).

    Returns:
        list[dict]: Categories with ``keypoints`` and 1-based ``skeleton``.
    """
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    if keypoint_set == 'ap10k':
        meta = ap10k_metainfo()
    else:
        meta = parse_pose_metainfo(dict(from_file=metainfo_file(keypoint_set)))
    names = [meta['keypoint_id2name'][i] for i in range(meta['num_keypoints'])]
    if keypoint_set == 'ap10k' and tuple(names) != KEYPOINT_NAMES:
        raise RuntimeError('mmpose AP-10K keypoint names changed: '
                           f'{names} != {KEYPOINT_NAMES}')
    skeleton = [[int(a) + 1, int(b) + 1] for a, b in meta['skeleton_links']]
    return [
        dict(id=p.category_id, name=p.name, supercategory=p.family,
             keypoints=names, skeleton=skeleton) for p in get_species(species)
    ]


def _union_index(keypoint_set: str) -> Optional[np.ndarray]:
    """Per native joint of a keypoint set, its index in the generator's
    24-joint union (None: AP-10K's classic output)."""
    if keypoint_set == 'ap10k':
        return None
    if keypoint_set == 'animal_union24':
        return np.arange(len(keypoint_names(metainfo_file(keypoint_set))))
    mapping = dict(union_mapping(keypoint_set, 'animal_union24'))
    n = len(keypoint_names(metainfo_file(keypoint_set)))
    if sorted(mapping) != list(range(n)):
        raise ValueError(f'{keypoint_set} has joints outside the 24-joint '
                         'union; the generator cannot render them')
    return np.array([mapping[i] for i in range(n)])


def _render_task(task: tuple) -> Tuple[dict, dict]:
    """Render and save one image; runs in a worker process."""
    (root, split, split_idx, index, seed, size, species, style_name,
     keypoint_set, animal_parts) = task
    rng = np.random.default_rng([seed, split_idx, index])
    plans = get_species(species)
    plan = plans[index % len(plans)]
    out = render_sample(plan, get_style(style_name), rng, size)
    if animal_parts:
        lo, hi = animal_parts
        out = occlude_with_animal_parts(out, plans, get_style(style_name),
                                        rng, int(rng.integers(lo, hi + 1)),
                                        size)
    union_index = _union_index(keypoint_set)
    if union_index is not None:
        out['keypoints'] = out['union_keypoints'][union_index]
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
                     show_progress: bool = True,
                     layout: str = 'domains',
                     split_sizes: Optional[Dict[str, int]] = None
                     ) -> dict:
    """Generate a two-domain animal dataset (or, with
    ``layout='keypoint_sets'``, source datasets with different keypoint
    sets).

    Args:
        out_dir (str): Dataset folder to create.
        num_images (int): Images in each train split; val and test get a
            quarter of it (at least one).
        seed (int): Seed; the same seed gives byte-identical files.
        img_size (int): Image side in pixels.
        species (Sequence[str], optional): Species to draw (default: all).
        splits (Sequence[str], optional): Splits to write (default: all of
            the layout's, :data:`SPLITS` or :data:`KEYPOINT_SET_SPLITS`).
        source_style (str): Style of ``source_*`` splits.
        target_style (str): Style of ``target_*`` splits.
        nproc (int): Worker processes.
        overwrite (bool): Replace an existing ``out_dir``.
        show_progress (bool): Show a progress bar.
        layout (str): ``domains`` (the two-domain splits, AP-10K keypoints)
            or ``keypoint_sets`` (:data:`KEYPOINT_SET_SPLITS`). A split's
            species list applies unless ``species`` is given.
        split_sizes (dict, optional): Image counts of named splits instead
            of their fraction of ``num_images`` (e.g. larger val and test
            splits for a benchmark whose metric is noisy). A split keeps
            its images when it grows: image ``i`` depends only on the seed,
            the split and ``i``.

    Returns:
        dict: The generation parameters and per-split image counts (also in
        ``meta.json``).
    """
    from mmengine.utils import track_parallel_progress, track_progress
    if int(num_images) <= 0:
        raise ValueError(f'num_images must be positive, got {num_images}')
    if img_size < 32:
        raise ValueError(f'img_size must be at least 32, got {img_size}')
    layout_splits = _layout_splits(layout)
    target_style = _layout_target_style(layout, target_style)
    animal_parts = LAYOUT_OPTIONS.get(layout, {}).get('animal_parts')
    splits = list(layout_splits) if splits is None else list(splits)
    unknown = [s for s in splits if s not in layout_splits]
    if unknown or not splits:
        raise ValueError(f'unknown splits {unknown or splits}; choose from '
                         f'{list(layout_splits)}')
    split_sizes = _check_split_sizes(split_sizes, layout, num_images)
    unwritten = sorted(set(split_sizes) - set(splits))
    if unwritten:
        raise ValueError(f'split_sizes names splits {unwritten} that are not '
                         f'written (splits={splits})')
    styles = {'source': get_style(source_style).name,
              'target': get_style(target_style).name}
    out_dir = _check_out_dir(out_dir, overwrite)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.tmp-',
                           dir=osp.dirname(out_dir))
    try:
        counts = {}
        os.makedirs(osp.join(tmp, 'annotations'))
        for split in splits:
            domain, _, kp_set, split_species = _split_spec(layout, split)
            split_species = list(species or split_species or []) or None
            n = split_sizes.get(split,
                                _default_size(layout, split, num_images))
            counts[split] = n
            os.makedirs(osp.join(tmp, 'images', split))
            split_idx = list(layout_splits).index(split) + \
                _LAYOUT_SEED_OFFSET[layout]
            tasks = [(tmp, split, split_idx, i, seed, img_size,
                      split_species, styles[domain], kp_set, animal_parts)
                     for i in range(n)]
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
                categories=coco_categories(split_species, kp_set))
            with open(osp.join(tmp, 'annotations', f'{split}.json'), 'w') as f:
                json.dump(coco, f, separators=(',', ':'))
        meta = dict(version=GENERATOR_VERSION, num_images=int(num_images),
                    seed=seed, img_size=img_size,
                    species=None if species is None else list(species),
                    source_style=styles['source'],
                    target_style=styles['target'], splits=counts,
                    style_params=_style_params(styles))
        if layout != 'domains':  # the domains layout's meta stays as it was
            meta['layout'] = layout
        if split_sizes:  # only when given, so earlier metas still match
            meta['split_sizes'] = split_sizes
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


def _layout_splits(layout: str) -> dict:
    """The splits of ``layout``, or a clear error."""
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; choose from '
                         f'{sorted(LAYOUTS)}')
    return LAYOUTS[layout]


def _check_split_sizes(split_sizes: Optional[Dict[str, int]], layout: str,
                       num_images: int) -> Dict[str, int]:
    """``split_sizes`` as ``{split: int}`` without the sizes equal to a
    split's default (so such a folder matches one built without them), or a
    clear error."""
    layout_splits = _layout_splits(layout)
    out = {}
    for split, n in dict(split_sizes or {}).items():
        if split not in layout_splits:
            raise ValueError(f'split_sizes names split {split!r}, not one of '
                             f'layout {layout!r}: choose from '
                             f'{list(layout_splits)}')
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) \
                or n <= 0:
            raise ValueError(f'split_sizes[{split!r}] must be a positive '
                             f'integer, got {n!r}')
        if int(n) != _default_size(layout, split, num_images):
            out[split] = int(n)
    return dict(sorted(out.items()))


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
    layout = kwargs.get('layout', 'domains')
    want = dict(version=GENERATOR_VERSION, num_images=int(num_images),
                seed=seed, img_size=kwargs.get('img_size', 256),
                source_style=kwargs.get('source_style', 'synthetic'),
                target_style=_layout_target_style(
                    layout, kwargs.get('target_style', 'real')),
                species=None if kwargs.get('species') is None else list(
                    kwargs['species']))
    want['style_params'] = _style_params(
        dict(source=want['source_style'], target=want['target_style']))
    want['layout'] = None if layout == 'domains' else layout
    want['split_sizes'] = _check_split_sizes(
        kwargs.get('split_sizes'), layout, num_images) or None
    if meta is not None and all(meta.get(k) == v for k, v in want.items()):
        wanted_splits = kwargs.get('splits') or list(LAYOUTS[layout])
        if all(s in meta['splits'] for s in wanted_splits):
            return meta
    return generate_dataset(out_dir, num_images, seed=seed, overwrite=True,
                            **kwargs)
