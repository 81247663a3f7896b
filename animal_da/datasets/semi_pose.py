"""COCO-style keypoint datasets with labelled, unlabelled and pseudo-labelled
instances (scarce-label and domain-adaptation training)."""
import json
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from ..pseudo_labels import build_filter, load_pseudo_labels
from .keypoint_sets import check_keypoint_order, metainfo_file


def _read_id_list(path: str) -> List[int]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-id list {path} not found')
    with open(path) as f:
        ids = json.load(f)
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ValueError(f'{path} must hold a JSON list of image ids')
    return ids


#: FreeNet's pooled-dataset numbering in its labelled-subset files
#: (``info/random_{r}_img_ann_ids.json``, ``MixKeypoint.save_img_ids``): each
#: dataset's image and annotation ids are offset by the counts of those
#: before it (AP-10K 58,632 images and 16,561 annotations, AnimalPose 4,608
#: and 6,117), so an image key tells its dataset.
FREENET_POOL = {'ap_10k': (0, 0), 'animal_pose': (58632, 16561),
                'tigdog': (58632 + 4608, 16561 + 6117)}
#: keypoint set -> FreeNet's dataset name in that numbering
FREENET_POOL_NAMES = {'ap10k': 'ap_10k', 'animalpose': 'animal_pose',
                      'animalpose_freenet': 'animal_pose',
                      'tigdog': 'tigdog'}


