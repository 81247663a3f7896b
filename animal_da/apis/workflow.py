"""Workflows: a method's stages as one resumable run.

A workflow is a short mmengine config (``configs/<method>/*_workflow.py``)
with a ``stages`` dict, in order, and workflow-level keys
(:data:`~animal_da.apis.overrides.WORKFLOW_KEYS`: ``data_root``, ``seed``,
...) that reach every stage's config. Stage kinds:

- ``train``: ``config`` (path, relative to the workflow file or the current
  folder), ``cfg_options`` (dotted or typed keys, see
  :mod:`~animal_da.apis.overrides`), ``init`` (a plain checkpoint to start
  from), ``pseudo_labels`` (a pseudo-label file), ``part_bank`` (a part
  bank folder, for ASDA's ``SemanticPartCanvas``), ``epochs``,
  ``batch_size``, ``seed`` (all three override the workflow's keys for
  this stage: e.g. one stage trained again from the same upstream stages
  under another seed),
  ``validate`` (False: no validation during training). An ordinary
  mmengine Runner in ``work_dir/<stage>/``. Outputs: ``checkpoint`` (the
  final one), ``best``, ``config`` (the merged config it ran),
  ``work_dir``, ``learning_curve`` (each validation's metrics against
  training minutes, when it validated).
- ``export``: ``model`` (a train stage), ``which`` (``student``,
  ``teacher`` or ``best_on_val``; default: the workflow's
  ``evaluated_model``, else the recipe's evaluated network), ``checkpoint``
  (``checkpoint``, the final one, or ``best``). Outputs: ``config``,
  ``checkpoint`` (a plain mmpose model), ``source_config``.
- ``pseudo_label``: ``model`` (an export stage), TTA settings
  (``num_transforms``, ``scale_std``, ``rot_std``, ``flip``, ``subpixel``,
  ``flip_shift``, ``batch_size``, ``temporal``), ``device`` (default: the
  GPU when there is one), the instances of the exported model's
  training config's ``pseudo_label_dataset``. Output: ``file``.
- ``part_bank``: a part bank of the generator's animal parts
  (``num_images``, ``seed``, ``img_size``, ``style``). Output: ``dir``.
- ``evaluate``: ``model`` (a train stage), ``checkpoint`` (``checkpoint``
  or ``best``), ``predict_on`` (teacher-student recipes: as ``which``),
  ``method`` (the row name in ``summary.json``), ``cfg_options``. Output:
  ``metrics``.

The evaluated network of a teacher-student recipe is a workflow setting:
``evaluated_model = 'teacher' | 'student' | 'best_on_val'`` applies to every
export and evaluate stage that names none; ``best_on_val`` evaluates both on
the train config's val split and takes the better by ``selection_metric``
(default ``'coco/AP'``), never looking at the test split (the choice and
both val figures are in the stage's outputs).

A string ``'@stage'`` or ``'@stage.output'`` in a stage refers to an earlier
stage's output (``'@stage'`` alone: the natural one, e.g. a train stage for
``model``). Finished stages are recorded in ``work_dir/workflow_state.json``
with a fingerprint of what they ran on (their resolved settings, merged
config, the ``meta.json`` of generated data under ``data_root`` and the
fingerprints of the stages they read); a re-run skips a stage whose
fingerprint is unchanged and runs the rest; an interrupted train stage
resumes from its last checkpoint. The whole workflow is checked before any
stage runs, and one work dir runs one workflow at a time (a lock file,
``work_dir/.workflow.lock``).
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dist import barrier, broadcast_object_list, get_rank
from mmengine.hooks import Hook
from mmengine.logging import MMLogger, print_log

from ..compat import trusted_checkpoints
from ..datasets.part_bank import parts_from_generator
from ..engine.hooks import LearningCurveHook
from ..pseudo_labels import generate_pseudo_labels
from ..utils import dump_json_atomic
from .export import export_pose_model
from .overrides import (WORKFLOW_KEYS, OverrideError, apply_options,
                        apply_workflow_keys, builds_from_pose_estimator)

STATE_FILE = 'workflow_state.json'
LOCK_FILE = '.workflow.lock'
SUMMARY_FILE = 'summary.json'

#: each kind: its allowed settings, references, and outputs
KINDS: Dict[str, dict] = {
    'train': dict(
        keys={'kind', 'config', 'cfg_options', 'init', 'pseudo_labels',
              'part_bank', 'epochs', 'batch_size', 'seed', 'validate',
              'description'},
        required={'config'}, refs={'init', 'pseudo_labels', 'part_bank'},
        outputs=('checkpoint', 'best', 'config', 'work_dir'),
        default='checkpoint'),
    'export': dict(
        keys={'kind', 'model', 'which', 'checkpoint', 'description'},
        required={'model'},
        refs={'model'}, outputs=('checkpoint', 'config', 'source_config'),
        default='checkpoint'),
    'pseudo_label': dict(
        keys={'kind', 'model', 'num_transforms', 'scale_std', 'rot_std',
              'flip', 'subpixel', 'flip_shift', 'batch_size', 'seed',
              'dataset', 'temporal', 'device', 'description'},
        required={'model'}, refs={'model'}, outputs=('file', ),
        default='file'),
    'part_bank': dict(
        keys={'kind', 'num_images', 'seed', 'img_size', 'style',
              'description'},
        required=set(), refs=set(), outputs=('dir', ), default='dir'),
    'evaluate': dict(
        keys={'kind', 'model', 'checkpoint', 'predict_on', 'method',
              'cfg_options', 'description'},
        required={'model'}, refs={'model'}, outputs=('metrics', ),
        default='metrics'),
}
#: the networks a stage may read of a teacher-student recipe
NETWORKS = ('teacher', 'student', 'best_on_val')
#: which kind of stage a ``model`` reference must name
MODEL_SOURCE = {'export': 'train', 'pseudo_label': 'export',
                'evaluate': 'train'}


class _StartIter(Hook):
    """Records the iteration training starts from (after a resume)."""

    iter = 0

    def before_train(self, runner) -> None:
        self.iter = runner.iter


class WorkflowError(ValueError):
    """A workflow that cannot run; the message names the stage."""


def _ref(value: Any) -> Optional[Tuple[str, Optional[str]]]:
    """``'@stage.output'`` -> ``('stage', 'output')``; else None."""
    if isinstance(value, str) and value.startswith('@'):
        name, _, out = value[1:].partition('.')
        return name, out or None
    return None


def _plain(obj: Any) -> Any:
    """Config values as JSON-able plain types."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.generic, )):
        return obj.item()
    return obj


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(_plain(obj), sort_keys=True,
                                     default=str).encode()).hexdigest()[:16]


