"""Export a trained model as a plain mmpose config and checkpoint.

The exported pair needs no animal_da code path (unless the network itself uses
an animal_da module): ``mmpose.apis.init_model``, ``inference_topdown`` and
``MMPoseInferencer`` load it directly. The checkpoint holds only tensors and
plain Python types, so it loads with ``torch.load(weights_only=True)``.
"""
import os
import os.path as osp
from typing import Any, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict

from ..compat import load_checkpoint_file
from ..utils import atomic_write
from ..version import __version__

#: keys of recipe configs that hold the plain pose estimator they train
POSE_ESTIMATOR_KEY = 'pose_estimator'


def to_plain(obj: Any) -> Any:
    """Turn NumPy values (and tuples) into lists and Python scalars.

    Args:
        obj: A nested structure of dicts, lists, arrays and scalars.

    Returns:
        The same structure with only weights-only-loadable types.
    """
    if isinstance(obj, dict):
        return {str(k) if not isinstance(k, (int, str)) else k: to_plain(v)
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str, torch.Tensor)):
        return obj
    raise TypeError(f'cannot export a value of type {type(obj).__name__}')


def _pose_model_cfg(cfg: Config) -> ConfigDict:
    model = cfg.model
    if POSE_ESTIMATOR_KEY in model:
        model = model[POSE_ESTIMATOR_KEY]
    model = ConfigDict(model.to_dict() if hasattr(model, 'to_dict') else model)
    if model.get('type') != 'TopdownPoseEstimator':
        raise ValueError(f'export supports top-down models; the config '
                         f'builds {model.get("type")}')
    if 'init_cfg' in model.get('backbone', {}):
        model.backbone.init_cfg = None  # weights come from the checkpoint
    model.pop('init_cfg', None)
    return model


def _select_state_dict(state_dict: dict, which: str) -> dict:
    """Keep the ``which`` network's weights, prefixes stripped."""
    prefixes = {k.split('.', 1)[0] for k in state_dict}
    if {'student', 'teacher'} & prefixes:
        if which not in prefixes:
            raise KeyError(f'the checkpoint has no {which!r} weights; it has '
                           f'{sorted(prefixes)}')
        n = len(which) + 1
        return {k[n:]: v for k, v in state_dict.items()
                if k.startswith(which + '.')}
    if which == 'teacher':
        raise KeyError('the checkpoint holds a single network (no teacher); '
                       'export it with --which student')
    if 'pose' in prefixes:  # adversarial recipes: pose net + discriminator
        return {k[len('pose.'):]: v for k, v in state_dict.items()
                if k.startswith('pose.')}
    return dict(state_dict)


def _needs_animal_da(model_cfg: ConfigDict) -> bool:
    """Whether any module type of the model is registered by animal_da."""
    from mmpose.registry import MODELS
    types = []

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get('type'), str):
                types.append(node['type'])
            for v in node.values():
                collect(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                collect(v)

    collect(model_cfg.to_dict())
    for name in types:
        cls = MODELS.get(name)
        if cls is not None and cls.__module__.startswith('animal_da'):
            return True
    return False


def export_pose_model(config: str,
                      checkpoint: str,
                      out_dir: str,
                      which: str = 'student',
                      name: Optional[str] = None) -> Tuple[str, str]:
    """Write a plain mmpose config and a weights-only checkpoint.

    Args:
        config (str): Training config.
        checkpoint (str): Checkpoint written by a run of that config.
        out_dir (str): Output folder.
        which (str): ``student`` or ``teacher`` for teacher-student recipes.
        name (str, optional): File stem (default: the config's).

    Returns:
        tuple[str, str]: Paths of the exported config and checkpoint.
    """
    if which not in ('student', 'teacher'):
        raise ValueError(f'which must be student or teacher, got {which!r}')
    cfg = Config.fromfile(config)
    model_cfg = _pose_model_cfg(cfg)
    ckpt = load_checkpoint_file(checkpoint, map_location='cpu')
    state_dict = ckpt.get('state_dict', ckpt)
    state_dict = _select_state_dict(state_dict, which)
    dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    if dataset_meta is None:
        from mmpose.apis.inference import dataset_meta_from_config
        dataset_meta = dataset_meta_from_config(cfg, dataset_mode='train')
    test_ds = cfg.test_dataloader.dataset
    plain = dict(
        default_scope='mmpose',
        model=model_cfg.to_dict(),
        dataset_type=test_ds.type,
        data_mode=test_ds.get('data_mode', 'topdown'),
        test_dataloader=dict(
            dataset=dict(type=test_ds.type,
                         data_mode=test_ds.get('data_mode', 'topdown'),
                         pipeline=[dict(p) for p in test_ds.pipeline])),
        visualizer=cfg.get('visualizer',
                           dict(type='PoseLocalVisualizer',
                                name='visualizer')),
    )
    if _needs_animal_da(model_cfg):
        plain['custom_imports'] = dict(imports=['animal_da'],
                                       allow_failed_imports=False)
    name = name or osp.splitext(osp.basename(config))[0]
    os.makedirs(out_dir, exist_ok=True)
    cfg_path = osp.join(out_dir, f'{name}_{which}.py')
    ckpt_path = osp.join(out_dir, f'{name}_{which}.pth')
    exported = dict(
        state_dict={k: v.detach().cpu() for k, v in state_dict.items()},
        meta=dict(dataset_meta=to_plain(dataset_meta),
                  exported_by=f'animal_da {__version__}', which=which,
                  source_checkpoint=osp.basename(checkpoint)))
    atomic_write(cfg_path, lambda p: Config(plain).dump(p))
    atomic_write(ckpt_path, lambda p: torch.save(exported, p))
    return cfg_path, ckpt_path
