"""Training cost per image of every recipe's step against plain supervised
training of the same network, measured on the same batches, with a
breakdown of where the time goes.

Rows: ``plain`` (the source-only ResNet-18's supervised step), ``scarcenet``
(stage 2), ``uda_stage1`` (the supervised step of the refinement-head
network), ``uda_animal`` (UDA-Animal-Pose stage 2), ``fidip``, ``freenet``
(both networks' updates, feedback on; on the keypoint-set sources of
``--union-data``), ``asda`` (pose step and generator step, one part per
sample from ``--part-bank``), plus the
recipes' documented speed switches as extra rows (``VARIANTS``; on CUDA also
``*_amp``: the whole step in fp16 mixed precision, ``time_vs_plain_amp``
against ``plain_amp``). ``--device`` (default: the GPU when present) times
the steps there, synchronised. Each row's
``train_step`` (forward, losses, backward, optimiser steps) is timed on
batches of its own demo config drawn once beforehand, the model in the
memory format its config trains in (``MemoryFormatHook``: channels_last);
rows are interleaved (plain, recipe, plain, ...) so background load hits all
alike. Weights are random (the cost does not depend on them). ``--width
0.5`` measures the half-width CPU model. ScarceNet's unlabelled
instances carry their hidden labels as pseudo labels and its small-loss rate
is the schedule's end value (0.8), so every check runs as late in training;
UDA's target pool carries no pseudo labels (same computation).

Breakdown per image (``breakdown_ms``): ``data`` (the row's pipeline in the
main process, measured separately: it runs in loader workers during
training), ``preprocess`` (the data preprocessor), ``student_forward``
(forwards with gradients), ``student_no_grad`` (the student's no-gradient
views), ``teacher_forward`` (FreeNet's trained teacher), ``teacher_no_grad``,
``generator_forward`` (ASDA's STN), ``discriminator_step`` (FiDIP's),
``losses_filters_rendering`` (the rest of the recipe's loss: filters,
re-rendered targets, warps, loss terms) and ``backward_optim`` (the rest:
backward passes and optimiser steps); apart from the step's total,
``data_wait`` (``--data-wait N``: N more steps fed by the row's own train
loader with its config's workers, as in training: how long each waits for
its batch). ``--batch-sizes`` also measures
images/s of the plain and ScarceNet steps at other batch sizes (``scale``).
Prints a table; writes ``docs/benchmarks/step_cost.json``
(``step_cost_width<W>.json`` for another width).

Example:
    python tools/bench/step_cost.py --data data/synanimal
    python tools/bench/step_cost.py --rows plain scarcenet --batches 3
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.device import get_device

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402
import torch  # noqa: E402  (after animal_da: thread settings)

from animal_da.apis.launch import set_amp  # noqa: E402
from animal_da.apis.overrides import apply_options, semi_datasets  # noqa
from animal_da.utils import dump_json_atomic  # noqa: E402

#: row -> config and what makes its batches realistic
ROWS: Dict[str, dict] = dict(
    plain=dict(config='configs/baselines/'
               'td-hm_res18_synanimal-source-only_96x96_demo.py'),
    scarcenet=dict(config='configs/scarcenet/'
                   'scarcenet_res18_synanimal-real-5shot_96x96_demo.py',
                   hidden_labels=True,
                   scheduled=dict(small_loss_rate=0.8,
                                  consistency_weight=2.0)),
    uda_stage1=dict(config='configs/uda_animal/'
                    'td-hm_res18-refine_synanimal-source_96x96_demo.py'),
    uda_animal=dict(config='configs/uda_animal/'
                    'uda-animal_res18_synanimal-to-real_96x96_demo.py',
                    scheduled=dict(topk=9, consistency_weight=90.0,
                                   pseudo_label_weight=8.0, grl_coeff=1.0)),
    fidip=dict(config='configs/fidip/'
               'fidip_res18_synanimal-syn+real-5shot_96x96_demo.py'),
    # on the keypoint-set sources (--union-data), late in training: final
    # keep ratios, feedback on
    freenet=dict(config='configs/freenet/'
                 'freenet_res18_synanimal-union-10pct_96x96_demo.py',
                 data='union',
                 scheduled=dict(keep_ratio_face=0.5, keep_ratio_front=0.6,
                                keep_ratio_back=0.65,
                                keep_ratio_exclusive=0.65,
                                feedback_weight=2.0)),
    # one part per sample from the generator's part bank (--part-bank)
    asda=dict(config='configs/asda/'
              'asda_res18_synanimal-real-20shot_96x96_demo.py',
              part_bank=True),
)
#: documented speed switches of the recipes: a base row and its options
VARIANTS: Dict[str, dict] = dict(
    scarcenet_candidates=dict(row='scarcenet', options={
        'model.semi_train_cfg.agreement_on': 'candidates'}),
    scarcenet_bf16=dict(row='scarcenet', options={
        'model.semi_train_cfg.no_grad_autocast': 'bfloat16'}),
    uda_animal_joint=dict(row='uda_animal', options={
        'model.semi_train_cfg.joint_forward': True}),
    uda_animal_bf16=dict(row='uda_animal', options={
        'model.semi_train_cfg.no_grad_autocast': 'bfloat16'}),
    # mixed precision for the whole step as tools/train.py --amp sets it
    # (AmpOptimWrapper, fp16: bf16 breaks mmpose's heatmap head, whose
    # accuracy goes through NumPy): CUDA only, each against plain_amp
    # (``time_vs_plain_amp``)
    plain_amp=dict(row='plain', amp=True, options={}),
    scarcenet_amp=dict(row='scarcenet', amp=True, options={}),
    uda_stage1_amp=dict(row='uda_stage1', amp=True, options={}),
    uda_animal_amp=dict(row='uda_animal', amp=True, options={}),
)
#: the supervised step of the same network, for ``time_vs_own_supervised``
OWN_SUPERVISED = dict(uda_animal='uda_stage1', uda_animal_joint='uda_stage1',
                      uda_animal_bf16='uda_stage1',
                      uda_animal_amp='uda_stage1_amp')
PARTS = ('data', 'preprocess', 'student_forward', 'student_no_grad',
         'teacher_forward', 'teacher_no_grad', 'generator_forward',
         'discriminator_step', 'losses_filters_rendering', 'backward_optim')


def _datasets(node):
    """Every leaf dataset config of a (wrapped) dataset config."""
    todo = [node]
    while todo:
        ds = todo.pop()
        if 'datasets' in ds:
            todo += list(ds.datasets)
        elif 'dataset' in ds:
            todo.append(ds.dataset)
        else:
            yield ds


class Run:
    """One row: model, optimiser wrapper, preloaded batches and timers."""

    def __init__(self, name: str, spec: dict, root: str, batch_size: int,
                 batches: int, options: Optional[dict], tmp: str,
                 width: float = 1.0, union_root: Optional[str] = None,
                 part_bank: Optional[str] = None, device: str = 'cpu'):
        from mmengine.optim import build_optim_wrapper
        from mmengine.runner import Runner
        from mmpose.registry import MODELS
        cfg = Config.fromfile(osp.join(REPO, spec['config']))
        apply_options(cfg, dict(options or {}, **(
            {'width': width} if width != 1.0 else {}), **(
            {'part_bank': part_bank} if spec.get('part_bank') else {})))
        if spec.get('amp'):
            set_amp(cfg)
        if spec.get('data') == 'union':
            root = union_root
        for ds in _datasets(cfg.train_dataloader.dataset):
            ds.data_root = root
            if ds.get('pseudo_labels'):
                ds.pseudo_labels = None
        if spec.get('hidden_labels'):
            self._hidden_labels(cfg, root, tmp)
        model_cfg = cfg.model
        model_cfg.pop('init_cfg', None)
        self.model = MODELS.build(model_cfg)
        self.model.init_weights()
        self.model.to(device)  # its data preprocessor follows
        self.model.train()
        self.device = torch.device(device)
        for hook in cfg.get('custom_hooks') or []:  # as training runs it
            if hook['type'] == 'MemoryFormatHook':
                self.model.to(memory_format=getattr(torch, hook.get(
                    'memory_format', 'channels_last')))
        if spec.get('scheduled'):
            self.model.scheduled.update(spec['scheduled'])
        self.optim = build_optim_wrapper(self.model, cfg.optim_wrapper)
        self.cfg = cfg
        loader = Runner.build_dataloader(
            dict(cfg.train_dataloader, batch_size=batch_size, num_workers=0,
                 persistent_workers=False), seed=0)
        self.data = []
        start = time.perf_counter()
        for batch in loader:  # the pipeline's cost, in this process
            self.data.append(batch)
            if len(self.data) == batches + 1:
                break
        self.data_s = (time.perf_counter() - start) / len(self.data)
        self.name, self.batch_size = name, batch_size
        self.times: List[float] = []
        self.parts: Dict[str, float] = {}
        self._instrument()

    @staticmethod
    def _hidden_labels(cfg: Config, root: str, tmp: str) -> None:
        """Give the training set's unlabelled instances their hidden labels
        as pseudo labels, none filtered out (every check of the step then
        has keypoints to act on, as late in training)."""
        from mmpose.registry import DATASETS

        from animal_da.evaluation.pseudo_label_quality import \
            hidden_labels_as_pseudo_labels
        train = [d for p, d in semi_datasets(cfg._cfg_dict)
                 if p.startswith('train_dataloader') and
                 d.get('role') in ('unlabelled', 'all')]
        if not train:
            raise ValueError(f'{cfg.filename}: no unlabelled training set '
                             'to give hidden labels')
        where = {(d.get('ann_file'), str(d.get('data_prefix'))) for d in train}
        if len(where) > 1:  # one file serves them only if they are one pool
            raise ValueError(f'{cfg.filename}: unlabelled training sets from '
                             f'several files {sorted(where)}')
        out = osp.join(tmp, 'hidden_labels.json')
        # the same instances seen as a pool (it keeps their hidden labels)
        pool = DATASETS.build(dict(train[0], pipeline=[], pseudo_labels=None,
                                   data_root=root, role='unlabelled'))
        hidden_labels_as_pseudo_labels(pool, out)
        for ds in train:
            ds.pseudo_labels = dict(file=out, filter=dict(
                type='GlobalPercentileFilter', percentile=0))

    def _instrument(self) -> None:
        """Time the data preprocessor and the loss (the recipes time their
        forwards themselves, ``RecipePoseEstimator.timed``)."""
        model = self.model
        pre = model.data_preprocessor
        pre_forward, loss = pre.forward, model.loss

        def timed_pre(*args, **kwargs):
            self._sync()
            start = time.perf_counter()
            out = pre_forward(*args, **kwargs)
            self._sync()
            self._add('preprocess', time.perf_counter() - start)
            return out

        def timed_loss(*args, **kwargs):
            before = dict(model.step_times)
            self._sync()
            start = time.perf_counter()
            out = loss(*args, **kwargs)
            self._sync()
            spent = time.perf_counter() - start
            inside = sum(model.step_times.get(k, 0.) - before.get(k, 0.)
                         for k in model.step_times)
            self._add('losses_filters_rendering', spent - inside)
            return out

        def plain_loss(*args, **kwargs):  # forward and loss of a plain model
            self._sync()
            start = time.perf_counter()
            out = loss(*args, **kwargs)
            self._sync()
            self._add('student_forward', time.perf_counter() - start)
            return out

        pre.forward = timed_pre
        model.loss = timed_loss if hasattr(model, 'step_times') \
            else plain_loss

    def _add(self, part: str, secs: float) -> None:
        if self._step is not None:
            self._step[part] = self._step.get(part, 0.) + secs

    #: the parts timed by the wrappers in the step being timed (None: warm-up)
    _step: Optional[Dict[str, float]] = None

    def step(self, n: int) -> None:
        model = self.model
        model.step_times = {} if hasattr(model, 'step_times') else None
        self._step = {} if n > 0 else None  # the first pass warms up
        self._sync()
        start = time.perf_counter()
        model.train_step(self.data[n], self.optim)
        self._sync()  # a GPU step has ended only when its kernels have
        total = time.perf_counter() - start
        if self._step is None:
            return
        self.times.append(total)
        parts = dict(self._step, **(model.step_times or {}))
        parts['backward_optim'] = total - sum(parts.values())
        for k, v in parts.items():
            self.parts[k] = self.parts.get(k, 0.) + v
        self._step = None

    def _sync(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def data_wait(self, iters: int, warmup: int = 2) -> float:
        """Seconds per step that training waits for its next batch: the
        row's own train loader (its config's loader workers) feeding
        ``train_step`` as the Runner's loop does, the first ``warmup``
        batches (worker start-up) left out."""
        from mmengine.runner import Runner
        loader = Runner.build_dataloader(
            dict(self.cfg.train_dataloader, batch_size=self.batch_size),
            seed=0)
        waits: List[float] = []
        it, skip, epochs = iter(loader), warmup, 1
        try:
            while len(waits) < iters:
                start = time.perf_counter()
                try:
                    batch = next(it)
                except StopIteration:  # a small set: a new epoch, whose
                    if epochs == 3:  # start-up is not kept
                        raise RuntimeError(
                            f'{self.name}: 3 epochs of its loader gave '
                            f'{len(waits)} of {iters} batches after '
                            f'{warmup} warm-up batches each')
                    it, skip, epochs = iter(loader), warmup, epochs + 1
                    continue
                if skip > 0:
                    skip -= 1
                else:
                    waits.append(time.perf_counter() - start)
                self.model.train_step(batch, self.optim)
                self._sync()
        finally:
            del it, loader  # stops its workers
        self.data_wait_s = float(np.mean(waits))
        return self.data_wait_s

    #: set by :meth:`data_wait`
    data_wait_s: Optional[float] = None

    def row(self) -> dict:
        per_img = 1000 / self.batch_size
        ms = float(np.mean(self.times)) * per_img
        steps = len(self.times)
        parts = {k: self.parts[k] / steps * per_img for k in PARTS
                 if k in self.parts}
        parts['data'] = self.data_s * per_img
        out = dict(ms_per_image=round(ms, 2),
                   images_per_s=round(1000 / ms, 1),
                   breakdown_ms={k: round(v, 2) for k, v in parts.items()
                                 if k in PARTS})
        if self.data_wait_s is not None:
            out['breakdown_ms']['data_wait'] = round(
                self.data_wait_s * per_img, 2)
        return out


def measure(specs: Dict[str, tuple], root: str, batch_size: int,
            batches: int, tmp: str, width: float = 1.0,
            union_root: Optional[str] = None,
            part_bank: Optional[str] = None,
            device: str = 'cpu',
            failed: Optional[Dict[str, str]] = None,
            data_wait: int = 0) -> Dict[str, dict]:
    """Interleaved timing of rows (name -> (spec, options)) on
    ``device``. With ``failed`` (a dict), a row whose set-up or step raises
    is dropped and its error recorded there (``--keep-going``: one broken
    row does not cost the others); without it, errors propagate. With
    ``data_wait`` > 0, each row then trains that many steps more from its
    own loader (after the timed steps) to measure the wait for data."""
    def attempt(name: str, fn: Callable):
        if failed is None:
            return fn()
        try:
            return fn()
        except Exception as e:  # noqa: BLE001  (recorded, then dropped)
            failed[name] = f'{type(e).__name__}: {e}'[:2000]
            print(f'row {name} failed: {failed[name]}', file=sys.stderr)
            return None

    runs = []
    for name, (spec, opts) in specs.items():
        run = attempt(name, lambda: Run(name, spec, root, batch_size,
                                        batches, opts, tmp, width,
                                        union_root, part_bank, device))
        if run is not None:
            runs.append(run)
    for n in range(batches + 1):
        for run in list(runs):
            if attempt(run.name, lambda: run.step(n) or True) is None:
                runs.remove(run)
    if data_wait > 0:  # a failure here loses the wait, never the row
        for run in runs:
            try:
                run.data_wait(data_wait)
            except Exception as e:  # noqa: BLE001  (recorded or printed)
                msg = f'{type(e).__name__}: {e}'[:2000]
                if failed is not None:
                    failed[f'{run.name} data_wait'] = msg
                print(f'row {run.name}: no data_wait ({msg})',
                      file=sys.stderr)
    return {run.name: run.row() for run in runs}


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--union-data', default='data/synanimal_union',
                        help='the keypoint-set layout (freenet row; '
                        'generated with 600 images if missing)')
    parser.add_argument('--part-bank', default='data/synanimal_parts',
                        help='ASDA\'s part bank (asda row; built from 300 '
                        'generated animals if missing)')
    parser.add_argument('--batches', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--rows', nargs='+',
                        choices=list(ROWS) + list(VARIANTS),
                        help='default: every row and variant (the _amp '
                        'ones on CUDA only)')
    parser.add_argument('--batch-sizes', nargs='*', type=int, default=[],
                        help='also time plain and scarcenet at these batch '
                        'sizes (e.g. 16 32 64)')
    parser.add_argument('--width', type=float, default=1.0,
                        help='model width (workflow key width; 0.5: the '
                        'half-width CPU model)')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda[:N] (default: cuda when a GPU is '
                        'present, else cpu)')
    parser.add_argument('--keep-going', action='store_true',
                        help='drop a row that raises (its error goes into '
                        'the JSON as failed) instead of stopping')
    parser.add_argument('--data-wait', type=int, default=4,
                        help='after the timed steps, train each row this '
                        'many steps more from its own loader (its '
                        'config\'s workers) and report the wait for the '
                        'next batch (breakdown data_wait; 0: skip)')
    parser.add_argument('--threads', type=int,
                        help='torch.set_num_threads (default: torch\'s)')
    parser.add_argument('--out', help='JSON output (default: docs/'
                        'benchmarks/step_cost.json, step_cost_width<W>.json '
                        'for another width)')
    args = parser.parse_args(argv)
    from mmengine.registry import init_default_scope

    import animal_da  # noqa: F401
    init_default_scope('mmpose')
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device or get_device()
    root = args.data.rstrip('/') + '/'
    rows_asked = args.rows or list(ROWS) + [
        v for v in VARIANTS if device != 'cpu' or not VARIANTS[v].get('amp')]
    names = ['plain'] + [r for r in rows_asked if r != 'plain']
    specs = {}
    for name in names:
        if name in VARIANTS:
            v = VARIANTS[name]
            specs[name] = (dict(ROWS[v['row']], amp=v.get('amp', False)),
                           v['options'])
        else:
            specs[name] = (ROWS[name], None)
    union_root = args.union_data.rstrip('/') + '/'
    if any(ROWS.get(n, {}).get('data') == 'union' for n in names):
        # the keypoint-union benchmark's data (one folder for both)
        from keypoint_union import PRESETS as UNION_PRESETS
        from keypoint_union import ensure_union_data
        ensure_union_data(UNION_PRESETS['cpu-small'], args.union_data)
    if any(ROWS.get(n, {}).get('part_bank') for n in names) and \
            not osp.isdir(args.part_bank):
        from animal_da.datasets.part_bank import parts_from_generator
        parts_from_generator(args.part_bank, 300, seed=1,
                             show_progress=False)
    failed: Optional[Dict[str, str]] = {} if args.keep_going else None
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(specs, root, args.batch_size, args.batches, tmp,
                       args.width, union_root, args.part_bank, device,
                       failed, data_wait=args.data_wait)
        scale = {}
        for bs in args.batch_sizes:
            lost: Optional[Dict[str, str]] = {} if args.keep_going \
                else None
            got = measure({k: specs[k] for k in ('plain', 'scarcenet')},
                          root, bs, args.batches, tmp, args.width,
                          device=device, failed=lost)
            if failed is not None:
                failed.update({f'{k} at batch {bs}': v
                               for k, v in lost.items()})
            scale[str(bs)] = {k: v['images_per_s'] for k, v in got.items()}
    if 'plain' not in rows:
        raise RuntimeError(f'the plain row failed: {failed}')
    plain = rows['plain']['ms_per_image']
    for name, r in rows.items():
        r['time_vs_plain'] = round(r['ms_per_image'] / plain, 3)
        own = OWN_SUPERVISED.get(name)
        if own in rows:
            r['time_vs_own_supervised'] = round(
                r['ms_per_image'] / rows[own]['ms_per_image'], 3)
        if name in VARIANTS:
            r['switches'] = VARIANTS[name]['options']
        if VARIANTS.get(name, {}).get('amp') and 'plain_amp' in rows:
            r['time_vs_plain_amp'] = round(
                r['ms_per_image'] / rows['plain_amp']['ms_per_image'], 3)
    result = dict(
        bench='step_cost', machine=machine(), device=device,
        width=args.width,
        threads=torch.get_num_threads(), batch_size=args.batch_size,
        batches=args.batches,
        note='per image of a batch: a UDA batch is half source, half '
        'target (three views each); a FiDIP batch half synthetic, half '
        'real; a FreeNet batch 1 labelled : 7 unlabelled (two views '
        'each); ScarceNet at small-loss rate 0.8 with every unlabelled '
        'keypoint pseudo-labelled; breakdown_ms.data is the pipeline in '
        'the main process (in loader workers during training); '
        'breakdown_ms.data_wait (not part of ms_per_image) is what a step '
        'waits for its batch from the config\'s own loader workers, '
        'measured after the timed steps',
        rows=rows)
    if scale:
        result['scale_images_per_s'] = scale
    if failed:
        result['failed'] = failed
    out = args.out or osp.join(
        REPO, 'docs', 'benchmarks', 'step_cost.json' if args.width == 1.0
        else f'step_cost_width{args.width:g}.json')
    dump_json_atomic(result, out, indent=2)
    cols = PARTS + ('data_wait', )
    print('| row | ms/image | images/s | x plain | ' +
          ' | '.join(cols) + ' |')
    for k, r in rows.items():
        print(f'| {k} | {r["ms_per_image"]} | {r["images_per_s"]} | '
              f'{r["time_vs_plain"]} | ' + ' | '.join(
                  str(r['breakdown_ms'].get(p, '')) for p in cols) + ' |')
    for bs, v in scale.items():
        print(f'batch {bs}: {v}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
