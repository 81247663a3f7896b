"""Which of the target style's nuisances cost a source-trained model most.

The generator's ``real`` style differs from ``synthetic`` in five groups of
parameters (``FACTORS``: coat appearance, background and lighting, image
degradations, occluders, pose and framing). This script renders a val split
of ``synthetic`` with one group switched to its ``real`` values at a time
(same seed, ``--num-images`` each), plus plain ``synthetic`` and full
``real``, and evaluates one model on each: the AP each group takes away
says what a source-only stage (UDA-Animal-Pose's stage 1, whose pseudo
labels start its stage 2) would have to learn to resist. Evaluation only,
final weights; one JSON, ``docs/benchmarks/domain_factors_<name>.json``.

Example (a train stage of ``domain_shift.py``'s work folder):
    python tools/bench/domain_factors.py \\
        --config work_dirs/bench/domain_shift_cpu-converged/seed0/\\
s1aug_train/s1aug_train_config.py \\
        --checkpoint .../s1aug_train/epoch_48.pth --name s1aug_seed0
"""
import argparse
import json
import os.path as osp
import sys
import time
from dataclasses import asdict, replace
from typing import Dict, List, Optional

from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402

from animal_da.datasets.synthetic import (ensure_dataset,  # noqa: E402
                                          get_style, register_style)
from animal_da.utils import dump_json_atomic  # noqa: E402

#: group -> the Style fields that take their ``real`` values
FACTORS: Dict[str, List[str]] = {
    'appearance': ['natural_colors', 'color_jitter', 'pattern_strength',
                   'far_side_shade'],
    'background': ['background', 'clutter_shapes', 'clutter_contrast',
                   'light_gradient'],
    'degradation': ['blur_sigma', 'noise_sigma', 'jpeg_quality'],
    'occluders': ['occluder_prob', 'max_occluders'],
    'pose': ['yaw', 'pitch', 'limb_scale', 'head_down_prob', 'size',
             'partial_prob'],
}


def factor_styles() -> Dict[str, str]:
    """Row -> registered style name: ``synthetic``, ``synthetic`` plus each
    group of :data:`FACTORS`, and ``real``."""
    src, tgt = get_style('synthetic'), get_style('real')
    rows = {'synthetic': 'synthetic'}
    for group, fields in FACTORS.items():
        name = f'synthetic+{group}'
        register_style(replace(src, name=name, **{
            f: getattr(tgt, f) for f in fields}), force=True)
        rows[name] = name
    rows['real'] = 'real'
    missing = set(asdict(src)) - {'name'} - {
        f for fs in FACTORS.values() for f in fs}
    differ = [f for f in missing if getattr(src, f) != getattr(tgt, f)]
    if differ:  # a style field the groups leave out would go unmeasured
        raise RuntimeError(f'fields of real outside FACTORS: {differ}')
    return rows


def evaluate(config: str, checkpoint: str, data: str,
             work_dir: str) -> Dict[str, float]:
    """AP and PCK (percent) of ``checkpoint`` on ``data``'s ``target_val``
    split."""
    from animal_da.apis.launch import build_runner
    from animal_da.apis.overrides import apply_workflow_keys
    from animal_da.apis.workflow import metrics_to_row_values
    from animal_da.compat import trusted_checkpoints
    cfg = Config.fromfile(config)
    apply_workflow_keys(cfg, data_root=osp.join(data, ''))
    cfg.test_dataloader.dataset.ann_file = 'annotations/target_val.json'
    cfg.load_from, cfg.resume, cfg.work_dir = checkpoint, False, work_dir
    with trusted_checkpoints([osp.dirname(osp.abspath(checkpoint))]):
        metrics = build_runner(cfg).test()
    return {k: round(v, 2) for k, v in metrics_to_row_values(metrics).items()}


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True,
                        help='the model\'s training config')
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--name', required=True,
                        help='the model\'s name in the output file')
    parser.add_argument('--num-images', type=int, default=500,
                        help='images in each val split')
    parser.add_argument('--data', default='data/synanimal_factors')
    parser.add_argument('--work-dir', default='work_dirs/bench/'
                        'domain_factors')
    parser.add_argument('--out')
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for row, style in factor_styles().items():
        folder = osp.join(args.data, row.replace('+', '_'))
        # the val split is a quarter of the train size
        ensure_dataset(folder, 4 * args.num_images, seed=0,
                       source_style='synthetic', target_style=style,
                       splits=['target_val'], show_progress=False)
        m = evaluate(args.config, args.checkpoint, folder,
                     osp.join(args.work_dir, args.name, row))
        rows.append(dict(row=row, **m))
        print(row, rows[-1], flush=True)
    base = rows[0]['ap']
    for r in rows:
        r['ap_lost'] = round(base - r['ap'], 2)
    result = dict(bench='domain_factors', machine=machine(),
                  model=dict(name=args.name, config=args.config,
                             checkpoint=args.checkpoint),
                  num_images=args.num_images, factors=FACTORS, rows=rows,
                  minutes=round((time.perf_counter() - t0) / 60, 1))
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'domain_factors_{args.name}.json')
    dump_json_atomic(result, out, indent=2)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
