"""`make demo`: learning from scarce labels on the embedded data, in one
resumable command.

Generates a small two-domain animal set, runs the ScarceNet demo workflow
(pretraining on the `synthetic` style, labelled-only on 5 `real` labels per
species, TTA pseudo labels of the unlabelled pool, ScarceNet, labelled-only
trained as long as ScarceNet) and prints the table of the baseline and the
method on ``target_test``, then draws both models' predictions on the same
target images. A second run reuses the finished stages and prints the table
again in seconds.

Example:
    python tools/demo.py                 # seed 0
    python tools/demo.py --seed 1 --work-dir work_dirs/demo_seed1
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.logging import MMLogger

import animal_da  # noqa: F401
from animal_da.apis.visualize import draw_comparison
from animal_da.apis.workflow import run_workflow, summary_table
from animal_da.datasets.synthetic import ensure_dataset

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
WORKFLOW = osp.join(REPO, 'configs/scarcenet/scarcenet-short_res18-half_'
                    'synanimal-real-5shot_96x96_demo_workflow.py')


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='data/synanimal-demo')
    parser.add_argument('--num-images', type=int, default=1000,
                        help='images per train split (a quarter of it in '
                        'val and test)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args = parser.parse_args(argv)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    logger = MMLogger.get_instance('animal_da')

    logger.info(f'[demo] data: {args.data} ({args.num_images} images a '
                'train split, 128 px)')
    ensure_dataset(args.data, args.num_images, seed=0, img_size=128,
                   nproc=2, show_progress=False)
    logger.info(f'[demo] workflow {osp.relpath(WORKFLOW, REPO)} in '
                f'{args.work_dir}')
    summary = run_workflow(WORKFLOW, args.work_dir,
                           options=dict(data_root=args.data, seed=args.seed))

    stages = summary['stages']
    picture = osp.join(args.work_dir, 'predictions_target.png')
    base, method = stages['stage1']['outputs'], \
        stages['scarcenet_export']['outputs']
    draw_comparison(
        [('labelled-only (5 labels per species)', base['config'],
          base['checkpoint']),
         ('ScarceNet (+ pseudo-labelled pool), teacher', method['config'],
          method['checkpoint'])],
        osp.join(args.data, 'annotations', 'target_test.json'),
        osp.join(args.data, 'images'), picture)
    table = summary_table(summary['rows'])
    logger.info('target_test, final weights:\n' + table)
    logger.info(f'summary: {osp.join(args.work_dir, "summary.json")}')
    logger.info(f'predictions of both models on target images: {picture}')
    print(table)
    print(f'demo done; summary in {osp.join(args.work_dir, "summary.json")}'
          f', predictions side by side in {picture}')
    return summary


if __name__ == '__main__':
    main(sys.argv[1:])
