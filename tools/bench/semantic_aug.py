"""Semantic-augmentation benchmark: supervised baseline vs ASDA vs the same
parts pasted at random places, on target_test and on an occlusion-heavy
test split.

Every row runs through the ASDA demo workflow
(``configs/asda/*_demo_workflow.py``, one per seed, in
``WORK/semantic_aug_<preset>/seed<N>/``): the generator's part bank, the
source-only model (the stand-in for ImageNet weights), and from it, with
the same labels (20 per species of the `real` style), model and epochs, the
supervised baseline, the random-placement control and ASDA. Each is
evaluated (final weights; nothing selected on a test split) on
``target_test`` and on ``target_test_occluded`` (the generator's
``occlusion`` layout: occluders over every animal and parts of other
animals pasted over it, in ``data/synanimal_occluded``). Prints a table and
one JSON line, also written to
``docs/benchmarks/semantic_aug_<preset>.json``. Finished stages are kept,
so an interrupted benchmark resumes.

Example:
    python tools/bench/semantic_aug.py --preset cpu-small
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (REPO, SMOKE_LOADERS, collect_rows,  # noqa: E402
                     machine)

from animal_da.apis.workflow import run_workflow  # noqa: E402
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

WORKFLOW = ('configs/asda/'
            'asda_res18_synanimal-real-20shot_96x96_demo_workflow.py')
ROWS = ('supervised', 'random_paste', 'asda')
PRESETS: Dict[str, dict] = {
    # the half-width ResNet-18 of the performance issue's converging regime
    'cpu-small': dict(num_images=2000, pretrain_epochs=12, epochs=20,
                      bank_images=300, batch_size=32, width=0.5,
                      seeds=[0, 1], options={}),
    'smoke': dict(num_images=16, pretrain_epochs=1, epochs=1, bank_images=3,
                  batch_size=8, width=0.5, seeds=[0],
                  options=dict(SMOKE_LOADERS)),
    'gpu': dict(num_images=10000, pretrain_epochs=60, epochs=120,
                bank_images=2000, batch_size=64, width=1.0,
                seeds=[0, 1, 2],
                options={'train_dataloader.num_workers': 8,
                         'val_dataloader.num_workers': 4,
                         'test_dataloader.num_workers': 4}),
}


def asda_workflow(preset: dict, data: str, occluded: str,
                  seed: int) -> Config:
    """The ASDA demo workflow sized by the preset, with evaluations on the
    occlusion-heavy split beside target_test."""
    cfg = Config.fromfile(osp.join(REPO, WORKFLOW))
    folder = osp.dirname(osp.join(REPO, WORKFLOW))
    stages = cfg.stages.to_dict()
    for st in stages.values():
        if 'config' in st:
            st['config'] = osp.normpath(osp.join(folder, st['config']))
        if st['kind'] in ('train', 'evaluate') and preset['options']:
            st['cfg_options'] = dict(st.get('cfg_options') or {},
                                     **preset['options'])
    stages['parts']['num_images'] = preset['bank_images']
    stages['pretrain']['epochs'] = preset['pretrain_epochs']
    for row in ROWS:
        stages[row]['epochs'] = preset['epochs']
    root = osp.abspath(occluded).rstrip('/') + '/'
    for row in ROWS:
        stages[f'eval_{row}_occluded'] = dict(
            kind='evaluate', model=f'@{row}', method=f'{row}_occluded',
            cfg_options=dict(
                preset['options'],
                **{'test_dataloader.dataset.data_root': root,
                   'test_dataloader.dataset.ann_file':
                   'annotations/target_test_occluded.json'}))
    keys = dict(data_root=data, seed=seed, batch_size=preset['batch_size'])
    if preset['width'] != 1.0:
        keys['width'] = preset['width']
    return Config(dict(keys, stages=stages))


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--occluded-data', default='data/synanimal_occluded')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out')
    parser.add_argument('--note')
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    seeds = args.seeds or preset['seeds']
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0, nproc=2,
                          show_progress=False)
    occ = ensure_dataset(args.occluded_data, preset['num_images'], seed=0,
                         nproc=2, layout='occlusion', show_progress=False)
    work = osp.join(args.work_dir, f'semantic_aug_{args.preset}')
    summaries = [run_workflow(asda_workflow(preset, args.data,
                                            args.occluded_data, s),
                              osp.join(work, f'seed{s}')) for s in seeds]
    rows = collect_rows(summaries, seeds)
    by = {r['method']: r for r in rows}
    result = dict(bench='semantic_aug', preset=args.preset,
                  machine=machine(), data=meta, occluded_data=occ,
                  workflow=WORKFLOW, settings={k: preset[k] for k in (
                      'pretrain_epochs', 'epochs', 'bank_images',
                      'batch_size', 'width')}, rows=rows,
                  total_minutes=round((time.perf_counter() - t0) / 60, 1))
    if args.note:
        result['note'] = args.note
    gains = {}
    for split in ('', '_occluded'):
        asda = by.get('asda' + split)
        for ctrl in ('supervised', 'random_paste'):
            c = by.get(ctrl + split)
            if asda and c:
                gains[f'vs_{ctrl}{split}'] = {
                    k: dict(gain=round(asda[k]['mean'] - c[k]['mean'], 2),
                            spread=max(asda[k]['std'], c[k]['std']))
                    for k in ('ap', 'pck_bbox')}
    result['asda_gain'] = gains
    sup, ad = by.get('supervised'), by.get('asda')
    if sup and ad and sup.get('train_images_per_s') and \
            ad.get('train_images_per_s'):
        result['asda_step_cost'] = dict(
            plain_images_per_s=sup['train_images_per_s'],
            asda_images_per_s=ad['train_images_per_s'],
            time_vs_plain=round(sup['train_images_per_s'] /
                                ad['train_images_per_s'], 2))
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'semantic_aug_{args.preset}.json')
    dump_json_atomic(result, out, indent=2)
    lines = ['| method | target_test AP | PCK | occluded AP | PCK | '
             'train img/s |', '|---|---|---|---|---|---|']
    for row in ROWS:
        a, o = by.get(row), by.get(row + '_occluded')
        if not a:
            continue
        cells = [f'{r[k]["mean"]:.1f} ± {r[k]["std"]:.1f}' if r else ''
                 for r in (a, o) for k in ('ap', 'pck_bbox')]
        lines.append(f'| {row} | ' + ' | '.join(cells) +
                     f' | {a.get("train_images_per_s", "")} |')
    logger.info('\n' + '\n'.join(lines))
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