def summary_row(method: str, runs: List[dict],
                seeds: Optional[List[int]] = None) -> dict:
    """One benchmark row: mean, std and per-seed values of AP and PCK.

    Args:
        method (str): Row name (``source_only``, ``scarcenet``, ...).
        runs (list[dict]): Per seed: ``ap``, ``pck_bbox``, ``pck_paper``
            (0-100), per joint subset ``ap_<subset>``..., optionally
            ``train_images_per_s``, ``train_s``, ``reused``.
        seeds (list[int], optional): The seeds of ``runs``.

    Returns:
        dict: The row in the benchmarks' JSON format.
    """
    row = dict(method=method, seeds=list(seeds or range(len(runs))))
    # per joint subset (JointSubsetMetric): ap_shared, pck_bbox_exclusive...
    extra = sorted(k for k in runs[0] if k.startswith(
        ('ap_', 'pck_bbox_', 'pck_paper_')) and all(k in r for r in runs))
    for key in ['ap', 'pck_bbox', 'pck_paper'] + extra:
        vals = np.array([r[key] for r in runs], dtype=float)
        row[key] = dict(mean=round(float(vals.mean()), 2),
                        std=round(float(vals.std()), 2),
                        per_seed=[round(float(x), 2) for x in vals])
    if all('train_images_per_s' in r for r in runs):
        row['train_images_per_s'] = round(
            float(np.mean([r['train_images_per_s'] for r in runs])), 1)
        row['train_minutes'] = round(
            float(np.mean([r['train_s'] for r in runs])) / 60, 1)
    row['reused_runs'] = sum(bool(r.get('reused')) for r in runs)
    return row


def metrics_to_row_values(metrics: Dict[str, float]) -> dict:
    """mmpose metric names -> the rows' ``ap``, ``pck_bbox``,
    ``pck_paper`` in percent. With ``JointSubsetMetric`` keys
    (``<subset>/coco/AP``...) the headline is the ``all`` subset and every
    subset adds ``<row key>_<subset>`` (``ap_shared``, ``pck_bbox_exclusive``,
    ...)."""
    names = dict(ap='coco/AP', pck_bbox='PCK', pck_paper='crop/PCK')
    prefix = '' if all(v in metrics for v in names.values()) else 'all/'
    missing = [prefix + v for v in names.values()
               if prefix + v not in metrics]
    if missing:
        raise KeyError(f'the evaluation gave no {missing}; it gave '
                       f'{sorted(metrics)} (the configs\' test_evaluator '
                       'needs CocoMetric, PCKAccuracy and CropPCKAccuracy)')
    out = {k: 100 * float(metrics[prefix + v]) for k, v in names.items()}
    if prefix:
        subsets = {k.split('/', 1)[0] for k in metrics if '/' in k}
        for sub in sorted(subsets - {'all'}):
            for k, v in names.items():
                if f'{sub}/{v}' in metrics:
                    out[f'{k}_{sub}'] = 100 * float(metrics[f'{sub}/{v}'])
    return out


