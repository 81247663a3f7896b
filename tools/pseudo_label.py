"""Write TTA pseudo labels (COCO keypoint results with per-keypoint scores)
for the unlabelled instances named by a config.

Resumable: rerun the same command after an interruption.

Example:
    python tools/pseudo_label.py CONFIG CHECKPOINT --out work_dirs/pl.json
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction

import animal_da  # noqa: F401
from animal_da.pseudo_labels import generate_pseudo_labels
from animal_da.compat import trusted_checkpoints


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config of the (stage-1) model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--out', required=True, help='output JSON file')
    parser.add_argument('--num-transforms', type=int, default=5,
                        help='TTA views, the identity included')
    parser.add_argument('--no-flip', action='store_true')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default=None,
                        help='default: cuda when a GPU is present, else cpu')
    parser.add_argument('--work-dir', help="the model's run folder (its "
                        'checkpoints are trusted)')
    parser.add_argument('--trust-checkpoint', action='store_true')
    parser.add_argument('--temporal-check', action='store_true',
                        help='optical-flow check against the previous frame '
                        'of the same video (UDA-Animal-Pose; needs video_id '
                        'and frame_id in the image entries)')
    parser.add_argument('--across-clips', action='store_true',
                        help='with --temporal-check: the previous sample in '
                        'order even across clips (the paper code\'s quirk)')
    parser.add_argument('--subpixel', action='store_true',
                        help='quarter-pixel step towards the larger '
                        'neighbour (as mmpose decodes; the papers keep the '
                        'integer argmax)')
    parser.add_argument('--flip-shift', action='store_true',
                        help='shift flipped heatmaps one pixel as mmpose\'s '
                        'flip test does (the papers do not, which biases '
                        'labels to the left)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'pseudo_label_dataset.data_root=data/x/')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    with trusted_checkpoints([work_dir], trust_all=args.trust_checkpoint):
        return generate_pseudo_labels(
            cfg, args.checkpoint, args.out,
            num_transforms=args.num_transforms, flip=not args.no_flip,
            batch_size=args.batch_size, seed=args.seed, device=args.device,
            temporal=dict(by_video=not args.across_clips)
            if args.temporal_check else None, subpixel=args.subpixel,
            flip_shift=args.flip_shift)


if __name__ == '__main__':
    main(sys.argv[1:])
