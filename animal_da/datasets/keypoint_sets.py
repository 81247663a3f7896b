"""Keypoint sets of datasets with different joint definitions, and the
fine-grained unions they merge into (FreeNet, METHODS.md 3.3).

A source's joints map into a union **by name**: each source has an alias
table (its joint name -> the union joint it annotates), and the
``KeypointConverter`` mappings are derived from it, so a mapping can never
send a joint to a differently named one. The union's names, flip pairs,
upper/lower body, ``joint_weights`` (FreeNet's ``kps_weights``) and sigmas
live in the metainfo files of ``animal_da/datasets/metainfo/``.
"""
import os.path as osp
import re
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

METAINFO_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'metainfo')


def mmpose_metainfo_file(name: str) -> str:
    """Path of one of mmpose's own dataset metainfo files (e.g. ``ap10k``).

    Args:
        name (str): File stem under mmpose's ``configs/_base_/datasets``.

    Returns:
        str: The file's path inside the installed mmpose.
    """
    import mmpose
    return osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs',
                    '_base_', 'datasets', f'{name}.py')


#: union name -> its metainfo file
UNIONS: Dict[str, str] = {
    'animal_union21': osp.join(METAINFO_DIR, 'animal_union21.py'),
    'animal_union24': osp.join(METAINFO_DIR, 'animal_union24.py'),
}

#: union name -> the source datasets it merges
UNION_SOURCES: Dict[str, Tuple[str, ...]] = {
    'animal_union21': ('ap10k', 'animalpose'),
    'animal_union24': ('ap10k', 'animalpose', 'tigdog'),
}

#: source name -> (metainfo file in the source's native order,
#: alias table: native joint name -> union joint name)
SOURCES: Dict[str, Tuple[str, Dict[str, str]]] = {
    # mmpose's AP-10K order; FreeNet calls Shoulder/Elbow F_hip/F_knee
    'ap10k': (mmpose_metainfo_file('ap10k'), {
        'L_Eye': 'L_eye', 'R_Eye': 'R_eye', 'Nose': 'nose', 'Neck': 'neck',
        'Root of tail': 'tail', 'L_Shoulder': 'L_F_hip',
        'L_Elbow': 'L_F_knee', 'L_F_Paw': 'L_F_paw',
        'R_Shoulder': 'R_F_hip', 'R_Elbow': 'R_F_knee',
        'R_F_Paw': 'R_F_paw', 'L_Hip': 'L_B_hip', 'L_Knee': 'L_B_knee',
        'L_B_Paw': 'L_B_paw', 'R_Hip': 'R_B_hip', 'R_Knee': 'R_B_knee',
        'R_B_Paw': 'R_B_paw'}),
    # mmpose's AnimalPose order; FreeNet's semantic assumption: AnimalPose
    # "elbow" = AP-10K shoulder/hip, "knee" = AP-10K elbow/knee
    'animalpose': (mmpose_metainfo_file('animalpose'), {
        'L_Eye': 'L_eye', 'R_Eye': 'R_eye', 'L_EarBase': 'L_ear',
        'R_EarBase': 'R_ear', 'Nose': 'nose', 'Throat': 'throat',
        'TailBase': 'tail', 'Withers': 'wither',
        'L_F_Elbow': 'L_F_hip', 'R_F_Elbow': 'R_F_hip',
        'L_B_Elbow': 'L_B_hip', 'R_B_Elbow': 'R_B_hip',
        'L_F_Knee': 'L_F_knee', 'R_F_Knee': 'R_F_knee',
        'L_B_Knee': 'L_B_knee', 'R_B_Knee': 'R_B_knee',
        'L_F_Paw': 'L_F_paw', 'R_F_Paw': 'R_F_paw', 'L_B_Paw': 'L_B_paw',
        'R_B_Paw': 'R_B_paw'}),
    # AnimalPose in FreeNet's order: its re-split annotation files
    # (animal_pose_{train,val}.json) list the joints differently from
    # mmpose's AnimalPose files; same semantic assumption as above
    'animalpose_freenet': (osp.join(METAINFO_DIR, 'animalpose_freenet.py'), {
        'left_eye': 'L_eye', 'right_eye': 'R_eye', 'nose': 'nose',
        'left_ear': 'L_ear', 'right_ear': 'R_ear',
        'left_front_elbow': 'L_F_hip', 'right_front_elbow': 'R_F_hip',
        'left_back_elbow': 'L_B_hip', 'right_back_elbow': 'R_B_hip',
        'left_front_knee': 'L_F_knee', 'right_front_knee': 'R_F_knee',
        'left_back_knee': 'L_B_knee', 'right_back_knee': 'R_B_knee',
        'left_front_paw': 'L_F_paw', 'right_front_paw': 'R_F_paw',
        'left_back_paw': 'L_B_paw', 'right_back_paw': 'R_B_paw',
        'throat': 'throat', 'withers': 'wither', 'tailbase': 'tail'}),
    # TigDog's 19 landmarks in FreeNet's order (our tigdog19 metainfo)
    'tigdog': (osp.join(METAINFO_DIR, 'tigdog19.py'), {
        'left_eye': 'L_eye', 'right_eye': 'R_eye', 'chin': 'chin',
        'left_front_hoof': 'L_F_paw', 'right_front_hoof': 'R_F_paw',
        'left_back_hoof': 'L_B_paw', 'right_back_hoof': 'R_B_paw',
        'hip': 'tail', 'left_front_knee': 'L_F_knee',
        'right_front_knee': 'R_F_knee', 'left_back_knee': 'L_B_knee',
        'right_back_knee': 'R_B_knee', 'left_shoulder': 'L_shoulder',
        'right_shoulder': 'R_shoulder', 'left_front_elbow': 'L_F_hip',
        'right_front_elbow': 'R_F_hip', 'left_back_elbow': 'L_B_hip',
        'right_back_elbow': 'R_B_hip', 'neck': 'neck'}),
}

