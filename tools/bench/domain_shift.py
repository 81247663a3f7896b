"""Domain-shift benchmark on the generated two-domain animals.

Rows: source-only (trained on the `synthetic` style), UDA-Animal-Pose
(its stage 1 is a source-only model with the refinement head, then TTA
pseudo labels of the unlabelled `real` images and stage 2), FiDIP
(fine-tuned from the source-only model on `synthetic` plus 5 labelled `real`
images per species), and the oracle (trained on labelled `real` images).
Every run evaluates its final weights on ``target_test`` (no model selection
on target labels). Prints a table, each method's share of the
source-only-to-oracle gap (mean and spread over seeds), training images/s
against plain supervised training, and one JSON line, also written to
``docs/benchmarks/domain_shift_<preset>.json``. Finished runs are kept in
the work folder, so an interrupted benchmark resumes.

Example:
    python tools/bench/domain_shift.py --preset cpu-small
    python tools/bench/domain_shift.py --preset gpu --seeds 0 1 2
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine, run_one, summarise, table  # noqa: E402

from animal_da.apis import export_pose_model  # noqa: E402
from animal_da.apis.pseudo_label import (generate_pseudo_labels,  # noqa
                                         pseudo_label_quality)
from animal_da.compat import trusted_checkpoints  # noqa: E402
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

UDA_STAGE1 = ('configs/uda_animal/'
              'td-hm_res18-refine_synanimal-source_96x96_demo.py')
UDA_STAGE2 = ('configs/uda_animal/'
              'uda-animal_res18_synanimal-to-real_96x96_demo.py')
FIDIP = 'configs/fidip/fidip_res18_synanimal-syn+real-5shot_96x96_demo.py'
METRICS = ('ap', 'pck_bbox', 'pck_paper')

PRESETS: Dict[str, dict] = {
    # about 10 minutes a plain model on 2 CPU cores
    'cpu-small': dict(
        num_images=2000, epochs=12, batch_size=32, seeds=[0, 1],
        configs=dict(
            source_only='configs/baselines/'
            'td-hm_res18_synanimal-source-only_96x96_demo.py',
            oracle='configs/baselines/'
            'td-hm_res18_synanimal-oracle_96x96_demo.py'),
        uda=dict(stage2_epochs=2, tta=3),
        fidip=dict(epochs=2, pretrain_epochs=1),
        options=[]),
    # a minutes-long check that every row runs (figures meaningless)
    'smoke': dict(
        num_images=16, epochs=1, batch_size=8, seeds=[0],
        configs=dict(
            source_only='configs/baselines/'
            'td-hm_res18_synanimal-source-only_96x96_demo.py',
            oracle='configs/baselines/'
            'td-hm_res18_synanimal-oracle_96x96_demo.py'),
        uda=dict(stage2_epochs=1, tta=2),
        fidip=dict(epochs=1, pretrain_epochs=1),
        options=['train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False',
                 'val_dataloader.num_workers=0',
                 'val_dataloader.persistent_workers=False',
                 'test_dataloader.num_workers=0',
                 'test_dataloader.persistent_workers=False']),
    # paper-sized: ResNet-50, 256x256 input, 64x64 heatmaps for every row
    'gpu': dict(
        num_images=10000, epochs=60, batch_size=64, seeds=[0, 1, 2],
        configs=dict(
            source_only='configs/baselines/'
            'td-hm_res50_synanimal-source-only_256x256.py',
            oracle='configs/baselines/'
            'td-hm_res50_synanimal-oracle_256x256.py'),
        uda=dict(stage2_epochs=20, tta=5,
                 stage1='configs/uda_animal/'
                 'td-hm_res50-refine_synanimal-source_256x256.py',
                 stage2='configs/uda_animal/'
                 'uda-animal_res50_synanimal-to-real_256x256.py'),
        fidip=dict(epochs=10, pretrain_epochs=1,
                   config='configs/fidip/'
                   'fidip_res50_synanimal-syn+real-5shot_256x256.py'),
        options=['train_dataloader.num_workers=8',
                 'val_dataloader.num_workers=4',
                 'test_dataloader.num_workers=4']),
}


def _export(config: str, ckpt: str) -> str:
    folder = osp.dirname(ckpt)
    with trusted_checkpoints([folder]):
        return export_pose_model(osp.join(REPO, config), ckpt,
                                 osp.join(folder, 'exported'))[1]


def run_uda(preset: dict, data: str, work: str, seed: int, logger) -> dict:
    """Stage 1, TTA pseudo labels, stage 2 for one seed."""
    root = data.rstrip('/') + '/'
    stage1 = preset['uda'].get('stage1', UDA_STAGE1)
    stage2 = preset['uda'].get('stage2', UDA_STAGE2)
    s1 = run_one(stage1, data, osp.join(work, f'uda_stage1_seed{seed}'),
                 preset['epochs'], preset['batch_size'], seed,
                 preset['options'])
    logger.info(f'uda stage 1 seed {seed}: {s1}')
    plain = _export(stage1, s1['checkpoint'])
    cfg = Config.fromfile(osp.join(REPO, stage1))
    cfg.pseudo_label_dataset.data_root = root
    pl_file = osp.join(osp.dirname(s1['checkpoint']), 'pseudo_labels.json')
    if not osp.isfile(pl_file):
        generate_pseudo_labels(cfg, plain, pl_file,
                               num_transforms=preset['uda']['tta'], seed=seed)
    from mmpose.registry import DATASETS
    pool = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[]))
    s2_cfg = Config.fromfile(osp.join(REPO, stage2))
    quality = pseudo_label_quality(
        pl_file, pool, s2_cfg.train_dataloader.dataset.datasets[1]
        .pseudo_labels.filter)
    logger.info(f'uda pseudo labels seed {seed}: {quality}')
    epochs = preset['uda']['stage2_epochs']
    s2 = run_one(stage2, data, osp.join(work, f'uda_animal_seed{seed}'),
                 epochs, preset['batch_size'], seed, preset['options'] + [
                     f'train_dataloader.dataset.datasets.1.data_root={root}',
                     'train_dataloader.dataset.datasets.1.pseudo_labels.'
                     f'file={pl_file}',
                     f'stage1_checkpoint={plain}',
                     f'model.init_cfg.checkpoint={plain}',
                     f'param_scheduler.0.end={epochs + 1}',
                 ], cosine=False,
                 train_key='train_dataloader.dataset.datasets.0')
    logger.info(f'uda stage 2 seed {seed}: {s2}')
    return dict(s2, stage1=s1, pseudo_labels=quality)


def run_fidip(preset: dict, data: str, work: str, seed: int,
              source_only: dict, logger) -> dict:
    """FiDIP fine-tuned from this seed's source-only model."""
    root = data.rstrip('/') + '/'
    plain = _export(preset['configs']['source_only'],
                    source_only['checkpoint'])
    hook = 'custom_hooks.2'
    config = preset['fidip'].get('config', FIDIP)
    run = run_one(config, data, osp.join(work, f'fidip_seed{seed}'),
                  preset['fidip']['epochs'], preset['batch_size'], seed,
                  preset['options'] + [
                      f'train_dataloader.dataset.datasets.1.data_root={root}',
                      f'{hook}.dataloader.dataset.datasets.0.data_root={root}',
                      f'{hook}.dataloader.dataset.datasets.1.data_root={root}',
                      f'{hook}.epochs={preset["fidip"]["pretrain_epochs"]}',
                      f'load_from={plain}',
                  ], cosine=False,
                  train_key='train_dataloader.dataset.datasets.0')
    logger.info(f'fidip seed {seed}: {run}')
    return run


