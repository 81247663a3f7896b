"""Domain-shift benchmark on the generated two-domain animals.

Trains every method with the same model and budget, evaluates the final
weights on ``target_test`` (no model selection on target labels), and prints a
table and one JSON line, also written to
``docs/benchmarks/domain_shift_<preset>.json``.

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

from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine, run_one, summarise, table  # noqa: E402

from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

PRESETS: Dict[str, dict] = {
    # about 10 minutes a model on 2 CPU cores
    'cpu-small': dict(
        num_images=2000, epochs=12, batch_size=32, seeds=[0],
        configs=dict(
            source_only='configs/baselines/'
            'td-hm_res18_synanimal-source-only_96x96_demo.py',
            oracle='configs/baselines/'
            'td-hm_res18_synanimal-oracle_96x96_demo.py'),
        options=[]),
    # paper-sized: ResNet-50, 256x256 input, 64x64 heatmaps
    'gpu': dict(
        num_images=10000, epochs=60, batch_size=64, seeds=[0, 1, 2],
        configs=dict(
            source_only='configs/baselines/'
            'td-hm_res50_synanimal-source-only_256x256.py',
            oracle='configs/baselines/'
            'td-hm_res50_synanimal-oracle_256x256.py'),
        options=['train_dataloader.num_workers=8',
                 'val_dataloader.num_workers=4',
                 'test_dataloader.num_workers=4']),
}


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
    methods = args.methods or list(preset['configs'])
    unknown = set(methods) - set(preset['configs'])
    if unknown:
        parser.error(f'unknown methods {sorted(unknown)}; the preset has '
                     f'{list(preset["configs"])}')
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0, nproc=2)
    logger.info(f'data ready in {time.perf_counter() - t0:.0f} s: {meta}')
    rows = []
    for method in methods:
        runs = []
        for seed in seeds:
            logger.info(f'training {method}, seed {seed}')
            work = osp.join(args.work_dir, f'domain_shift_{args.preset}',
                            f'{method}_seed{seed}')
            runs.append(run_one(preset['configs'][method], args.data, work,
                                preset['epochs'], preset['batch_size'], seed,
                                preset['options']))
            logger.info(f'{method} seed {seed}: {runs[-1]}')
        rows.append(summarise(method, seeds, runs))
    result = dict(bench='domain_shift', preset=args.preset, machine=machine(),
                  data=meta, epochs=preset['epochs'],
                  batch_size=preset['batch_size'], rows=rows,
                  total_minutes=round((time.perf_counter() - t0) / 60, 1))
    by = {r['method']: r for r in rows}
    if 'source_only' in by and 'oracle' in by:
        so, orc = by['source_only'], by['oracle']
        result['gap'] = {
            k: round(orc[k]['mean'] - so[k]['mean'], 2)
            for k in ('ap', 'pck_bbox', 'pck_paper')}
        result['source_only_over_oracle'] = {
            k: round(so[k]['mean'] / orc[k]['mean'], 3)
            if orc[k]['mean'] > 0 else None
            for k in ('ap', 'pck_bbox', 'pck_paper')}
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'domain_shift_{args.preset}.json')
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + table(rows))
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