class Workflow:
    """A loaded, checked workflow.

    Args:
        cfg (Config or str): The workflow config (or its path).
        work_dir (str, optional): Where stages run (default: the config's
            ``work_dir``, else ``work_dirs/<workflow file name>``).
        options (dict, optional): ``--cfg-options`` for the workflow
            (``data_root=...``, ``stages.NAME.epochs=...``).
        launcher (str): ``none`` or ``pytorch`` (``dist_run_workflow.sh``).
    """

    def __init__(self, cfg, work_dir: Optional[str] = None,
                 options: Optional[dict] = None, launcher: str = 'none'):
        if isinstance(cfg, str):
            if not osp.isfile(cfg):
                raise FileNotFoundError(f'workflow {cfg} not found')
            cfg = Config.fromfile(cfg)
        if options:
            cfg.merge_from_dict(options)
        self.cfg = cfg
        self.filename = cfg.filename or '<in-memory workflow>'
        self.name = osp.splitext(osp.basename(self.filename))[0] \
            if cfg.filename else 'workflow'
        self.work_dir = work_dir or cfg.get('work_dir') or osp.join(
            'work_dirs', self.name)
        self.launcher = launcher
        if cfg.get('stage1_checkpoint') and not cfg.get('init_checkpoint'):
            cfg.init_checkpoint = cfg.stage1_checkpoint  # the older name
        self.keys = {k: cfg.get(k) for k in WORKFLOW_KEYS
                     if cfg.get(k) is not None}
        stages = cfg.get('stages')
        if not isinstance(stages, dict) or not stages:
            raise WorkflowError(f'{self.filename}: a workflow needs a '
                                '`stages` dict (name -> stage settings)')
        self.stages: Dict[str, dict] = {
            name: _plain(s) for name, s in stages.items()}
        self.state: Dict[str, dict] = {}
        self.check()

    # ---- checking ------------------------------------------------------
    def _config_path(self, name: str, path: str) -> str:
        """A stage config path: as given, or relative to the workflow."""
        cands = [path]
        if self.cfg.filename:
            cands.append(osp.join(osp.dirname(self.cfg.filename), path))
        for c in cands:
            if osp.isfile(c):
                return osp.abspath(c)
        raise WorkflowError(f'stage {name!r}: config {path} not found (also '
                            'looked beside the workflow file)')

    def check(self) -> None:
        """Check every stage before anything runs.

        Raises:
            WorkflowError: Naming the stage: an unknown kind or setting, a
                missing setting, a reference to no earlier stage or to an
                output it does not make, a config that does not parse or
                does not take the stage's settings.
        """
        if self.cfg.get('evaluated_model') not in (None, ) + NETWORKS:
            raise WorkflowError(f'evaluated_model must be one of {NETWORKS}, '
                                f'got {self.cfg.evaluated_model!r}')
        seen: Dict[str, str] = {}
        for name, st in self.stages.items():
            if '.' in name or name.startswith('@'):
                raise WorkflowError(f'stage {name!r}: names may not contain '
                                    "'.' or start with '@'")
            kind = st.get('kind')
            if kind not in KINDS:
                raise WorkflowError(f'stage {name!r}: unknown kind {kind!r}; '
                                    f'kinds: {sorted(KINDS)}')
            spec = KINDS[kind]
            extra = set(st) - spec['keys']
            if extra:
                raise WorkflowError(f'stage {name!r} ({kind}): unknown '
                                    f'settings {sorted(extra)}; it takes '
                                    f'{sorted(spec["keys"] - {"kind"})}')
            missing = spec['required'] - set(st)
            if missing:
                raise WorkflowError(f'stage {name!r} ({kind}): needs '
                                    f'{sorted(missing)}')
            for key, value in st.items():
                ref = _ref(value)
                if ref is None:
                    if key in spec['refs'] and key == 'model':
                        raise WorkflowError(
                            f'stage {name!r}: {key} must name an earlier '
                            f"stage as '@stage', got {value!r}")
                    continue
                src, out = ref
                if src not in seen:
                    raise WorkflowError(
                        f'stage {name!r}: {key}={value!r} reads stage '
                        f'{src!r}, which is not an earlier stage (earlier: '
                        f'{list(seen) or "none"})')
                outs = KINDS[seen[src]]['outputs']
                if out is not None and out not in outs:
                    raise WorkflowError(
                        f'stage {name!r}: {key}={value!r}: stage {src!r} '
                        f'({seen[src]}) makes {list(outs)}, not {out!r}')
                if key == 'model' and seen[src] != MODEL_SOURCE[kind]:
                    raise WorkflowError(
                        f'stage {name!r} ({kind}): model must be a '
                        f'{MODEL_SOURCE[kind]} stage; {src!r} is '
                        f'{seen[src]}')
            if kind == 'train':
                self._check_train(name, st)
            net = st.get('which' if kind == 'export' else 'predict_on')
            if kind in ('evaluate', 'export') and net not in (
                    None, ) + NETWORKS:
                raise WorkflowError(f'stage {name!r}: the network must be '
                                    f'one of {NETWORKS}, got {net!r}')
            if kind in ('evaluate', 'export') and st.get(
                    'checkpoint', 'checkpoint') not in ('checkpoint', 'best'):
                raise WorkflowError(f'stage {name!r}: checkpoint must be '
                                    'checkpoint or best')
            seen[name] = kind

    def _check_train(self, name: str, st: dict) -> None:
        path = self._config_path(name, st['config'])
        try:
            placeholders = {k: f'<{k} of an earlier stage>'
                            for k in ('init', 'pseudo_labels', 'part_bank')
                            if k in st}
            self.stage_config(name, st, placeholders, path=path)
        except WorkflowError:
            raise
        except Exception as e:  # a config that does not parse or take keys
            raise WorkflowError(f'stage {name!r}: config {st["config"]}: '
                                f'{type(e).__name__}: {e}') from e

    # ---- configs -------------------------------------------------------
    def stage_config(self, name: str, st: dict, resolved: dict,
                     path: Optional[str] = None) -> Config:
        """The merged config of a train stage.

        Args:
            name (str): Stage name.
            st (dict): Stage settings.
            resolved (dict): The stage's references, resolved.
            path (str, optional): The config file (found if not given).

        Returns:
            Config: The config the stage's Runner is built from.
        """
        cfg = Config.fromfile(path or self._config_path(name, st['config']))
        apply_options(cfg, st.get('cfg_options'))
        keys = dict(self.keys)
        for k in ('epochs', 'batch_size', 'seed'):  # the stage's own, if any
            if st.get(k) is not None:
                keys[k] = st[k]
        if resolved.get('init'):
            keys['init_checkpoint'] = resolved['init']
        if resolved.get('pseudo_labels'):
            keys['pseudo_label_file'] = resolved['pseudo_labels']
        if resolved.get('part_bank'):
            keys['part_bank'] = resolved['part_bank']
        # workflow-wide keys reach only configs that have the place for them
        for k in ('labelled', 'num_keypoints', 'metainfo'):
            if k in keys:
                try:
                    apply_workflow_keys(cfg, **{k: keys.pop(k)})
                except OverrideError:
                    pass
        try:
            apply_workflow_keys(cfg, **keys)
        except OverrideError as e:
            raise WorkflowError(f'stage {name!r}: {e}') from e
        if st.get('validate') is False:
            # mmengine validates after the last epoch unless val_begin lies
            # beyond it
            epochs = cfg.train_cfg.max_epochs
            cfg.train_cfg.val_interval = epochs + 1
            cfg.train_cfg.val_begin = epochs + 1
            ckpt = cfg.get('default_hooks', {}).get('checkpoint')
            if ckpt is not None:
                ckpt['save_best'] = None
        cfg.work_dir = osp.join(self.work_dir, name)
        cfg.launcher = self.launcher
        self._name_run(cfg, name)
        return cfg

    def _name_run(self, cfg: Config, name: str) -> None:
        """Unique experiment and visualiser names for a stage's Runner
        (mmengine keeps loggers and visualisers per name in a process)."""
        stamp = time.strftime('%Y%m%d_%H%M%S')
        cfg.experiment_name = f'{self.name}_{name}_{stamp}'
        cfg.setdefault('visualizer', ConfigDict(type='PoseLocalVisualizer'))
        cfg.visualizer.name = f'vis_{self.name}_{name}_{stamp}'

    @staticmethod
    def _checkpoint_of(name: str, st: dict, src: dict, src_name: str) -> str:
        """The checkpoint (final or best) of train stage ``src_name`` that
        stage ``name`` reads."""
        which = st.get('checkpoint', 'checkpoint')
        if src.get(which) is None:
            raise WorkflowError(
                f'stage {name!r}: stage {src_name!r} saved no {which!r} '
                'checkpoint (a best checkpoint needs validation and '
                'save_best)')
        return src[which]

    # ---- state ---------------------------------------------------------
    @property
    def state_file(self) -> str:
        return osp.join(self.work_dir, STATE_FILE)

    def load_state(self) -> None:
        self.state = {}
        if osp.isfile(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f).get('stages', {})

    def save_state(self) -> None:
        if get_rank() == 0:
            dump_json_atomic(dict(workflow=self.filename,
                                  stages=self.state), self.state_file,
                             indent=2)

    def resolve(self, name: str, st: dict,
                outputs: Dict[str, dict]) -> dict:
        """The stage's references replaced by earlier outputs."""
        out = {}
        for key, value in st.items():
            ref = _ref(value)
            if ref is None:
                if key in ('init', 'pseudo_labels', 'part_bank') and \
                        value is not None:
                    out[key] = value  # a file given as it is
                continue
            src, which = ref
            if key == 'model':
                out[key] = src
                continue
            kind = self.stages[src]['kind']
            got = outputs[src].get(which or KINDS[kind]['default'])
            if got is None:
                raise WorkflowError(f'stage {name!r}: {value!r} gave no '
                                    'value (that stage did not make it)')
            out[key] = got
        return out

    # ---- running -------------------------------------------------------
    def run(self) -> dict:
        """Run every stage that is not done; write and return the summary.

        Returns:
            dict: ``rows`` (one per evaluate stage) and per-stage records.
        """
        if self.launcher != 'none':
            self._init_dist()
        os.makedirs(self.work_dir, exist_ok=True)
        lock = self._lock() if get_rank() == 0 else None
        try:
            return self._run_stages()
        finally:
            if lock is not None:
                lock.close()  # closing the file releases its lock

    def _lock(self):
        """The work dir's lock file, held (open) by this process: a second
        workflow in the same work dir would train the same stages again and
        overwrite the first one's state file."""
        try:
            import fcntl
        except ImportError:  # not POSIX (Windows): no lock
            return None
        f = open(osp.join(self.work_dir, LOCK_FILE), 'w')
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise WorkflowError(
                f'another workflow is running in {self.work_dir} (it holds '
                f'{LOCK_FILE}); wait for it to end or give another work dir')
        return f

    def _data_signature(self) -> Optional[dict]:
        """``meta.json`` of generated data under ``data_root`` (its sizes,
        seed and styles), so that stages run again on regenerated data;
        real datasets are taken as they are (hashing them would cost
        minutes)."""
        root = self.keys.get('data_root')
        path = osp.join(root, 'meta.json') if isinstance(root, str) else None
        if path is None or not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def _run_stages(self) -> dict:
        logger = MMLogger.get_current_instance()
        self.load_state()
        data = self._data_signature()
        outputs: Dict[str, dict] = {}
        fingerprints: Dict[str, str] = {}
        self.skipped: List[str] = []
        n = len(self.stages)
        t0 = time.perf_counter()
        for i, (name, st) in enumerate(self.stages.items(), 1):
            resolved = self.resolve(name, st, outputs)
            upstream = sorted({r[0] for r in map(_ref, st.values()) if r})
            # an upstream stage that ran again (e.g. its checkpoint was
            # deleted) has new outputs: the stages reading it run again too
            fp_parts = dict(stage=st, keys=self.keys, resolved=resolved,
                            upstream={u: (fingerprints[u], _plain(
                                outputs[u])) for u in upstream})
            if data is not None:
                fp_parts['data'] = data
            cfg = None
            choice = [self.cfg.get(k) for k in ('evaluated_model',
                                                'selection_metric')]
            if st['kind'] in ('export', 'evaluate') and any(choice):
                fp_parts['choice'] = choice
            if st['kind'] == 'train':
                cfg = self.stage_config(name, st, resolved)
                text = cfg.pretty_text
                # names that change with the run, not with what it computes
                for volatile in (cfg.experiment_name, cfg.visualizer.name,
                                 f"launcher = '{cfg.launcher}'"):
                    text = text.replace(volatile, '')
                fp_parts['config'] = text
            fp = _hash(fp_parts)
            fingerprints[name] = fp
            rec = self.state.get(name, {})
            head = f'[workflow {i}/{n}] {name} ({st["kind"]})'
            if rec.get('status') == 'done' and rec.get('fingerprint') == fp \
                    and self._outputs_exist(rec.get('outputs', {})):
                outputs[name] = rec['outputs']
                self.skipped.append(name)
                logger.info(f'{head}: done earlier, skipped')
                continue
            if st['kind'] == 'train' and rec.get('fingerprint') not in (
                    None, fp):
                self._set_aside(name)
            logger.info(f'{head}: running' + (
                f' - {st["description"]}' if st.get('description') else ''))
            self.state[name] = dict(status='running', fingerprint=fp,
                                    kind=st['kind'])
            self.save_state()
            start = time.perf_counter()
            out = getattr(self, f'_run_{st["kind"]}')(name, st, resolved,
                                                      outputs, cfg)
            barrier()
            # every rank goes on with rank 0's outputs (it alone saves
            # checkpoints and writes files)
            out = self._broadcast([out])[0]
            secs = time.perf_counter() - start
            outputs[name] = out
            self.state[name] = dict(status='done', fingerprint=fp,
                                    kind=st['kind'], outputs=out,
                                    seconds=round(secs, 1))
            self.save_state()
            logger.info(f'{head}: finished in {secs:.0f} s')
        summary = self.summary(outputs)
        summary['total_seconds_this_run'] = round(time.perf_counter() - t0, 1)
        if get_rank() == 0:
            dump_json_atomic(summary, osp.join(self.work_dir, SUMMARY_FILE),
                             indent=2)
        logger.info('\n' + summary_table(summary['rows']))
        logger.info(f'summary written to '
                    f'{osp.join(self.work_dir, SUMMARY_FILE)}')
        return summary

    def _init_dist(self) -> None:
        import torch.distributed as dist
        if dist.is_initialized():
            return
        if torch.cuda.is_available():
            from mmengine.dist import init_dist
            init_dist(self.launcher)
        else:
            dist.init_process_group(backend='gloo',
                                    rank=int(os.environ['RANK']),
                                    world_size=int(os.environ['WORLD_SIZE']))

    @staticmethod
    def _outputs_exist(outputs: dict) -> bool:
        files = [v for k, v in outputs.items()
                 if k in ('checkpoint', 'file', 'config') and
                 isinstance(v, str)]
        dirs = [v for k, v in outputs.items() if k == 'dir']
        return all(osp.isfile(f) for f in files) and all(
            osp.isdir(d) for d in dirs)

    def _set_aside(self, name: str) -> None:
        """A train stage whose inputs changed starts afresh; its old folder
        is kept beside it (nothing is deleted)."""
        folder = osp.join(self.work_dir, name)
        if get_rank() == 0 and osp.isdir(folder):
            dest = f'{folder}.stale-{time.strftime("%Y%m%d_%H%M%S")}'
            shutil.move(folder, dest)
            print_log(f'stage {name}: its inputs changed; the earlier run '
                      f'is kept in {dest}', logger='current')
        barrier()

    def _run_train(self, name: str, st: dict, resolved: dict,
                   outputs: dict, cfg: Config) -> dict:
        from .launch import build_runner, checkpoint_trust
        from mmengine.runner import find_latest_checkpoint
        latest = find_latest_checkpoint(cfg.work_dir) \
            if osp.isdir(cfg.work_dir) else None
        if latest:
            # resume: the run's own checkpoint replaces load_from / init
            cfg.resume, cfg.load_from = True, None
            MMLogger.get_current_instance().info(
                f'stage {name}: resuming from {latest}')
        runner = build_runner(cfg)
        os.makedirs(cfg.work_dir, exist_ok=True)
        cfg_file = osp.join(cfg.work_dir, f'{name}_config.py')
        if get_rank() == 0:
            cfg.dump(cfg_file)
        start_iter = _StartIter()
        runner.register_hook(start_iter, priority='VERY_LOW')
        if not any(isinstance(h, LearningCurveHook) for h in runner.hooks):
            runner.register_hook(LearningCurveHook(), priority='LOW')
        with checkpoint_trust(cfg):
            start = time.perf_counter()
            runner.train()
            train_s = time.perf_counter() - start
        it0 = start_iter.iter
        last = find_latest_checkpoint(cfg.work_dir)
        best = runner.message_hub.get_info('best_ckpt')
        batch = cfg.train_dataloader.batch_size
        ws = int(os.environ.get('WORLD_SIZE', 1))
        curve = osp.join(cfg.work_dir, LearningCurveHook().file)
        return dict(checkpoint=last, best=best, config=cfg_file,
                    work_dir=cfg.work_dir,
                    learning_curve=curve if osp.isfile(curve) else None,
                    train_s=round(train_s, 1),
                    train_images_per_s=round(
                        (runner.iter - it0) * batch * ws / max(train_s,
                                                               1e-9), 1),
                    resumed=bool(latest))

    # ---- which network of a teacher-student recipe --------------------
    def network_of(self, name: str, st: dict, key: str, src: dict,
                   src_name: str, ckpt: str) -> Tuple[Optional[str], dict]:
        """The network stage ``name`` reads from train stage ``src_name``:
        the stage's ``key`` (``which`` / ``predict_on``), else the
        workflow's ``evaluated_model``, else the recipe's
        ``semi_test_cfg.predict_on``. ``best_on_val`` evaluates teacher and
        student on the val split (the train config's ``val_dataloader`` and
        ``val_evaluator``) and takes the better by ``selection_metric``
        (default ``coco/AP``).

        Returns:
            tuple: The network (None for a model with one network) and the
            val metrics of each network when chosen on val.
        """
        src_cfg = Config.fromfile(src['config'])
        choice = st.get(key) or self.cfg.get('evaluated_model')
        if not builds_from_pose_estimator(src_cfg.model):
            if st.get(key):
                raise WorkflowError(f'stage {name!r}: {key} needs a '
                                    'teacher-student recipe')
            return None, {}
        if choice is None:
            choice = src_cfg.model.get('semi_test_cfg', {}).get(
                'predict_on', 'teacher')
        if choice != 'best_on_val':
            return choice, {}
        cache = self.__dict__.setdefault('_val_choice', {})
        if (src_name, ckpt) not in cache:
            metric = self.cfg.get('selection_metric', 'coco/AP')
            val = {net: self._test(src, ckpt, osp.join(
                self.work_dir, name, f'val_{net}'), predict_on=net,
                on_val=True) for net in ('teacher', 'student')}
            missing = [n for n, m in val.items() if metric not in m]
            if missing:
                raise WorkflowError(
                    f'stage {name!r}: the val evaluation gave no '
                    f'{metric!r} (selection_metric); it gave '
                    f'{sorted(val[missing[0]])}')
            best = max(('teacher', 'student'), key=lambda n: val[n][metric])
            cache[(src_name, ckpt)] = best, dict(metric=metric, **val)
            MMLogger.get_current_instance().info(
                f'stage {name}: {best} chosen on val ({metric}: teacher '
                f'{val["teacher"][metric]:.4f}, student '
                f'{val["student"][metric]:.4f})')
        return cache[(src_name, ckpt)]

    def _test(self, src: dict, ckpt: str, work_dir: str,
              predict_on: Optional[str] = None, on_val: bool = False,
              cfg_options: Optional[dict] = None) -> Dict[str, float]:
        """Metrics of a train stage's checkpoint on its test split (or val
        split), with one network of a teacher-student recipe."""
        from .launch import build_runner, checkpoint_trust
        ecfg = Config.fromfile(src['config'])
        apply_options(ecfg, cfg_options)
        if on_val:
            ecfg.test_dataloader = ecfg.val_dataloader
            ecfg.test_evaluator = ecfg.val_evaluator
        if predict_on:
            ecfg.model.semi_test_cfg = dict(
                ecfg.model.get('semi_test_cfg', {}), predict_on=predict_on)
        ecfg.load_from, ecfg.resume = ckpt, False
        ecfg.work_dir = work_dir
        ecfg.launcher = self.launcher
        self._name_run(ecfg, osp.basename(work_dir))
        runner = build_runner(ecfg)
        with trusted_checkpoints([src['work_dir']]), checkpoint_trust(ecfg):
            metrics = runner.test()
        return {k: float(v) for k, v in metrics.items()}

    def _run_export(self, name: str, st: dict, resolved: dict,
                    outputs: dict, cfg: Config) -> dict:
        src = outputs[resolved['model']]
        folder = osp.join(self.work_dir, name)
        ckpt = self._checkpoint_of(name, st, src, resolved['model'])
        which, val = self.network_of(name, st, 'which', src,
                                     resolved['model'], ckpt)
        which = which or 'student'  # one network: its weights
        result = [None, None]
        if get_rank() == 0:
            with trusted_checkpoints([src['work_dir']]):
                result = list(export_pose_model(
                    src['config'], ckpt, folder, which=which,
                    name=resolved['model']))
        barrier()
        result = self._broadcast(result)
        return dict(config=result[0], checkpoint=result[1],
                    source_config=src['config'], which=which,
                    val_choice=val or None)

    def _run_pseudo_label(self, name: str, st: dict, resolved: dict,
                          outputs: dict, cfg: Config) -> dict:
        src = outputs[resolved['model']]
        train_cfg = Config.fromfile(src['source_config'])
        dataset = st.get('dataset') or train_cfg.get('pseudo_label_dataset')
        if dataset is None:
            dataset = dict(train_cfg.train_dataloader.dataset,
                           type='SemiPoseDataset', role='unlabelled')
        model_cfg = Config.fromfile(src['config'])
        out = osp.join(self.work_dir, name, 'pseudo_labels.json')
        tta = {k: st[k] for k in ('num_transforms', 'scale_std', 'rot_std',
                                  'flip', 'subpixel', 'flip_shift',
                                  'batch_size', 'temporal') if k in st}
        if get_rank() == 0:
            os.makedirs(osp.dirname(out), exist_ok=True)
            # the stage's ``device``, else the GPU the train stages use
            generate_pseudo_labels(
                model_cfg, src['checkpoint'], out, dataset_cfg=dataset,
                seed=int(st.get('seed', self.keys.get('seed', 0))),
                device=st.get('device'), **tta)
        barrier()
        return dict(file=out, dataset=_plain(dataset))

    def _run_part_bank(self, name: str, st: dict, resolved: dict,
                       outputs: dict, cfg: Config) -> dict:
        out = osp.join(self.work_dir, name, 'parts')
        if get_rank() == 0:
            parts_from_generator(
                out, int(st.get('num_images', 200)),
                seed=int(st.get('seed', self.keys.get('seed', 0))),
                img_size=int(st.get('img_size', 256)),
                style=st.get('style', 'real'), overwrite=True)
        barrier()
        return dict(dir=out)

    def _run_evaluate(self, name: str, st: dict, resolved: dict,
                      outputs: dict, cfg: Config) -> dict:
        src = outputs[resolved['model']]
        ckpt = self._checkpoint_of(name, st, src, resolved['model'])
        net, val = self.network_of(name, st, 'predict_on', src,
                                   resolved['model'], ckpt)
        metrics = self._test(src, ckpt, osp.join(self.work_dir, name),
                             predict_on=net,
                             cfg_options=st.get('cfg_options'))
        return dict(metrics=metrics, checkpoint=ckpt, predict_on=net,
                    train_stage=resolved['model'], val_choice=val or None)

    @staticmethod
    def _broadcast(obj: list) -> list:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            broadcast_object_list(obj)
        return obj

    # ---- summary -------------------------------------------------------
    def summary(self, outputs: Dict[str, dict]) -> dict:
        """Rows of every evaluate stage in the benchmarks' format."""
        rows = []
        seed = self.keys.get('seed', 0)
        for name, st in self.stages.items():
            if st['kind'] != 'evaluate' or name not in outputs:
                continue
            out = outputs[name]
            vals = metrics_to_row_values(out['metrics'])
            train = outputs.get(out['train_stage'], {})
            run = dict(vals, **{k: train[k] for k in (
                'train_images_per_s', 'train_s') if k in train})
            row = summary_row(st.get('method', name), [run], [seed])
            if out.get('val_choice'):
                row['val_choice'] = out['val_choice']
            row.update(stage=name, predict_on=out.get('predict_on'),
                       checkpoint=out['checkpoint'],
                       train_stage=out['train_stage'])
            rows.append(row)
        return dict(workflow=self.filename, work_dir=self.work_dir,
                    keys=_plain(self.keys), rows=rows,
                    skipped=list(getattr(self, 'skipped', [])),
                    stages={n: dict(kind=s['kind'], status=self.state.get(
                        n, {}).get('status'), seconds=self.state.get(
                            n, {}).get('seconds'), outputs=outputs.get(n))
                            for n, s in self.stages.items()})


