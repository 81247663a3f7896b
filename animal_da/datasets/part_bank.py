"""Part banks: segmented body parts as RGBA cut-outs, for semantic data
augmentation (ASDA, METHODS.md 4.3).

One format for every source: a folder with ``parts/<type>/<n>.png`` (RGBA,
alpha = the part's mask) and ``part_bank.json``::

    {"version": 1, "types": [...], "size": {type: fraction of the body
     diagonal}, "parts": [{"file": ..., "type": ..., "source": ...,
     "keypoints": [[x, y], ...]}]}

(``keypoints``: the keypoints inside the part, in cut-out pixels). Writers:
:func:`parts_from_generator` (the generator knows every pixel's body part)
and :func:`parts_from_coco` (instance polygons cut by keypoint groups).
ASDA's own LIP layout (``<type>/*.bmp`` + ``part_anns.json``) is read as it
is by :class:`PartBank`.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .synthetic.render import OWNERS, PART_LABELS, render_sample
from .synthetic.species import get_species
from .synthetic.styles import get_style

INDEX_FILE = 'part_bank.json'
LIP_INDEX = 'part_anns.json'
VERSION = 1

#: ASDA's 25 LIP part types and their size as a fraction of the body-box
#: diagonal (METHODS.md 4.3)
LIP_SIZES: Dict[str, float] = {
    'Left-arm': 0.3, 'Right-arm': 0.3, 'Left-leg': 0.3, 'Right-leg': 0.3,
    'Upper-body': 0.4, 'Upper-body-with-head': 0.5, 'Lower_body': 0.5,
    'Left-leg-with-shoe': 0.4, 'Right-leg-with-shoe': 0.4, 'All': 0.9,
    'Hat': 0.2, 'Hair': 0.2, 'Sunglasses': 0.1, 'face': 0.2, 'Head': 0.2,
    'UpperClothes': 0.3, 'Dress': 0.3, 'Coat': 0.3, 'Socks': 0.1,
    'Pants': 0.4, 'Jumpsuits': 0.7, 'Scarf': 0.1, 'Skirt': 0.1,
    'Left-shoe': 0.1, 'Right-shoe': 0.1,
}
#: the generator's animal part types: label-map ids and size (fraction of
#: the body-box diagonal, by analogy with ASDA's limbs 0.3, head 0.2, body
#: 0.4)
GENERATOR_SIZES = {'left_front_leg': 0.3, 'right_front_leg': 0.3,
                   'left_back_leg': 0.3, 'right_back_leg': 0.3, 'head': 0.2,
                   'neck': 0.2, 'tail': 0.2, 'body': 0.4}
GENERATOR_PARTS: Dict[str, Tuple[Tuple[int, ...], float]] = {
    t: (PART_LABELS[t], s) for t, s in GENERATOR_SIZES.items()}


class PartBankError(ValueError):
    """A part bank that cannot be used (empty, a missing type, a bad
    file)."""


class PartBank:
    """A loaded part bank.

    Args:
        root (str): The bank's folder (our format or ASDA's LIP layout).
        types (Sequence[str], optional): Part types to use (default: all the
            bank has); a type the bank lacks is an error.
        sizes (dict, optional): Per-type size overrides (fraction of the
            body diagonal).
    """

    def __init__(self, root: str, types: Optional[Sequence[str]] = None,
                 sizes: Optional[Dict[str, float]] = None):
        self.root = root
        if osp.isfile(osp.join(root, INDEX_FILE)):
            self.layout = 'animal_da'
            parts, self.sizes, all_types = self._read_index(root)
        elif osp.isdir(root) and osp.isfile(osp.join(root, LIP_INDEX)) or \
                self._looks_like_lip(root):
            self.layout = 'lip'
            parts, all_types = self._read_lip(root)
            self.sizes = dict(LIP_SIZES)
        else:
            raise PartBankError(
                f'{root} is no part bank: it has neither {INDEX_FILE} (write '
                'one with tools/build_part_bank.py) nor the LIP layout '
                f'(<type>/*.bmp and {LIP_INDEX})')
        self.sizes.update(sizes or {})
        by_type: Dict[str, List[dict]] = {}
        for p in parts:
            by_type.setdefault(p['type'], []).append(p)
        if not by_type:
            raise PartBankError(f'part bank {root} holds no parts')
        self.types = list(types) if types is not None else [
            t for t in all_types if t in by_type]
        missing = [t for t in self.types if t not in by_type]
        if missing:
            raise PartBankError(
                f'part bank {root} has no parts of type {missing}; it has '
                f'{sorted(by_type)}')
        no_size = [t for t in self.types if t not in self.sizes]
        if no_size:
            raise PartBankError(f'part bank {root}: no size for types '
                                f'{no_size} (give sizes=...)')
        self.parts = {t: by_type[t] for t in self.types}
        self._cache: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    @staticmethod
    def _read_index(root: str) -> tuple:
        path = osp.join(root, INDEX_FILE)
        try:
            with open(path) as f:
                index = json.load(f)
        except (OSError, json.JSONDecodeError) as err:
            raise PartBankError(f'cannot read {path}: {err}') from err
        if index.get('version') != VERSION:
            raise PartBankError(f'{path}: version {index.get("version")}, '
                                f'expected {VERSION}')
        return index['parts'], dict(index.get('size', {})), list(
            index['types'])

    @staticmethod
    def _looks_like_lip(root: str) -> bool:
        if not osp.isdir(root):
            return False
        return any(osp.isdir(osp.join(root, t)) and any(
            f.endswith('.bmp') for f in os.listdir(osp.join(root, t)))
            for t in os.listdir(root))

    @staticmethod
    def _read_lip(root: str) -> tuple:
        """ASDA's layout: ``<type>/*.bmp`` (black background) with optional
        keypoints in ``part_anns.json`` (keyed by file name)."""
        anns = {}
        if osp.isfile(osp.join(root, LIP_INDEX)):
            with open(osp.join(root, LIP_INDEX)) as f:
                anns = json.load(f)
        parts, types = [], []
        for t in sorted(os.listdir(root)):
            folder = osp.join(root, t)
            if not osp.isdir(folder):
                continue
            files = sorted(f for f in os.listdir(folder)
                           if f.endswith('.bmp'))
            if files:
                types.append(t)
            for f in files:
                parts.append(dict(file=osp.join(t, f), type=t, source=f,
                                  keypoints=anns.get(f, {}) if isinstance(
                                      anns, dict) else {}))
        return parts, types

    def load(self, part: dict) -> Tuple[np.ndarray, np.ndarray]:
        """A part's BGR image (h, w, 3) uint8 and mask (h, w) bool."""
        rel = part['file']
        if rel in self._cache:
            return self._cache[rel]
        path = osp.join(self.root, rel if self.layout == 'lip' else
                        osp.join('parts', rel))
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if img is None:
            raise PartBankError(f'cannot read part image {path}')
        if img.ndim == 3 and img.shape[2] == 4:
            bgr, mask = img[..., :3], img[..., 3] > 0
        else:  # LIP: a BMP on black, the mask is grey > 0
            bgr = img if img.ndim == 3 else cv2.cvtColor(img,
                                                         cv2.COLOR_GRAY2BGR)
            mask = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) > 0
        if not mask.any():
            raise PartBankError(f'part image {path} has an empty mask')
        if len(self._cache) < 4096:
            self._cache[rel] = (bgr, mask)
        return bgr, mask

    def __len__(self) -> int:
        return sum(len(v) for v in self.parts.values())