#: FreeNet's body-part groups for its per-part pseudo-label keep ratios
#: (METHODS.md 3.4: the ears join the front group, "ear re-grouping"), in
#: the order of its ratios ``r = [face, front, back, exclusive]``
PART_GROUPS: Dict[str, Dict[str, List[int]]] = {
    'ap10k': dict(face=[0, 1, 2], front=[5, 6, 7, 8, 9, 10],
                  back=[4, 11, 12, 13, 14, 15, 16], exclusive=[3]),
    'animal_union21': dict(face=[0, 1, 2],
                           front=[5, 6, 7, 8, 9, 10, 17, 18],
                           back=[4, 11, 12, 13, 14, 15, 16],
                           exclusive=[3, 19, 20]),
    'animal_union24': dict(face=[0, 1, 2],
                           front=[5, 6, 7, 8, 9, 10, 17, 18],
                           back=[4, 11, 12, 13, 14, 15, 16],
                           exclusive=[3, 19, 20, 21, 22, 23]),
}


#: FreeNet's ``kps_weights`` of a source keypoint set that it trains on
#: alone, in the set's own (mmpose's) order; they differ from mmpose's
#: ``joint_weights`` of that set (FreeNet keeps those as ``ori_kps_weights``,
#: ``info/ap_10k_keypoints_format.json``) and equal the 21-joint union's
#: weights at the set's joints. A union's are its metainfo's
#: ``joint_weights``.
SOURCE_KPS_WEIGHTS: Dict[str, List[float]] = {
    'ap10k': [1.0, 1.0, 1.0, 1.0, 1.2, 1.2, 1.2, 1.5, 1.2, 1.2, 1.5, 1.5,
              1.2, 1.5, 1.5, 1.2, 1.5],
}


