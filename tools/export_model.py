"""Export a trained model as a plain mmpose config + weights-only checkpoint.

Example:
    python tools/export_model.py CONFIG work_dirs/NAME/best_coco_AP_epoch_30.pth \
        --out exported/
    # then, with mmpose alone:
    #   from mmpose.apis import init_model, inference_topdown
    #   model = init_model('exported/NAME_student.py',
    #                      'exported/NAME_student.pth', device='cpu')
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config
from mmengine.logging import MMLogger

import animal_da  # noqa: F401  (compat: checkpoint loading)
from animal_da.apis import export_pose_model
from animal_da.compat import trusted_checkpoints


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='training config')
    parser.add_argument('checkpoint', help='checkpoint of that run')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--which', choices=['student', 'teacher'],
                        default='student',
                        help='network of a teacher-student recipe to export')
    parser.add_argument('--work-dir',
                        help="the run's work_dir, if not the config's default"
                        ' (its checkpoints are trusted)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='trust a checkpoint from elsewhere (a checkpoint '
                        'can run code when unpickled)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    with trusted_checkpoints([work_dir],
                             trust_all=args.trust_checkpoint or
                             bool(cfg.get('trust_checkpoint'))):
        paths = export_pose_model(args.config, args.checkpoint, args.out,
                                  which=args.which)
    MMLogger.get_instance('animal_da').info(
        f'exported {args.which}: config {paths[0]}, checkpoint {paths[1]}')
    return paths


if __name__ == '__main__':
    main(sys.argv[1:])