def gap_shares(runs: Dict[str, List[dict]], seeds: List[int]) -> dict:
    """Each method's share of the source-only-to-oracle gap, per seed, then
    mean and std."""
    out = {}
    for method, rs in runs.items():
        if method in ('source_only', 'oracle'):
            continue
        out[method] = {}
        for k in METRICS:
            shares = []
            for i in range(len(seeds)):
                so, orc = runs['source_only'][i][k], runs['oracle'][i][k]
                if orc - so <= 0:  # no gap to recover on this seed
                    break
                shares.append((rs[i][k] - so) / (orc - so))
            else:
                out[method][k] = dict(mean=round(float(np.mean(shares)), 3),
                                      std=round(float(np.std(shares)), 3),
                                      per_seed=[round(float(s), 3)
                                                for s in shares])
                continue
            out[method][k] = None
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--methods', nargs='+',
                        help='subset of the preset\'s methods')
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out', help='JSON output (default: docs/'
                        'benchmarks/domain_shift_<preset>.json)')
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    seeds = args.seeds or preset['seeds']
    available = list(preset['configs']) + [
        m for m, key in (('uda_animal', 'uda'), ('fidip', 'fidip'))
        if key in preset]
    methods = args.methods or available
    unknown = set(methods) - set(available)
    if unknown:
        parser.error(f'unknown methods {sorted(unknown)}; the preset has '
                     f'{available}')
    if 'fidip' in methods and 'source_only' not in methods:
        parser.error('fidip starts from the source_only model: run both')
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0, nproc=2)
    logger.info(f'data ready in {time.perf_counter() - t0:.0f} s: {meta}')
    work = osp.join(args.work_dir, f'domain_shift_{args.preset}')
    runs: Dict[str, List[dict]] = {m: [] for m in methods}
    for seed in seeds:
        for method in methods:
            logger.info(f'training {method}, seed {seed}')
            if method == 'uda_animal':
                r = run_uda(preset, args.data, work, seed, logger)
            elif method == 'fidip':
                r = run_fidip(preset, args.data, work, seed,
                              runs['source_only'][-1], logger)
            else:
                r = run_one(preset['configs'][method], args.data,
                            osp.join(work, f'{method}_seed{seed}'),
                            preset['epochs'], preset['batch_size'], seed,
                            preset['options'])
            logger.info(f'{method} seed {seed}: {r}')
            runs[method].append(r)
    rows = [summarise(m, seeds, runs[m]) for m in methods]
    by = {r['method']: r for r in rows}
    if 'uda_animal' in by:
        by['uda_animal']['stage1'] = summarise(
            'uda_stage1', seeds, [r['stage1'] for r in runs['uda_animal']])
        by['uda_animal']['pseudo_labels'] = {
            k: round(float(np.mean([r['pseudo_labels'][k]
                                    for r in runs['uda_animal']])), 1)
            for k in ('precision', 'recall', 'kept')}
    if 'source_only' in by:
        plain = by['source_only']['train_images_per_s']
        for r in rows:
            r['images_per_s_vs_plain'] = round(
                r['train_images_per_s'] / plain, 3)
    result = dict(bench='domain_shift', preset=args.preset, machine=machine(),
                  data=meta, epochs=preset['epochs'],
                  batch_size=preset['batch_size'], rows=rows,
                  settings={k: preset[k] for k in ('uda', 'fidip')
                            if k in preset},
                  # this invocation's wall time (rows may reuse runs)
                  total_minutes=round((time.perf_counter() - t0) / 60, 1))
    if 'source_only' in by and 'oracle' in by:
        so, orc = by['source_only'], by['oracle']
        result['gap'] = {k: round(orc[k]['mean'] - so[k]['mean'], 2)
                         for k in METRICS}
        result['source_only_over_oracle'] = {
            k: round(so[k]['mean'] / orc[k]['mean'], 3)
            if orc[k]['mean'] > 0 else None for k in METRICS}
        result['gap_recovered'] = gap_shares(runs, seeds)
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'domain_shift_{args.preset}.json')
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + table(rows))
    for method, share in result.get('gap_recovered', {}).items():
        logger.info(f'{method}: share of the gap recovered ' + ', '.join(
            f'{k} {v["mean"]:.2f} ± {v["std"]:.2f}' if v else f'{k} n/a'
            for k, v in share.items()) +
            f'; images/s vs plain {by[method]["images_per_s_vs_plain"]}')
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
