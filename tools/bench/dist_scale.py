"""Training images/s of one process against a 2-process CPU run
(``tools/dist_train.sh``, gloo) with the same global batch.

Trains the plain source-only config (optionally the half-width model,
``--width 0.5``) for one epoch each way: one process with batch ``B``, then
two processes with ``B / 2`` each (torchrun gives each one OpenMP thread),
validation off. Images/s come from mmengine's per-iteration ``time`` in each
run's ``scalars.json`` (the first ``--skip`` logged iterations dropped).
Writes ``docs/benchmarks/dist_scale.json``.

Example:
    python tools/bench/dist_scale.py --data data/synanimal
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
from typing import List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402

from animal_da.utils import dump_json_atomic  # noqa: E402

CONFIG = 'configs/baselines/td-hm_res18_synanimal-source-only_96x96_demo.py'


def _images_per_s(work_dir: str, global_batch: int, skip: int) -> float:
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    if not files:
        raise FileNotFoundError(f'no scalars.json under {work_dir}')
    times = []
    with open(files[0]) as f:
        for line in f:
            rec = json.loads(line)
            if 'time' in rec and 'loss' in rec:
                times.append(rec['time'])
    times = times[skip:]
    if not times:
        raise RuntimeError(f'{work_dir}: too few logged iterations')
    return global_batch / float(np.mean(times))


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='global batch')
    parser.add_argument('--width', type=float, default=1.0)
    parser.add_argument('--skip', type=int, default=2,
                        help='logged iterations dropped as warm-up')
    parser.add_argument('--out', default=osp.join(
        REPO, 'docs', 'benchmarks', 'dist_scale.json'))
    args = parser.parse_args(argv)
    root = args.data.rstrip('/') + '/'
    common = ['--cfg-options', f'data_root={root}', 'train_cfg.max_epochs=1',
              'train_cfg.val_interval=100', 'default_hooks.logger.interval=5',
              'default_hooks.checkpoint.save_best=None']
    if args.width != 1.0:
        common.append(f'width={args.width}')
    result = dict(bench='dist_scale', machine=machine(), config=CONFIG,
                  width=args.width, global_batch=args.batch_size, runs={})
    with tempfile.TemporaryDirectory() as tmp:
        for nproc in (1, 2):
            work = osp.join(tmp, f'np{nproc}')
            bs = args.batch_size // nproc
            if nproc == 1:
                cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py')]
            else:
                cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh')]
            cmd += [osp.join(REPO, CONFIG)] + ([] if nproc == 1 else
                                               [str(nproc)])
            cmd += ['--work-dir', work] + common + [
                f'train_dataloader.batch_size={bs}']
            env = dict(os.environ, PORT=str(29600 + nproc))
            subprocess.run(cmd, check=True, env=env, cwd=REPO,
                           stdout=subprocess.DEVNULL)
            rate = _images_per_s(work, args.batch_size, args.skip)
            result['runs'][f'{nproc}_process'] = dict(
                processes=nproc, batch_per_process=bs,
                images_per_s=round(rate, 1))
            print(f'{nproc} process(es), batch {bs} each: {rate:.1f} '
                  'images/s')
    r = result['runs']
    result['two_over_one'] = round(r['2_process']['images_per_s'] /
                                   r['1_process']['images_per_s'], 3)
    dump_json_atomic(result, args.out, indent=2)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
