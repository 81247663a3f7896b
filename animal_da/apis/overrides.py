"""Config edits found by type, never by list position.

Two kinds of edit live here, used by workflows (``apis/workflow.py``), the
tools (``--cfg-options data_root=...``) and the benchmarks:

- **workflow-level keys** (:data:`WORKFLOW_KEYS`): one value that reaches
  every place of a config that needs it, e.g. ``data_root`` sets the data
  root of every dataset (train, val, test, ``pseudo_label_dataset``, the
  datasets of hooks' data loaders), ``pseudo_label_file`` the file of every
  ``SemiPoseDataset`` that reads pseudo labels, ``init_checkpoint`` the
  teacher-student estimator's ``init_cfg`` or, for other models,
  ``load_from``;
- **typed paths**: dotted keys whose list steps name an element by its
  ``type``, e.g. ``custom_hooks[ScheduledValuesHook].values.topk.end`` or
  ``param_scheduler[CosineAnnealingLR].T_max``. Every element of that type
  on which the rest of the path exists is edited; none is an error.
"""
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

from mmengine.config import Config, ConfigDict

#: the keys a workflow (or ``--cfg-options``) may set in every stage
WORKFLOW_KEYS = ('data_root', 'metainfo', 'num_keypoints', 'labelled',
                 'pseudo_label_file', 'pseudo_label_filter',
                 'init_checkpoint', 'epochs', 'seed', 'batch_size', 'width',
                 'part_bank')
#: channel settings of heads and discriminators that ``width`` scales
WIDTH_KEYS = ('in_channels', 'pre_channels', 'deconv_out_channels',
              'refine_mid', 'refine_out')
#: older names of workflow keys, still accepted in ``--cfg-options``
ALIASES = {'stage1_checkpoint': 'init_checkpoint'}

_TYPED = re.compile(r'^(?P<key>[^\[\]]+)\[(?P<type>[^\[\]]+)\]$')


class OverrideError(ValueError):
    """A config edit that has nothing to act on."""


