"""`make demo`: generate a small two-domain animal set, train the source-only
baseline briefly, evaluate it on both styles and draw its predictions.

Example:
    python tools/demo.py --num-images 300 --epochs 8
"""
import argparse
import glob
import os.path as osp
import sys
from typing import List, Optional

from mmengine.logging import MMLogger

import animal_da  # noqa: F401
from animal_da.apis import export_pose_model
from animal_da.apis.launch import (build_test_cfg, build_train_cfg,
                                   parse_test_args, parse_train_args, test,
                                   train)
from animal_da.apis.visualize import draw_predictions
from animal_da.compat import trusted_checkpoints
from animal_da.datasets.synthetic import ensure_dataset

CONFIG = 'configs/baselines/td-hm_res18_synanimal-source-only_96x96_demo.py'


def data_options(root: str) -> List[str]:
    """--cfg-options that point every dataloader at ``root``."""
    root = root.rstrip('/') + '/'
    return [f'{k}_dataloader.dataset.data_root={root}'
            for k in ('train', 'val', 'test')]


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='data/synanimal-demo')
    parser.add_argument('--num-images', type=int, default=300)
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args = parser.parse_args(argv)
    logger = MMLogger.get_instance('animal_da')

    logger.info(f'[demo 1/4] data: {args.data} ({args.num_images} images a '
                'train split)')
    ensure_dataset(args.data, args.num_images, seed=0, nproc=2)

    logger.info(f'[demo 2/4] training the source-only baseline for '
                f'{args.epochs} epochs on the synthetic style')
    opts = data_options(args.data) + [
        f'train_cfg.max_epochs={args.epochs}',
        f'train_cfg.val_interval={args.epochs}',
        f'param_scheduler.1.T_max={args.epochs}',
        f'param_scheduler.1.end={args.epochs}',
        f'default_hooks.checkpoint.interval={args.epochs}'
    ]
    train(build_train_cfg(parse_train_args(
        [CONFIG, '--work-dir', args.work_dir, '--cfg-options'] + opts)))
    ckpt = sorted(glob.glob(osp.join(args.work_dir, 'best_*.pth')))[-1]

    metrics = {}
    for style, split in (('real', 'target_test'),
                         ('synthetic', 'source_val')):
        logger.info(f'[demo 3/4] evaluating on the {style} style ({split})')
        test_opts = data_options(args.data) + [
            f'test_dataloader.dataset.ann_file=annotations/{split}.json']
        res = test(build_test_cfg(parse_test_args(
            [CONFIG, ckpt, '--work-dir', args.work_dir, '--cfg-options'] +
            test_opts)))
        metrics[style] = {k: round(float(v), 4) for k, v in res.items()}

    logger.info('[demo 4/4] drawing predictions on target images')
    with trusted_checkpoints([args.work_dir]):
        cfg_path, ckpt_path = export_pose_model(
            CONFIG, ckpt, osp.join(args.work_dir, 'exported'))
    picture = draw_predictions(
        cfg_path, ckpt_path, osp.join(args.data, 'annotations',
                                      'target_test.json'),
        osp.join(args.data, 'images'),
        osp.join(args.work_dir, 'predictions_target.png'))
    for style, res in metrics.items():
        logger.info(f'{style:>9} style: AP {100 * res["coco/AP"]:.1f}  '
                    f'PCK@0.05 (bbox) {100 * res["PCK"]:.1f}  '
                    f'PCK@0.05 (crop) {100 * res["crop/PCK"]:.1f}')
    logger.info(f'predictions on target images: {picture}')
    print(f'demo done; predictions saved to {picture}')
    return metrics


if __name__ == '__main__':
    main(sys.argv[1:])