def write_part_bank(out_dir: str, parts: Iterable[dict],
                    sizes: Dict[str, float], overwrite: bool = False,
                    source: str = '') -> dict:
    """Write a bank atomically (a temporary folder renamed at the end).

    Args:
        out_dir (str): The bank's folder.
        parts (Iterable[dict]): ``type``, ``image`` (h, w, 3 BGR uint8),
            ``mask`` (h, w bool), optional ``keypoints`` and ``source``.
        sizes (dict): Size per type.
        overwrite (bool): Replace an existing folder.
        source (str): What the parts were cut from (stored in the index).

    Returns:
        dict: The index.
    """
    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir) and not overwrite:
        raise FileExistsError(f'{out_dir} exists; pass overwrite=True '
                              '(--overwrite) to replace it')
    os.makedirs(osp.dirname(out_dir), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.tmp-',
                           dir=osp.dirname(out_dir))
    try:
        entries, counts = [], {}
        for p in parts:
            t = p['type']
            n = counts.get(t, 0)
            counts[t] = n + 1
            rel = osp.join(t, f'{n:06d}.png')
            os.makedirs(osp.join(tmp, 'parts', t), exist_ok=True)
            rgba = np.concatenate(
                [p['image'], (p['mask'] * 255).astype(np.uint8)[..., None]],
                axis=-1)
            if not cv2.imwrite(osp.join(tmp, 'parts', rel), rgba):
                raise OSError(f'cannot write {rel}')
            entries.append(dict(file=rel, type=t,
                                source=p.get('source', ''),
                                keypoints=p.get('keypoints', [])))
        if not entries:
            raise PartBankError('no parts to write (every instance was '
                                'skipped: check the size limits)')
        types = [t for t in sizes if t in counts]
        index = dict(version=VERSION, types=types,
                     size={t: sizes[t] for t in types}, source=source,
                     counts=counts, parts=entries)
        with open(osp.join(tmp, INDEX_FILE), 'w') as f:
            json.dump(index, f)
        if osp.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return index


