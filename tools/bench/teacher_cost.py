"""Cost of ScarceNet's extra work per training step, measured on real
batches of the stage-2 demo config.

Times, per image, on the same batches (data loading excluded, measurements
interleaved so background load hits all alike): a plain supervised step of
the student on the strong view (forward, loss, backward, Adam step); the
teacher branch alone (no gradients: the teacher on the clean view, plus its
BN-only pass on the strong view when ``teacher_bn_sync``); the agreement
check (the student on the weak and clean views, no gradients); and the
whole ScarceNet step. Prints a table and a JSON line, also written to
``docs/benchmarks/scarcenet_step_cost.json``.

Example (after tools/bench/scarce_labels.py, which leaves the inputs):
    python tools/bench/teacher_cost.py \\
        --stage1 work_dirs/bench/scarce_labels_cpu-small/seed0/stage1/\\
labelled_only_student.pth \\
        --pseudo-labels work_dirs/bench/scarce_labels_cpu-small/seed0/\\
pseudo_labels/pseudo_labels.json
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import List, Optional

import numpy as np
from mmengine.config import Config
from mmengine.optim import OptimWrapper

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402
import torch  # noqa: E402  (after animal_da: thread settings)

from animal_da.utils import dump_json_atomic  # noqa: E402

STAGE2 = ('configs/scarcenet/'
          'scarcenet_res18_synanimal-real-5shot_96x96_demo.py')


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--stage1', required=True,
                        help='exported stage-1 model (.pth)')
    parser.add_argument('--pseudo-labels', required=True)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--batches', type=int, default=6)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--out', default=osp.join(
        REPO, 'docs', 'benchmarks', 'scarcenet_step_cost.json'))
    args = parser.parse_args(argv)
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmpose.registry import MODELS

    import animal_da  # noqa: F401
    init_default_scope('mmpose')
    cfg = Config.fromfile(osp.join(REPO, STAGE2))
    root = args.data.rstrip('/') + '/'
    ds = cfg.train_dataloader.dataset
    ds.data_root = root
    ds.pseudo_labels.file = args.pseudo_labels
    loader_cfg = dict(cfg.train_dataloader, batch_size=args.batch_size,
                      num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == args.batches + 1:
            break
    rows = {}
    for sync in (False, True):
        cfg.model.semi_train_cfg.teacher_bn_sync = sync
        cfg.model.init_cfg.checkpoint = args.stage1
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        optim = OptimWrapper(torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad], lr=2e-4))
        times = {k: [] for k in ('plain', 'teacher', 'agreement', 'full')}

        def plain(batch):
            data = model.data_preprocessor(batch, True)
            x, s = data['inputs']['strong'], data['data_samples']['strong']
            optim.update_params(sum(v for k, v in model.student.loss(
                x, s).items() if k.startswith('loss')))

        def branches(batch):
            data = model.data_preprocessor(batch, True)
            i, s = data['inputs'], data['data_samples']
            with torch.no_grad():
                times['teacher'].append(_timed(
                    lambda: model.teacher_keypoints(i, s)))
                times['agreement'].append(_timed(lambda: (
                    model.heatmaps(model.student, i['weak']),
                    model.heatmaps(model.student, i['teacher']))))

        for n, batch in enumerate(batches):
            t_plain = _timed(lambda: plain(batch))
            t_full = _timed(lambda: model.train_step(batch, optim))
            branches(batch)
            if n == 0:  # warm-up
                for v in times.values():
                    v.clear()
                continue
            times['plain'].append(t_plain)
            times['full'].append(t_full)
        per = {k: 1000 * float(np.mean(v)) / args.batch_size
               for k, v in times.items()}
        rows['teacher_bn_sync' if sync else 'default'] = dict(
            ms_per_image={k: round(v, 2) for k, v in per.items()},
            teacher_extra=round(per['teacher'] / per['plain'], 3),
            agreement_extra=round(per['agreement'] / per['plain'], 3),
            scarcenet_extra=round(per['full'] / per['plain'] - 1, 3))
    result = dict(bench='scarcenet_step_cost', machine=machine(),
                  batch_size=args.batch_size, batches=args.batches,
                  rows=rows)
    dump_json_atomic(result, args.out, indent=2)
    for name, r in rows.items():
        print(f'{name}: ms/image {r["ms_per_image"]}; extra over plain: '
              f'teacher {r["teacher_extra"]:.2f}, agreement check '
              f'{r["agreement_extra"]:.2f}, whole step '
              f'{r["scarcenet_extra"]:.2f}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