def read_freenet_ids(path: str, dataset: str) -> set:
    """(image id, annotation id) pairs of one dataset in a FreeNet
    labelled-subset file ``{pooled image id: [pooled annotation ids]}``."""
    if dataset not in FREENET_POOL:
        raise ValueError(f'FreeNet pools {sorted(FREENET_POOL)}, not '
                         f'{dataset!r}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'FreeNet id file {path} not found')
    with open(path) as f:
        entries = json.load(f)
    if not isinstance(entries, dict):
        raise ValueError(f'{path} must map image ids to annotation-id lists '
                         "(FreeNet's random_<r>_img_ann_ids.json)")
    offsets = sorted(FREENET_POOL.values())
    img_off, ann_off = FREENET_POOL[dataset]
    nxt = [o for o, _ in offsets if o > img_off]
    end = nxt[0] if nxt else float('inf')
    return {(int(k) - img_off, int(a) - ann_off)
            for k, anns in entries.items() if img_off < int(k) <= end
            for a in anns}


@DATASETS.register_module()
class SemiPoseDataset(BaseCocoStyleDataset):
    """A COCO keypoint file seen as labelled, unlabelled or both.

    mmpose's COCO-style datasets drop instances without keypoints; this one
    keeps every instance with a valid box, so bbox-only files work as
    unlabelled pools. Unlabelled instances keep their box; their keypoints,
    if the file has them, move to ``hidden_keypoints`` (for measuring pseudo
    labels, never for training) and their visibility becomes zero.

    Args:
        role (str): ``all`` (labelled and unlabelled instances), ``labelled``
            or ``unlabelled``.
        labelled (dict, optional): Which images are labelled. ``None``: every
            instance that has keypoints. ``dict(per_category=N, seed=S)``: N
            images per category, drawn with seed S. ``dict(image_ids_file=P)``:
            the image ids in the JSON list P (ScarceNet's lists).
            ``dict(supercategories=[...])``: images of these families (the
            transfer setting). ``dict(ratio=R, seed=S)``: a uniformly random
            fraction R of the annotations with keypoints (FreeNet's
            ``sample_few``, per dataset here). ``dict(freenet_ids=P)``: the
            annotations FreeNet's labelled-subset file P lists for this
            dataset (its pooled numbering, :data:`FREENET_POOL`; the dataset
            from ``keypoint_set``, or ``dataset='ap_10k'`` / ``'animal_pose'``
            / ``'tigdog'``), so that a paper setting labels what FreeNet
            labelled. ``dict(none=True)``: nothing is labelled.
        keypoint_set (str, optional): The file's keypoint set by name, for
            its metainfo: a source of :mod:`animal_da.datasets.keypoint_sets`
            (``ap10k``, ``animalpose`` in mmpose's order,
            ``animalpose_freenet`` in the order of FreeNet's re-split files,
            ``tigdog``) or a union (``animal_union21``, ``animal_union24``);
            default AP-10K (or the ``metainfo`` given). The keypoint names
            the file's categories list are checked against it on loading
            (``check_keypoint_order``): a file in another joint order fails.
        category_names (Sequence[str], optional): Keep only instances of
            these categories (e.g. test on one species).
        pseudo_labels (dict, optional): ``dict(file=P, filter=...)``: a COCO
            keypoint results file from ``tools/pseudo_label.py`` (matched by
            annotation ``id``) whose keypoints replace the labels of
            unlabelled instances; ``filter`` (default a global percentile
            filter keeping 60 %) turns per-keypoint scores into visibility.
        visibility_overrides (str, optional): A JSON list of
            ``{"image_id", "box" (xywh), "vis" (K values)}`` (FreeNet's
            missing-keypoint files) matched to instances by image id and a
            box within 2 px on every coordinate; a keypoint whose ``vis`` is
            0 becomes not annotated (the others keep their labels).
        unlabelled_annotations (bool): A diagnostic, never a setting of a
            real experiment: unlabelled instances keep their annotations
            as training targets (they stay unlabelled, ``is_labelled``
            False), so a recipe can train on them in place of its pseudo
            labels (FreeNet's ``pl_source='annotations'``): what pseudo
            labels as good as the annotations would give. Default False.
        **kwargs: As for mmpose's ``BaseCocoStyleDataset`` (``ann_file``,
            ``data_root``, ``pipeline``, ``metainfo``...).
    """
    METAINFO: dict = dict(from_file='configs/_base_/datasets/ap10k.py')

    def __init__(self,
                 *args,
                 role: str = 'all',
                 labelled: Optional[dict] = None,
                 category_names: Optional[Sequence[str]] = None,
                 pseudo_labels: Optional[dict] = None,
                 visibility_overrides: Optional[str] = None,
                 keypoint_set: Optional[str] = None,
                 unlabelled_annotations: bool = False,
                 **kwargs):
        if role not in ('all', 'labelled', 'unlabelled'):
            raise ValueError(f'role must be all, labelled or unlabelled, '
                             f'got {role!r}')
        self.role = role
        self.labelled_cfg = labelled
        self.category_names = category_names
        self.pseudo_label_cfg = pseudo_labels
        self.visibility_overrides = visibility_overrides
        self.keypoint_set = keypoint_set
        self.unlabelled_annotations = bool(unlabelled_annotations)
        if unlabelled_annotations and pseudo_labels:
            raise ValueError('unlabelled_annotations keeps the unlabelled '
                             'instances\' annotations; it cannot go with '
                             'pseudo_labels, which replace them')
        if keypoint_set is not None:
            if kwargs.get('metainfo'):
                raise ValueError('give keypoint_set or metainfo, not both')
            kwargs['metainfo'] = dict(from_file=metainfo_file(keypoint_set))
        super().__init__(*args, **kwargs)

    def _load_annotations(self):
        """mmpose's loader, then the keypoint names the file's categories
        list checked against the metainfo: a file read with a metainfo in
        another joint order fails here instead of training every keypoint
        as another joint."""
        instances, images = super()._load_annotations()
        meta = self.metainfo
        names = [meta['keypoint_id2name'][i]
                 for i in range(meta['num_keypoints'])]
        seen = set()
        for cat in self._metainfo.get('CLASSES', []):
            listed = tuple(cat.get('keypoints') or ())
            if listed and listed not in seen:
                seen.add(listed)
                message = check_keypoint_order(listed, names, self.ann_file)
                if message:
                    MMLogger.get_current_instance().warning(message)
        return instances, images

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        """Parse an instance, keeping bbox-only ones."""
        ann = raw_data_info['raw_ann_info']
        if 'bbox' not in ann:
            return None
        if 'keypoints' not in ann:
            k = self.metainfo['num_keypoints']
            ann = dict(ann, keypoints=[0.] * (3 * k), num_keypoints=0)
            raw_data_info = dict(raw_data_info, raw_ann_info=ann)
        info = super().parse_data_info(raw_data_info)
        img = raw_data_info['raw_img_info']
        for key in ('video_id', 'frame_id'):  # video data (temporal checks)
            if key in img:
                info[key] = img[key]
        info['has_keypoints'] = bool(
            np.any(info['keypoints_visible'] > 0))
        return info

    @staticmethod
    def _is_valid_box(info: dict) -> bool:
        if info.get('iscrowd'):
            return False
        w, h = info['bbox'][0][2:4] - info['bbox'][0][:2]
        return w > 0 and h > 0

    def _labelled_image_ids(self, instances: List[dict]) -> Optional[set]:
        """Image ids whose instances keep their labels (None: all)."""
        cfg = self.labelled_cfg
        if cfg is None:
            return None
        if cfg.get('none'):
            return set()
        if 'ratio' in cfg or 'freenet_ids' in cfg:  # annotation-level
            return None
        if 'image_ids_file' in cfg:
            return set(_read_id_list(cfg['image_ids_file']))
        cats = {c['id']: c for c in self._metainfo.get('CLASSES', [])}
        if 'supercategories' in cfg:
            fams = set(cfg['supercategories'])
            return {i['img_id'] for i in instances
                    if cats.get(int(i['category_id']), {}).get(
                        'supercategory') in fams}
        if 'per_category' in cfg:
            n, rng = int(cfg['per_category']), np.random.default_rng(
                cfg.get('seed', 0))
            by_cat: dict = {}
            for i in instances:
                if i['has_keypoints']:
                    by_cat.setdefault(int(i['category_id']), set()).add(
                        i['img_id'])
            chosen = set()
            for cat in sorted(by_cat):
                ids = sorted(by_cat[cat])
                chosen.update(ids[j] for j in rng.permutation(len(ids))[:n])
            return chosen
        raise ValueError(f'unknown labelled setting {cfg}; use per_category, '
                         'image_ids_file, supercategories, ratio or none')

    def _labelled_annotation_ids(self, instances: List[dict]
                                 ) -> Optional[set]:
        """Annotation ids kept labelled by ``labelled=dict(ratio=...)`` or
        ``dict(freenet_ids=...)`` (None: not an annotation-level setting)."""
        cfg = self.labelled_cfg
        if cfg and 'freenet_ids' in cfg:
            return self._freenet_annotation_ids(instances)
        if not cfg or 'ratio' not in cfg:
            return None
        ratio = float(cfg['ratio'])
        if not 0 < ratio <= 1:
            raise ValueError(f'labelled ratio must be in (0, 1], got {ratio}')
        ids = sorted(int(i['id']) for i in instances if i['has_keypoints'])
        rng = np.random.default_rng(cfg.get('seed', 0))
        n = int(round(ratio * len(ids)))
        return {ids[j] for j in rng.permutation(len(ids))[:n]}

    def _freenet_annotation_ids(self, instances: List[dict]) -> set:
        """Annotation ids FreeNet's labelled-subset file lists for this
        dataset, each checked against its image id."""
        cfg = self.labelled_cfg
        dataset = cfg.get('dataset') or FREENET_POOL_NAMES.get(
            self.keypoint_set or '')
        if dataset is None:
            raise ValueError("labelled=dict(freenet_ids=...) needs a "
                             "keypoint_set of FreeNet's pool or dataset="
                             f'{sorted(FREENET_POOL)}')
        pairs = read_freenet_ids(cfg['freenet_ids'], dataset)
        ids = {int(i['id']) for i in instances
               if (int(i['img_id']), int(i['id'])) in pairs}
        if pairs and not ids:
            raise ValueError(
                f'none of the {len(pairs)} {dataset} annotations of '
                f'{cfg["freenet_ids"]} is in {self.ann_file} (image id and '
                'annotation id): another split or numbering')
        if len(ids) < len(pairs):
            MMLogger.get_current_instance().warning(
                f'{len(pairs) - len(ids)} of the {len(pairs)} {dataset} '
                f'annotations of {cfg["freenet_ids"]} are not in '
                f'{self.ann_file}')
        return ids

    def _apply_visibility_overrides(self, instances: List[dict]) -> None:
        """FreeNet's per-annotation visibility files (image id + box)."""
        path = self.visibility_overrides
        if not osp.isfile(path):
            raise FileNotFoundError(f'visibility overrides {path} not found')
        with open(path) as f:
            entries = json.load(f)
        by_image: dict = {}
        for info in instances:
            by_image.setdefault(int(info['img_id']), []).append(info)
        k = self.metainfo['num_keypoints']
        matched = 0
        for e in entries:
            vis = np.asarray(e['vis'], dtype=np.float32)
            if vis.shape != (k, ):
                raise ValueError(f'{path}: an entry of image {e["image_id"]} '
                                 f'has {vis.size} visibilities, the dataset '
                                 f'{k} keypoints')
            box = np.asarray(e['box'], dtype=np.float64)
            for info in by_image.get(int(e['image_id']), []):
                x0, y0, x1, y1 = info['bbox'][0]
                if np.all(np.abs(np.array([x0, y0, x1 - x0, y1 - y0]) - box)
                          <= 2):
                    info['keypoints_visible'] = info['keypoints_visible'] * \
                        (vis > 0)[None]
                    info['has_keypoints'] = bool(
                        np.any(info['keypoints_visible'] > 0))
                    matched += 1
                    break
        MMLogger.get_current_instance().info(
            f'visibility overrides {path}: {matched} of {len(entries)} '
            f'entries matched an instance of {self.ann_file}')
        if matched < len(entries):
            MMLogger.get_current_instance().warning(
                f'{len(entries) - matched} entries of {path} match no '
                f'instance of {self.ann_file} (image id + box within 2 px)')

    def _get_topdown_data_infos(self, instance_list: List[dict]) -> List[dict]:
        """Assign roles, hide unlabelled keypoints, apply pseudo labels."""
        logger = MMLogger.get_current_instance()
        instances = [i for i in instance_list if self._is_valid_box(i)]
        if self.category_names is not None:
            names = {c['id']: c['name']
                     for c in self._metainfo.get('CLASSES', [])}
            unknown = set(self.category_names) - set(names.values())
            if unknown:
                raise ValueError(f'{self.ann_file} has no categories '
                                 f'{sorted(unknown)}; it has '
                                 f'{sorted(names.values())}')
            instances = [i for i in instances if names.get(
                int(i['category_id'])) in self.category_names]
        if self.visibility_overrides:
            self._apply_visibility_overrides(instances)
        labelled_ids = self._labelled_image_ids(instances)
        labelled_anns = self._labelled_annotation_ids(instances)
        for info in instances:
            labelled = info['has_keypoints'] and (
                labelled_ids is None or info['img_id'] in labelled_ids) and (
                labelled_anns is None or int(info['id']) in labelled_anns)
            info['is_labelled'] = labelled
            if not labelled:
                info['hidden_keypoints'] = info['keypoints'].copy()
                info['hidden_keypoints_visible'] = \
                    info['keypoints_visible'].copy()
                if not self.unlabelled_annotations:
                    info['keypoints_visible'] = np.zeros_like(
                        info['keypoints_visible'])
        if self.pseudo_label_cfg:
            self._apply_pseudo_labels(instances)
        kept = [i for i in instances
                if self.role == 'all' or (self.role == 'labelled') ==
                i['is_labelled']]
        n_lab = sum(i['is_labelled'] for i in kept)
        logger.info(f'{self.__class__.__name__} {self.ann_file}: '
                    f'{len(kept)} instances ({n_lab} labelled, '
                    f'{len(kept) - n_lab} unlabelled), role={self.role}')
        if self.unlabelled_annotations:
            logger.warning(f'{self.ann_file}: the unlabelled instances keep '
                           'their annotations as training targets '
                           '(unlabelled_annotations, a diagnostic)')
        if not kept:
            raise ValueError(
                f'{self.ann_file} gives no {self.role} instances with '
                f'labelled={self.labelled_cfg}; check the split settings')
        return kept

    def _apply_pseudo_labels(self, instances: List[dict]) -> None:
        """Overlay the configured pseudo-label file (matched by annotation
        id)."""
        cfg = self.pseudo_label_cfg
        self._overlay(instances, load_pseudo_labels(cfg['file']),
                      cfg.get('filter'), source=cfg['file'])

    def _overlay(self, instances: List[dict], labels: dict,
                 filter_cfg: Optional[dict], source: str) -> None:
        targets = [i for i in instances if not i['is_labelled']]
        found = [i for i in targets if int(i['id']) in labels]
        if not found:
            raise ValueError(f'pseudo labels from {source} match none of the '
                             f'unlabelled instances of {self.ann_file} '
                             '(matched by annotation id)')
        kps = [labels[int(i['id'])] for i in found]
        filt = build_filter(filter_cfg or dict(
            type='GlobalPercentileFilter', percentile=0.4))
        keep = filt(np.stack([k[:, 2] for k in kps]))
        for info, kp, mask in zip(found, kps, keep):
            info['keypoints'] = kp[None, :, :2].astype(np.float32)
            info['keypoints_visible'] = mask[None].astype(np.float32)
            info['pseudo_scores'] = kp[None, :, 2].astype(np.float32)
            info['has_pseudo_label'] = True
        logger = MMLogger.get_current_instance()
        logger.info(
            f'pseudo labels from {source}: {len(found)} of {len(targets)} '
            f'unlabelled instances, {keep.mean():.1%} of keypoints kept by '
            'the filter')
        if len(found) < len(targets):
            logger.warning(
                f'{len(targets) - len(found)} unlabelled instances of '
                f'{self.ann_file} have no pseudo label in {source} (another '
                'pool, or a file cut short?); they train without keypoint '
                'targets')

    def update_pseudo_labels(self, labels: dict,
                             filter_cfg: Optional[dict] = None) -> None:
        """Replace the pseudo labels in place (e.g. from the current
        teacher). Worker processes see the change from their next start.

        Args:
            labels (dict): annotation id -> (K, 3) x, y, score.
            filter_cfg (dict, optional): Score filter (default: the
                configured one, else a global 40 % percentile).
        """
        # mmengine's accessor: mmpose's adds metainfo keys that must not be
        # stored back
        infos = [BaseDataset.get_data_info(self, i) for i in range(len(self))]
        filter_cfg = filter_cfg or (self.pseudo_label_cfg or {}).get('filter')
        self._overlay(infos, labels, filter_cfg, source='refresh')
        self.data_list = infos
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