def part_groups_by_source(keypoint_set: str) -> Dict[str, List[int]]:
    """FreeNet's part groups of a union, each split by which sources
    annotate its joints (a per-batch quantile over a group that mixes
    joints of different sources keeps mostly the best-learnt source's).

    A group whose joints the same sources annotate keeps its name; the
    others become ``<group>@<source>+<source>`` subgroups (sources in the
    union's order). A source keypoint set (one source) keeps its groups.

    Args:
        keypoint_set (str): A key of :data:`PART_GROUPS`.

    Returns:
        dict: Group name -> joint indices, a partition of the joints.
    """
    groups = PART_GROUPS[keypoint_set]
    if keypoint_set not in UNIONS:
        return {k: list(v) for k, v in groups.items()}
    sources = UNION_SOURCES[keypoint_set]
    sets = {s: set(annotated_joints(s, keypoint_set)) for s in sources}
    out: Dict[str, List[int]] = {}
    for name, joints in groups.items():
        split: Dict[str, List[int]] = {}
        for j in joints:
            key = '+'.join(s for s in sources if j in sets[s])
            split.setdefault(key, []).append(j)
        if len(split) == 1:
            out[name] = list(joints)
        else:
            out.update({f'{name}@{k}': v for k, v in split.items()})
    return out


def parent_group(name: str) -> str:
    """The FreeNet part group a :func:`part_groups_by_source` subgroup
    belongs to (its keep ratio's)."""
    return name.split('@', 1)[0]


def metainfo_file(keypoint_set: str) -> str:
    """The metainfo file of a union or a source keypoint set, by name.

    Raises:
        KeyError: An unknown name; the message lists the known ones.
    """
    if keypoint_set in UNIONS:
        return UNIONS[keypoint_set]
    if keypoint_set in SOURCES:
        return SOURCES[keypoint_set][0]
    raise KeyError(f'unknown keypoint set {keypoint_set!r}; known: '
                   f'{sorted(SOURCES) + sorted(UNIONS)}')