def _cut(image: np.ndarray, mask: np.ndarray, min_pixels: int,
         keypoints: Optional[np.ndarray] = None) -> Optional[dict]:
    """The part's tight crop, or None when its mask is too small."""
    ys, xs = np.nonzero(mask)
    if len(xs) < min_pixels:
        return None
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    out = dict(image=np.ascontiguousarray(image[y0:y1, x0:x1]),
               mask=mask[y0:y1, x0:x1])
    if keypoints is not None and len(keypoints):
        inside = [[round(float(x - x0), 2), round(float(y - y0), 2)]
                  for x, y in keypoints
                  if x0 <= x < x1 and y0 <= y < y1 and
                  mask[int(y), int(x)]]
        out['keypoints'] = inside
    return out


def generator_parts(num_images: int, seed: int = 0, img_size: int = 256,
                    style: str = 'real',
                    species: Optional[Sequence[str]] = None,
                    min_pixels: int = 64) -> Iterable[dict]:
    """Parts cut from freshly rendered animals (label map = part masks).

    Args:
        num_images (int): Animals to render.
        seed (int): Seed (offset from the datasets' seeds: no image of a
            dataset split is reused).
        img_size (int): Image side.
        style (str): Render style (ASDA pastes real-looking parts).
        species (Sequence[str], optional): Species (default all).
        min_pixels (int): Smallest part mask kept.

    Yields:
        dict: Parts for :func:`write_part_bank`.
    """
    plans = get_species(species)
    st = get_style(style)
    for i in range(num_images):
        rng = np.random.default_rng([seed, 1000, i])
        plan = plans[i % len(plans)]
        out = render_sample(plan, st, rng, img_size)
        bgr = cv2.cvtColor(out['image'], cv2.COLOR_RGB2BGR)
        kps = out['union_keypoints']
        for t, (ids, _) in GENERATOR_PARTS.items():
            mask = np.isin(out['labels'], ids)
            own = [k for k in range(len(kps)) if kps[k, 2] > 0 and
                   set(OWNERS[k]) & set(ids)]
            part = _cut(bgr, mask, min_pixels, kps[own, :2])
            if part is not None:
                part.update(type=t, source=f'{plan.name}/{i:06d}')
                yield part


def parts_from_generator(out_dir: str, num_images: int, seed: int = 0,
                         img_size: int = 256, style: str = 'real',
                         overwrite: bool = False,
                         show_progress: bool = True) -> dict:
    """Write a bank of the generator's animal parts (legs, head, neck,
    tail, body of the ``real`` style)."""
    parts = generator_parts(num_images, seed, img_size, style)
    if show_progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(num_images)
        parts = _progress(parts, bar, per_image=True)
    return write_part_bank(out_dir, parts,
                           {t: s for t, (_, s) in GENERATOR_PARTS.items()},
                           overwrite=overwrite,
                           source=f'generator style={style} seed={seed}')


