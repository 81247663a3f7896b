"""Scarce-labels benchmark: labelled-only vs ScarceNet on the generated
`real`-style animals with a few labels per species.

Both start from the source-only model of the domain-shift benchmark (trained
on the `synthetic` style; it stands in for the ImageNet weights the paper
starts from, which cannot be downloaded here). Per seed: stage 1 (=
labelled-only) trains on the labelled images; its final
weights are exported, pseudo-label the unlabelled pool by TTA (precision and
recall against the hidden labels are measured), and ScarceNet (stage 2)
trains from them: the paper's recipe at ``--preset gpu``, its short-schedule
variant at ``cpu-small`` (the paper's recipe needs far more epochs; README).
A second labelled-only row trains stage 1 on for as many epochs as stage 2
has (labelled images only), so that a gain is credited to the unlabelled
pool, not to the longer run. All are evaluated on
``target_test`` with their final weights. Prints a table and one JSON line,
also written to ``docs/benchmarks/scarce_labels_<preset>.json``.

Example:
    python tools/bench/scarce_labels.py --preset cpu-small
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
from animal_da.apis.pseudo_label import (  # noqa: E402
    generate_pseudo_labels, hidden_labels_as_pseudo_labels,
    pseudo_label_quality)
from animal_da.compat import trusted_checkpoints  # noqa: E402
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

STAGE1 = 'configs/scarcenet/td-hm_res18_synanimal-real-5shot_96x96_demo.py'
# stage 2: the paper's recipe, or its short-schedule variant (annealed lr,
# no strong photometric view, no consistency, labelled images oversampled)
STAGE2 = {
    'paper': 'configs/scarcenet/'
             'scarcenet_res18_synanimal-real-5shot_96x96_demo.py',
    'short': 'configs/scarcenet/'
             'scarcenet-short_res18_synanimal-real-5shot_96x96_demo.py',
}
PRESETS: Dict[str, dict] = {
    # shots: labelled images per species (the configs have 5); repeat:
    # passes over them per stage-1 epoch; recipe: a key of STAGE2 (the paper
    # recipe at cpu-small: docs/benchmarks/scarce_labels_cpu-small_paper.json)
    'cpu-small': dict(num_images=2000, stage1_epochs=10, stage2_epochs=6,
                      repeat=20, batch_size=32, tta=3, seeds=[0, 1],
                      ramp=(1, 2), stage2_lr=1e-3, shots=5, recipe='short'),
    'gpu': dict(num_images=10000, stage1_epochs=60, stage2_epochs=40,
                repeat=20, batch_size=64, tta=5, seeds=[0, 1, 2],
                ramp=(3, 8), stage2_lr=1e-3, shots=5, recipe='paper'),
}
PL_FILTER = dict(type='GlobalPercentileFilter', percentile=0.4)
SOURCE_ONLY = ('configs/baselines/'
               'td-hm_res18_synanimal-source-only_96x96_demo.py')


def pretrained_model(preset: dict, data: str, work_dir: str,
                     preset_name: str, logger) -> str:
    """Weights to start stage 1 from, as an ImageNet backbone would be:
    the source-only model of the domain-shift benchmark (trained on the
    `synthetic` style only, no target labels), trained here if missing."""
    from domain_shift import PRESETS as SHIFT
    shift = SHIFT[preset_name]
    folder = osp.join(work_dir, f'domain_shift_{preset_name}',
                      'source_only_seed0')
    ckpt = osp.join(folder, f'epoch_{shift["epochs"]}.pth')
    if not osp.isfile(ckpt):
        logger.info(f'training the source-only model for pretraining: {ckpt}')
        run_one(SOURCE_ONLY, data, folder, shift['epochs'],
                shift['batch_size'], 0, shift['options'])
    with trusted_checkpoints([folder]):
        return export_pose_model(osp.join(REPO, SOURCE_ONLY), ckpt,
                                 osp.join(folder, 'exported'))[1]


def semi_datasets(cfg: Config, key: str = 'train_dataloader.dataset'
                  ) -> List[tuple]:
    """``(option key, dataset config)`` of every ``SemiPoseDataset`` in a
    train dataset, through ``ConcatDataset`` / ``RepeatDataset`` wrappers."""
    def walk(node, key):
        if node['type'] == 'SemiPoseDataset':
            return [(key, node)]
        if 'datasets' in node:
            return [found for i, d in enumerate(node['datasets'])
                    for found in walk(d, f'{key}.datasets.{i}')]
        return walk(node['dataset'], f'{key}.dataset')
    return walk(cfg.train_dataloader.dataset, key)


def stage2_options(config: str, data: str, shots: int, pl_file: str,
                   percentile: Optional[float] = None) -> tuple:
    """``train_key`` and extra options pointing a stage-2 config's datasets
    at the data, the shots and the pseudo-label file."""
    found = semi_datasets(Config.fromfile(osp.join(REPO, config)))
    root = data.rstrip('/') + '/'
    pl = [k for k, d in found if d.get('pseudo_labels')]
    opts = [f'{k}.data_root={root}' for k, _ in found[1:]]
    opts += [f'{k}.pseudo_labels.file={pl_file}' for k in pl]
    if percentile is not None:
        opts += [f'{k}.pseudo_labels.filter.percentile={percentile}'
                 for k in pl]
    opts += [f'{k}.labelled.per_category={shots}' for k, d in found
             if d['labelled']['per_category'] != shots]
    return found[0][0], opts


def run_seed(preset: dict, data: str, work: str, seed: int, logger,
             init: str = None, control: bool = False) -> tuple:
    """Labelled-only (stage 1, and stage 1 trained on for stage 2's
    epochs), pseudo labels, ScarceNet for one seed (and, with ``control``,
    ScarceNet trained on the pool's hidden true labels)."""
    root = data.rstrip('/') + '/'
    cfg = Config.fromfile(osp.join(REPO, STAGE1))
    shots = preset['shots']
    # options only where they change the configs (keeps cached runs valid)
    more = shots != cfg.pseudo_label_dataset.labelled.per_category

    def labelled_only(name: str, epochs: int, load: Optional[str]) -> dict:
        # option order = the cached runs' key
        return run_one(
            STAGE1, data, osp.join(work, f'{name}_seed{seed}'), epochs,
            preset['batch_size'], seed,
            [f'train_dataloader.dataset.times={preset["repeat"]}'] +
            ([f'load_from={load}'] if load else []) +
            ['train_dataloader.dataset.dataset.labelled.per_category='
             f'{shots}'] * more,
            train_key='train_dataloader.dataset.dataset')

    s1 = labelled_only('labelled_only', preset['stage1_epochs'], init)
    logger.info(f'labelled_only seed {seed}: {s1}')
    s1_work = osp.dirname(s1['checkpoint'])
    with trusted_checkpoints([s1_work]):
        _, plain = export_pose_model(osp.join(REPO, STAGE1), s1['checkpoint'],
                                     osp.join(s1_work, 'exported'))
    # labelled-only for stage 1 + stage 2 epochs: the stage-1 model trained
    # on (lr schedule restarted) over the labelled images alone
    longer = labelled_only('labelled_only_longer', preset['stage2_epochs'],
                           plain)
    logger.info(f'labelled_only_longer seed {seed}: {longer}')
    cfg.pseudo_label_dataset.data_root = root
    cfg.pseudo_label_dataset.labelled.per_category = shots
    cfg_file = osp.join(s1_work, 'stage1_for_pseudo_labels.py')
    cfg.dump(cfg_file)
    pl_file = osp.join(s1_work, 'pseudo_labels.json')
    start = time.perf_counter()
    generate_pseudo_labels(cfg_file, plain, pl_file,
                           num_transforms=preset['tta'], seed=seed)
    pl_s = time.perf_counter() - start
    from mmpose.registry import DATASETS
    pool = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[]))
    quality = pseudo_label_quality(pl_file, pool, PL_FILTER)
    logger.info(f'pseudo labels seed {seed} ({pl_s:.0f} s): {quality}')
    c_len, s_len = preset['ramp']
    stage2 = [
        f'stage1_checkpoint={plain}',
        f'model.init_cfg.checkpoint={plain}',
        f'custom_hooks.3.values.consistency_weight.length={c_len}',
        f'custom_hooks.3.values.small_loss_rate.length={s_len}',
        f'optim_wrapper.optimizer.lr={preset["stage2_lr"]}',
    ]
    config = STAGE2[preset['recipe']]
    # the paper's lr is constant; the short recipe's cosine follows epochs
    cosine = preset['recipe'] != 'paper'
    key, opts = stage2_options(config, data, shots, pl_file)
    s2 = run_one(config, data, osp.join(work, f'scarcenet_seed{seed}'),
                 preset['stage2_epochs'], preset['batch_size'], seed,
                 stage2 + opts, cosine=cosine, train_key=key)
    logger.info(f'scarcenet seed {seed}: {s2}')
    s2_true = None
    if control:
        true_file = osp.join(s1_work, 'hidden_labels_as_pseudo_labels.json')
        hidden_labels_as_pseudo_labels(pool, true_file)
        key, opts = stage2_options(config, data, shots, true_file, 0.0)
        s2_true = run_one(
            config, data,
            osp.join(work, f'scarcenet_true_labels_seed{seed}'),
            preset['stage2_epochs'], preset['batch_size'], seed,
            stage2 + opts, cosine=cosine, train_key=key)
        logger.info(f'scarcenet on true labels seed {seed}: {s2_true}')
    return s1, s2, dict(quality, seconds=pl_s), s2_true, longer


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--out')
    parser.add_argument('--no-pretrain', action='store_true',
                        help='start stage 1 from random weights instead of '
                        'the source-only (synthetic) model')
    parser.add_argument('--true-label-control', action='store_true',
                        help='also train stage 2 on the hidden true labels '
                        'of the pool (row scarcenet_true_labels): what the '
                        'recipe gives with perfect pseudo labels')
    parser.add_argument('--override', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='change preset values (quick trials), e.g. '
                        'stage2_epochs=1 num_images=40')
    args = parser.parse_args(argv)
    preset = dict(PRESETS[args.preset])
    for item in args.override:
        key, _, value = item.partition('=')
        if key not in preset:
            parser.error(f'unknown preset key {key!r}; keys: {list(preset)}')
        try:
            preset[key] = json.loads(value)
        except json.JSONDecodeError:  # a bare string: recipe=paper
            preset[key] = value
        if key == 'recipe' and preset[key] not in STAGE2:
            parser.error(f'recipe must be one of {sorted(STAGE2)}')
    seeds = args.seeds or preset['seeds']
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0, nproc=2)
    shots = '' if preset['shots'] == PRESETS[args.preset]['shots'] else \
        f'_{preset["shots"]}shot'
    work = osp.join(args.work_dir, f'scarce_labels_{args.preset}{shots}')
    init = None if args.no_pretrain else pretrained_model(
        preset, args.data, args.work_dir, args.preset, logger)
    lab, scn, pls, true, longer = [], [], [], [], []
    for seed in seeds:
        s1, s2, q, s2_true, s1_longer = run_seed(
            preset, args.data, work, seed, logger, init,
            args.true_label_control)
        lab.append(s1)
        longer.append(s1_longer)
        scn.append(s2)
        pls.append(q)
        true.append(s2_true)
    rows = [summarise('labelled_only', seeds, lab),
            summarise('scarcenet', seeds, scn),
            summarise('labelled_only_longer', seeds, longer)]
    if args.true_label_control:
        rows.append(summarise('scarcenet_true_labels', seeds, true))
    rows[1]['pseudo_labels'] = {
        k: round(float(np.mean([q[k] for q in pls])), 1)
        for k in ('precision', 'recall', 'kept')}
    plain_ips = rows[0]['train_images_per_s']
    scn_ips = rows[1]['train_images_per_s']
    result = dict(
        bench='scarce_labels', preset=args.preset, machine=machine(),
        overrides=args.override, data=meta,
        stage1_init='random' if init is None else
        'source-only model (synthetic style, no target labels)',
        labels_per_species=preset['shots'], stage2_recipe=preset['recipe'],
        stage2_config=STAGE2[preset['recipe']], rows=rows,
        teacher_student_cost=dict(
            plain_images_per_s=plain_ips, scarcenet_images_per_s=scn_ips,
            extra_time_per_image=round(plain_ips / scn_ips - 1, 3)),
        ap_gain=round(rows[1]['ap']['mean'] - rows[0]['ap']['mean'], 2),
        ap_spread=max(rows[0]['ap']['std'], rows[1]['ap']['std']),
        # the same comparison against labelled-only trained as many epochs
        ap_gain_vs_longer=round(
            rows[1]['ap']['mean'] - rows[2]['ap']['mean'], 2),
        ap_spread_vs_longer=max(rows[1]['ap']['std'], rows[2]['ap']['std']),
        # this invocation's wall time: short when rows reuse finished runs
        total_minutes=round((time.perf_counter() - t0) / 60, 1))
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'scarce_labels_{args.preset}{shots}.json')
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + table(rows))
    logger.info(f'pseudo labels: {rows[1]["pseudo_labels"]}; cost: '
                f'{result["teacher_student_cost"]}; written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