@lru_cache(maxsize=None)
def keypoint_names(metainfo_file: str) -> Tuple[str, ...]:
    """Joint names of a metainfo file, in its order."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file=metainfo_file))
    return tuple(meta['keypoint_id2name'][i]
                 for i in range(meta['num_keypoints']))


#: spelling variants of one joint across annotation files and metainfo
#: (after lower-casing, dropping separators and abbreviating sides)
_NAME_SYNONYMS = {'learbase': 'lear', 'rearbase': 'rear',
                  'tailbase': 'tail', 'rootoftail': 'tail',
                  'withers': 'wither'}
_NAME_TOKENS = {'left': 'l', 'right': 'r', 'front': 'f', 'back': 'b'}


def normalise_joint_name(name: str) -> str:
    """A joint name reduced so that one joint's spellings in different
    files compare equal (``left_front_paw``, ``L_F_Paw`` -> ``lfpaw``)."""
    tokens = [t for t in re.split(r'[^a-z0-9]+', name.lower()) if t]
    joined = ''.join(_NAME_TOKENS.get(t, t) for t in tokens)
    return _NAME_SYNONYMS.get(joined, joined)


def check_keypoint_order(file_names: Sequence[str],
                         metainfo_names: Sequence[str],
                         where: str) -> Optional[str]:
    """Compare the keypoint names an annotation file lists (its COCO
    categories' ``keypoints``) with the metainfo it is read with.

    Args:
        file_names (Sequence[str]): The file's names, in its order.
        metainfo_names (Sequence[str]): The metainfo's, in its order.
        where (str): The file, for messages.

    Returns:
        str | None: None when the names agree (up to spelling); otherwise
        a message that they could not be matched (other names or counts).

    Raises:
        ValueError: As many joints, and a joint both name at different
            places (the same joints in another order, or spelt partly
            differently): keypoints would be read as other joints.
    """
    a = [normalise_joint_name(n) for n in file_names]
    b = [normalise_joint_name(n) for n in metainfo_names]
    if a == b:
        return None
    # as many joints, and a name both lists have at different places: the
    # file's keypoint i is read as the metainfo's joint i, so it is misread
    moved = len(a) == len(b) and any(
        a.index(n) != b.index(n) for n in set(a) & set(b))
    if moved:
        known = [k for k in SOURCES
                 if [normalise_joint_name(n) for n in keypoint_names(
                     SOURCES[k][0])] == a]
        hint = (f"keypoint_set={known[0]!r} has the file's order"
                if known else 'give a metainfo in the file\'s order')
        raise ValueError(
            f'{where} lists its keypoints in another order than the '
            f'metainfo it is read with ({list(file_names)} against '
            f'{list(metainfo_names)}): keypoints would be read as other '
            f'joints; {hint}')
    return (f'{where}: its keypoint names {list(file_names)} do not match '
            f'the metainfo\'s {list(metainfo_names)}; their order is not '
            'checked')


def _check(union: str, source: Optional[str] = None) -> None:
    if union not in UNIONS:
        raise KeyError(f'unknown keypoint union {union!r}; known: '
                       f'{sorted(UNIONS)}')
    if source is not None and source not in SOURCES:
        raise KeyError(f'unknown source keypoint set {source!r}; known: '
                       f'{sorted(SOURCES)}')


def union_mapping(source: str, union: str) -> List[Tuple[int, int]]:
    """``KeypointConverter`` mapping (source index, union index) of a
    source's joints into a union, derived by name.

    Args:
        source (str): A key of :data:`SOURCES`.
        union (str): A key of :data:`UNIONS`.

    Returns:
        list[tuple[int, int]]: One pair per source joint the union has.

    Raises:
        KeyError: Unknown names, or an alias naming no joint of any union.
    """
    _check(union, source)
    file, aliases = SOURCES[source]
    names = keypoint_names(file)
    target = {n: i for i, n in enumerate(keypoint_names(UNIONS[union]))}
    widest = set(keypoint_names(UNIONS['animal_union24']))
    pairs = []
    for i, name in enumerate(names):
        if name not in aliases:
            raise KeyError(f'{source} joint {name!r} has no alias in '
                           'animal_da.datasets.keypoint_sets.SOURCES')
        alias = aliases[name]
        if alias not in widest:
            raise KeyError(f'{source} joint {name!r} maps to {alias!r}, '
                           'which no union has')
        if alias in target:
            pairs.append((i, target[alias]))
    return pairs


def inverse_mapping(source: str, union: str) -> List[Tuple[int, int]]:
    """The mapping back, (union index, source index), for a converter from
    the union to a source's own order."""
    return [(u, s) for s, u in union_mapping(source, union)]


def annotated_joints(source: str, union: str) -> List[int]:
    """Union indices a source annotates."""
    return sorted(u for _, u in union_mapping(source, union))


def joint_subsets(union: str,
                  sources: Optional[Sequence[str]] = None
                  ) -> Dict[str, List[int]]:
    """Named joint subsets of a union for evaluation.

    Args:
        union (str): A key of :data:`UNIONS`.
        sources (Sequence[str], optional): The merged sources (default: the
            union's :data:`UNION_SOURCES`).

    Returns:
        dict: ``all``; ``shared`` (annotated by every source); ``exclusive``
        (the rest); per source ``<source>`` (its joints) and
        ``only_<source>`` (joints no other source annotates, left out when
        empty).
    """
    _check(union)
    sources = list(sources or UNION_SOURCES[union])
    n = len(keypoint_names(UNIONS[union]))
    sets = {s: set(annotated_joints(s, union)) for s in sources}
    shared = set.intersection(*sets.values())
    out = {'all': list(range(n)), 'shared': sorted(shared),
           'exclusive': sorted(set(range(n)) - shared)}
    for s in sources:
        out[s] = sorted(sets[s])
        others = set().union(*(sets[o] for o in sources if o != s))
        only = sorted(sets[s] - others)
        if only:
            out[f'only_{s}'] = only
    return out
