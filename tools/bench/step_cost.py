"""Training cost per image of the adaptation recipes against plain
supervised training of the same network, measured on real batches.

Each recipe's ``train_step`` (forward, losses, backward, optimiser steps) is
timed on its own demo config's batches; plain training is the source-only
baseline's ``train_step``. Measurements are interleaved (plain, recipe,
plain, ...) so background load hits all alike; data loading is excluded.
Weights are random (the cost does not depend on them), and UDA's target
pool carries no pseudo labels (same computation). Prints a table and a JSON
line, also written to ``docs/benchmarks/step_cost.json``.

Example:
    python tools/bench/step_cost.py --data data/synanimal
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import List, Optional

import numpy as np
from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402

from animal_da.utils import dump_json_atomic  # noqa: E402

PLAIN = 'configs/baselines/td-hm_res18_synanimal-source-only_96x96_demo.py'
RECIPES = dict(
    uda_animal='configs/uda_animal/'
    'uda-animal_res18_synanimal-to-real_96x96_demo.py',
    fidip='configs/fidip/fidip_res18_synanimal-syn+real-5shot_96x96_demo.py',
    uda_stage1='configs/uda_animal/'
    'td-hm_res18-refine_synanimal-source_96x96_demo.py')


def _setup(config: str, root: str, batch_size: int, batches: int):
    """Model, optimiser wrapper and preloaded batches of a config."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    from mmpose.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, config))
    todo = [cfg.train_dataloader.dataset]
    while todo:  # point every dataset at root, drop pseudo labels
        ds = todo.pop()
        if 'datasets' in ds:
            todo += list(ds.datasets)
        elif 'dataset' in ds:
            todo.append(ds.dataset)
        else:
            ds.data_root = root
            if ds.get('pseudo_labels'):
                ds.pseudo_labels = None
    model_cfg = cfg.model
    model_cfg.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(
        dict(cfg.train_dataloader, batch_size=batch_size, num_workers=0,
             persistent_workers=False), seed=0)
    data = []
    for batch in loader:
        data.append(batch)
        if len(data) == batches + 1:
            break
    return model, optim, data


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--batches', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--recipes', nargs='+', default=list(RECIPES))
    parser.add_argument('--out', default=osp.join(
        REPO, 'docs', 'benchmarks', 'step_cost.json'))
    args = parser.parse_args(argv)
    from mmengine.registry import init_default_scope

    import animal_da  # noqa: F401
    init_default_scope('mmpose')
    root = args.data.rstrip('/') + '/'
    runs = {'plain': _setup(PLAIN, root, args.batch_size, args.batches)}
    for name in args.recipes:
        runs[name] = _setup(RECIPES[name], root, args.batch_size,
                            args.batches)
    times = {name: [] for name in runs}
    for n in range(args.batches + 1):
        for name, (model, optim, data) in runs.items():
            start = time.perf_counter()
            model.train_step(data[n], optim)
            if n:  # the first pass warms up
                times[name].append(time.perf_counter() - start)
    ms = {k: 1000 * float(np.mean(v)) / args.batch_size
          for k, v in times.items()}
    rows = {k: dict(ms_per_image=round(v, 2),
                    images_per_s=round(1000 / v, 1),
                    time_vs_plain=round(v / ms['plain'], 3))
            for k, v in ms.items()}
    result = dict(bench='step_cost', machine=machine(),
                  batch_size=args.batch_size, batches=args.batches,
                  note='per image of a batch: a UDA batch is half source, '
                  'half target (three views each); a FiDIP batch half '
                  'synthetic, half real', rows=rows)
    dump_json_atomic(result, args.out, indent=2)
    for k, r in rows.items():
        print(f'{k}: {r["ms_per_image"]} ms/image, {r["images_per_s"]} '
              f'images/s, {r["time_vs_plain"]}x plain')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