def iter_dicts(node: Any, path: str = '') -> Iterator[Tuple[str, dict]]:
    """Every dict of a config tree with its dotted path (lists by index).

    Args:
        node: A config, dict or list.
        path (str): Path of ``node``.

    Yields:
        tuple: ``(path, dict)`` pairs, parents before children.
    """
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from iter_dicts(v, f'{path}.{k}' if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from iter_dicts(v, f'{path}.{i}')


def _type_name(node: dict) -> str:
    t = node.get('type', '')
    return t if isinstance(t, str) else getattr(t, '__name__', str(t))


def _short(name: str) -> str:
    """``mmdet.MultiBranch`` -> ``MultiBranch``."""
    return name.split('.')[-1]


def find_by_type(cfg: Any, type_name: str) -> List[Tuple[str, dict]]:
    """Every dict whose ``type`` is ``type_name`` (scope prefix ignored)."""
    return [(p, d) for p, d in iter_dicts(cfg)
            if _short(_type_name(d)) == _short(type_name)]


def datasets(cfg: Any) -> List[Tuple[str, dict]]:
    """Every leaf dataset config (a dict with ``ann_file``)."""
    return [(p, d) for p, d in iter_dicts(cfg)
            if 'ann_file' in d and 'type' in d]


def semi_datasets(cfg: Any) -> List[Tuple[str, dict]]:
    """Every ``SemiPoseDataset`` config (subclasses included, e.g.
    ``TigDogSemiDataset``), through any wrapper nest."""
    from mmpose.registry import DATASETS

    from ..datasets import SemiPoseDataset

    def is_semi(d: dict) -> bool:
        name = _type_name(d)
        if not name:
            return False
        cls = DATASETS.get(name)
        return isinstance(cls, type) and issubclass(cls, SemiPoseDataset)

    return [(p, d) for p, d in iter_dicts(cfg) if is_semi(d)]


def _set_typed(node: Any, steps: List[str], value: Any) -> int:
    """Set ``value`` at ``steps`` below ``node``; returns how many were
    set."""
    step, rest = steps[0], steps[1:]
    m = _TYPED.match(step)
    if m:
        seq = node.get(m['key']) if isinstance(node, dict) else None
        if not isinstance(seq, (list, tuple)):
            return 0
        hits = 0
        for item in seq:
            if isinstance(item, dict) and _short(_type_name(item)) == \
                    _short(m['type']):
                hits += _set_typed(item, rest, value) if rest else 0
        return hits
    if isinstance(node, (list, tuple)) and step.isdigit():
        if int(step) >= len(node):
            return 0
        if not rest:
            node[int(step)] = value
            return 1
        return _set_typed(node[int(step)], rest, value)
    if not isinstance(node, dict):
        return 0
    if not rest:
        node[step] = value
        return 1
    if step not in node:
        return 0
    return _set_typed(node[step], rest, value)


def set_typed_path(cfg: Config, key: str, value: Any) -> int:
    """Set a dotted key whose list steps may name elements by type.

    Args:
        cfg (Config): The config, changed in place.
        key (str): E.g. ``custom_hooks[EMATeacherHook].decay``.
        value: The value.

    Returns:
        int: The number of places set (at least 1).

    Raises:
        OverrideError: Nothing of that type has that path.
    """
    steps = key.split('.')
    if _TYPED.match(steps[-1]):
        raise OverrideError(f'{key}: a typed step needs a key after it '
                            '(e.g. custom_hooks[EMATeacherHook].decay)')
    # a bracket never contains a dot, so splitting on dots is safe
    n = _set_typed(cfg._cfg_dict if isinstance(cfg, Config) else cfg,
                   steps, value)
    if not n:
        raise OverrideError(
            f'{key}: no element of that type has this path in the config')
    return n


def apply_options(cfg: Config, options: Optional[Dict[str, Any]]) -> None:
    """Apply ``--cfg-options``-style edits: dotted keys go through
    mmengine's ``merge_from_dict``; keys with a ``[Type]`` step, and the
    :data:`WORKFLOW_KEYS`, are set by type.

    Args:
        cfg (Config): The config, changed in place.
        options (dict, optional): Key to value.
    """
    options = dict(options or {})
    typed = {k: options.pop(k) for k in list(options) if '[' in k}
    keys: Dict[str, Any] = {}
    for k in list(options):
        head, _, sub = k.partition('.')
        head = ALIASES.get(head, head)
        if head not in WORKFLOW_KEYS:
            continue
        value = options.pop(k)
        if sub:  # labelled.per_category=10
            keys.setdefault(head, {})[sub] = value
        else:
            keys[head] = value
    if options:
        cfg.merge_from_dict(options)
    for k, v in typed.items():
        set_typed_path(cfg, k, v)
    if keys:
        apply_workflow_keys(cfg, **keys)


def apply_workflow_keys(cfg: Config, **values: Any) -> Config:
    """Set workflow-level keys in every place of ``cfg`` that needs them.

    Args:
        cfg (Config): A merged config; changed in place.
        **values: A subset of :data:`WORKFLOW_KEYS` (``None`` values are
            skipped):

            - ``data_root``: every dataset's ``data_root`` (and the top-level
              variable);
            - ``metainfo``: a metainfo file, set as
              ``metainfo=dict(from_file=...)`` on every dataset;
            - ``num_keypoints``: ``out_channels`` of every heatmap head;
            - ``labelled``: merged into the ``labelled`` dict of every
              ``SemiPoseDataset`` that draws a labelled subset (e.g.
              ``dict(per_category=10)``);
            - ``pseudo_label_file``: every ``SemiPoseDataset`` with
              ``pseudo_labels``;
            - ``pseudo_label_filter``: merged into their ``filter`` (e.g.
              ``dict(percentile=0.0)`` keeps every keypoint);
            - ``init_checkpoint``: a plain pose-estimator checkpoint: the
              ``init_cfg`` of a recipe that builds its networks from
              ``pose_estimator``, else ``load_from``;
            - ``epochs``: ``train_cfg.max_epochs``, the end of every
              epoch-based lr scheduler that ran to the old end, its
              ``T_max`` for cosine schedules;
            - ``seed``: ``randomness.seed``;
            - ``batch_size``: the train loader's batch size;
            - ``width``: a width multiplier of every ResNet backbone
              (``base_channels``) and of the channels that follow it (heads,
              refinement blocks, discriminator inputs), e.g. 0.5 for the
              half-width CPU model (:func:`set_width`);
            - ``part_bank``: the ``bank`` folder of every
              ``SemanticPartCanvas`` transform (ASDA's part canvases).

    Returns:
        Config: ``cfg``.

    Raises:
        OverrideError: A key has nothing to act on in this config (e.g.
            ``pseudo_label_file`` for a config that reads none).
        KeyError: An unknown key.
    """
    unknown = set(values) - set(WORKFLOW_KEYS)
    if unknown:
        raise KeyError(f'unknown workflow keys {sorted(unknown)}; known: '
                       f'{list(WORKFLOW_KEYS)}')
    v = {k: x for k, x in values.items() if x is not None}
    if 'data_root' in v:
        root = str(v['data_root']).rstrip('/') + '/'
        for _, d in iter_dicts(cfg._cfg_dict):
            if 'data_root' in d and ('type' in d or 'ann_file' in d):
                d['data_root'] = root
        if 'data_root' in cfg:
            cfg.data_root = root
    if 'metainfo' in v:
        for _, d in datasets(cfg._cfg_dict):
            d['metainfo'] = ConfigDict(from_file=v['metainfo'])
    if 'num_keypoints' in v:
        heads = [d for _, d in iter_dicts(cfg._cfg_dict)
                 if 'out_channels' in d and 'decoder' in d]
        if not heads:
            raise OverrideError('num_keypoints: the config has no heatmap '
                                'head (out_channels + decoder)')
        for d in heads:
            d['out_channels'] = int(v['num_keypoints'])
    if 'labelled' in v:
        hit = [d for _, d in semi_datasets(cfg._cfg_dict)
               if isinstance(d.get('labelled'), dict) and
               not d['labelled'].get('none')]
        if not hit:
            raise OverrideError('labelled: no SemiPoseDataset of the config '
                                'draws a labelled subset')
        for d in hit:
            d['labelled'] = ConfigDict(dict(d['labelled'], **v['labelled']))
    if 'part_bank' in v:
        hit = find_by_type(cfg._cfg_dict, 'SemanticPartCanvas')
        if not hit:
            raise OverrideError('part_bank: the config has no '
                                'SemanticPartCanvas transform')
        for _, d in hit:
            d['bank'] = v['part_bank']
        if 'part_bank' in cfg:  # keep the configs' variable in step
            cfg.part_bank = v['part_bank']
    if 'pseudo_label_file' in v:
        for d in _pseudo_labelled(cfg, 'pseudo_label_file'):
            d['pseudo_labels']['file'] = v['pseudo_label_file']
        if 'pseudo_label_file' in cfg:  # keep the configs' variable in step
            cfg.pseudo_label_file = v['pseudo_label_file']
    if 'pseudo_label_filter' in v:
        for d in _pseudo_labelled(cfg, 'pseudo_label_filter'):
            d['pseudo_labels']['filter'] = ConfigDict(dict(
                d['pseudo_labels'].get('filter') or {},
                **v['pseudo_label_filter']))
    if 'init_checkpoint' in v:
        set_init_checkpoint(cfg, v['init_checkpoint'])
        if 'stage1_checkpoint' in cfg:
            cfg.stage1_checkpoint = v['init_checkpoint']
    if 'epochs' in v:
        set_epochs(cfg, int(v['epochs']))
    if 'seed' in v:
        cfg.setdefault('randomness', ConfigDict())
        cfg.randomness.seed = int(v['seed'])
    if 'batch_size' in v:
        cfg.train_dataloader.batch_size = int(v['batch_size'])
    if 'width' in v:
        set_width(cfg, float(v['width']))
    return cfg


def set_width(cfg: Config, width: float) -> None:
    """Scale a ResNet model's width: the backbones' ``base_channels`` (its
    stem stays) and, in the rest of ``cfg.model``, every channel setting in
    :data:`WIDTH_KEYS` (heads, refinement blocks, the inputs of domain
    discriminators, which see backbone or head features).

    Raises:
        OverrideError: The model has no ResNet backbone.
    """
    if width == 1:
        return
    backbones = [d for _, d in iter_dicts(cfg.model)
                 if 'depth' in d and _type_name(d).endswith('ResNet')]
    if not backbones:
        raise OverrideError('width: the model has no ResNet backbone')

    def scaled(n):
        return max(1, int(round(n * width)))

    for d in backbones:
        d['base_channels'] = scaled(d.get('base_channels', 64))
    for _, d in iter_dicts(cfg.model):
        if any(d is b for b in backbones):
            continue
        for k in WIDTH_KEYS:
            if k in d:
                d[k] = [scaled(n) for n in d[k]] if isinstance(
                    d[k], (list, tuple)) else scaled(d[k])


def _pseudo_labelled(cfg: Config, key: str) -> List[dict]:
    """Every ``SemiPoseDataset`` config that reads pseudo labels."""
    hit = [d for _, d in semi_datasets(cfg._cfg_dict)
           if d.get('pseudo_labels')]
    if not hit:
        raise OverrideError(f'{key}: no SemiPoseDataset of the config reads '
                            'pseudo labels')
    return hit


def builds_from_pose_estimator(model_cfg: dict) -> bool:
    """Whether a model config is a recipe whose networks are built from a
    plain ``pose_estimator`` and initialised by ``init_cfg`` (the
    teacher-student recipes), found by its registered class."""
    from mmpose.registry import MODELS

    from ..models.estimators import TeacherStudentPoseEstimator
    cls = MODELS.get(_type_name(model_cfg))
    return isinstance(cls, type) and issubclass(cls,
                                                TeacherStudentPoseEstimator)


def set_init_checkpoint(cfg: Config, path: str) -> None:
    """Start a run from a plain pose-estimator checkpoint.

    Teacher-student recipes load it into both networks through their
    ``init_cfg``; every other model (plain estimators, the adversarial
    recipe, which maps plain keys) through ``load_from``.
    """
    if builds_from_pose_estimator(cfg.model):
        cfg.model.init_cfg = ConfigDict(type='Pretrained', checkpoint=path)
    else:
        cfg.load_from = path


def set_epochs(cfg: Config, epochs: int) -> None:
    """Train for ``epochs``: the loop, the checkpoint interval and every
    epoch-based scheduler that ran to the old end move with it."""
    if epochs < 1:
        raise OverrideError(f'epochs must be at least 1, got {epochs}')
    old = int(cfg.train_cfg.get('max_epochs', epochs))
    cfg.train_cfg.max_epochs = epochs
    scheds = cfg.get('param_scheduler') or []
    if isinstance(scheds, dict):
        scheds = [scheds]
    for s in scheds:
        if not s.get('by_epoch', True) or 'end' not in s:
            continue
        if s['end'] >= old:  # ran to (or past) the end of training
            s['end'] = s['end'] - old + epochs
            if _short(_type_name(s)) == 'CosineAnnealingLR':
                s['T_max'] = s['end'] - s.get('begin', 0)
    ckpt = cfg.get('default_hooks', {}).get('checkpoint')
    if ckpt is not None and ckpt.get('interval', 1) > epochs:
        ckpt['interval'] = epochs