def _progress(parts, bar, per_image: bool):
    last = None
    for p in parts:
        src = p.get('source')
        if per_image and src != last:
            if last is not None:
                bar.update()
            last = src
        yield p
    bar.update()


def parts_from_coco(ann_file: str, img_dir: str, out_dir: str,
                    groups: Dict[str, Sequence[str]],
                    sizes: Optional[Dict[str, float]] = None,
                    min_pixels: int = 256, min_keypoints: int = 2,
                    overwrite: bool = False,
                    show_progress: bool = True) -> dict:
    """Cut instance masks of a COCO keypoint file into parts.

    The rule (documented): a part of group ``g`` is the instance mask's
    pixels nearest to ``g``'s visible keypoints among all the instance's
    visible keypoints (a Voronoi split of the mask by keypoint), so a leg is
    the mask around its joints; instances without a polygon, with fewer than
    ``min_keypoints`` visible keypoints of the group, or whose part has fewer
    than ``min_pixels`` pixels are skipped.

    Args:
        ann_file (str): COCO keypoint file with ``segmentation`` polygons.
        img_dir (str): Image folder (``file_name`` is relative to it).
        out_dir (str): The bank's folder.
        groups (dict): Part type -> keypoint names of that part (names of
            the file's category).
        sizes (dict, optional): Size per type (default 0.3).
        min_pixels (int): Smallest part mask kept.
        min_keypoints (int): Fewest visible keypoints of a group.
        overwrite (bool): Replace an existing folder.
        show_progress (bool): Show a progress bar.

    Returns:
        dict: The index.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file {ann_file} not found')
    with open(ann_file) as f:
        coco = json.load(f)
    cats = {c['id']: c for c in coco.get('categories', [])}
    images = {im['id']: im for im in coco.get('images', [])}
    anns = [a for a in coco.get('annotations', [])
            if isinstance(a.get('segmentation'), list) and a['segmentation']
            and a.get('keypoints') and not a.get('iscrowd')]
    if not anns:
        raise PartBankError(f'{ann_file} has no instances with polygons and '
                            'keypoints')
    for t, names in groups.items():
        for c in cats.values():
            unknown = set(names) - set(c.get('keypoints', []))
            if unknown:
                raise PartBankError(f'group {t}: keypoints {sorted(unknown)} '
                                    f'are not in category {c["name"]}\'s '
                                    f'{c.get("keypoints")}')
    sizes = dict({t: 0.3 for t in groups}, **(sizes or {}))

    def parts():
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(anns)) if show_progress else None
        for a in anns:
            if bar is not None:
                bar.update()
            im = images.get(a['image_id'])
            if im is None:
                continue
            path = osp.join(img_dir, im['file_name'])
            img = cv2.imread(path)
            if img is None:
                raise PartBankError(f'cannot read image {path}')
            mask = np.zeros(img.shape[:2], np.uint8)
            for poly in a['segmentation']:
                pts = np.asarray(poly, np.float32).reshape(-1, 2)
                cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
            names = cats[a['category_id']]['keypoints']
            kps = np.asarray(a['keypoints'], np.float32).reshape(-1, 3)
            vis = kps[:, 2] > 0
            if vis.sum() < min_keypoints:
                continue
            ys, xs = np.nonzero(mask)
            if not len(xs):
                continue
            pts = kps[vis, :2]
            owner = np.argmin(((np.stack([xs, ys], 1)[:, None] -
                                pts[None])**2).sum(-1), axis=1)
            vis_idx = np.flatnonzero(vis)
            for t, group in groups.items():
                members = [names.index(n) for n in group]
                mine = [i for i, k in enumerate(vis_idx) if k in members]
                if len(mine) < min_keypoints:
                    continue
                part_mask = np.zeros_like(mask, bool)
                sel = np.isin(owner, mine)
                part_mask[ys[sel], xs[sel]] = True
                part = _cut(img, part_mask, min_pixels, kps[members][
                    kps[members, 2] > 0, :2])
                if part is not None:
                    part.update(type=t, source=f'{im["file_name"]}#{a["id"]}')
                    yield part

    return write_part_bank(out_dir, parts(), sizes, overwrite=overwrite,
                           source=f'coco {ann_file}')