def summary_table(rows: List[dict]) -> str:
    """Markdown table of summary rows."""
    lines = ['| method | stage | seeds | AP | PCK@0.05 (bbox) | '
             'PCK@0.05 (crop) |', '|---|---|---|---|---|---|']
    for r in rows:
        cells = [f'{r[k]["mean"]:.1f} ± {r[k]["std"]:.1f}'
                 if len(r['seeds']) > 1 else f'{r[k]["mean"]:.1f}'
                 for k in ('ap', 'pck_bbox', 'pck_paper')]
        name = r['method'] + (f' ({r["predict_on"]})'
                              if r.get('predict_on') else '')
        lines.append(f'| {name} | {r.get("stage", "")} | '
                     f'{len(r["seeds"])} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def subset_stages(stages: Dict[str, dict], targets) -> Dict[str, dict]:
    """The stages ``targets`` need: themselves and, transitively, every
    stage they read, in workflow order.

    Args:
        stages (dict): A workflow's stages.
        targets (Iterable[str]): Stage names to keep.

    Returns:
        dict: The subset, in the original order.
    """
    unknown = set(targets) - set(stages)
    if unknown:
        raise WorkflowError(f'no stages {sorted(unknown)}; the workflow has '
                            f'{list(stages)}')
    need, todo = set(), list(targets)
    while todo:
        name = todo.pop()
        if name in need:
            continue
        need.add(name)
        todo += [r[0] for r in map(_ref, stages[name].values()) if r]
    return {k: v for k, v in stages.items() if k in need}


def run_workflow(workflow, work_dir: Optional[str] = None,
                 options: Optional[dict] = None,
                 launcher: str = 'none') -> dict:
    """Load, check and run a workflow (see :class:`Workflow`).

    Returns:
        dict: The summary (also in ``work_dir/summary.json``).
    """
    return Workflow(workflow, work_dir, options, launcher).run()
