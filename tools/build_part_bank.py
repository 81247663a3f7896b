"""Build a part bank (RGBA cut-outs + index) for ASDA's semantic
augmentation, from a COCO keypoint file with instance polygons or from the
procedural generator.

Examples:
    # AP-10K's polygons cut by keypoint groups (legs, head, tail)
    python tools/build_part_bank.py data/ap10k/annotations/ap10k-train-split1.json \
        data/ap10k/data --out data/ap10k_parts --groups \
        left_front_leg=L_Shoulder,L_Elbow,L_F_Paw \
        right_front_leg=R_Shoulder,R_Elbow,R_F_Paw \
        left_back_leg=L_Hip,L_Knee,L_B_Paw right_back_leg=R_Hip,R_Knee,R_B_Paw \
        head=L_Eye,R_Eye,Nose tail="Root of tail"
    # the generator's animals (real style)
    python tools/build_part_bank.py --from-generator 300 --out data/synanimal_parts
"""
import argparse
import sys
from typing import List, Optional

from mmengine.logging import MMLogger

from animal_da.datasets.part_bank import (PartBankError, parts_from_coco,
                                          parts_from_generator)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann', nargs='?', help='COCO keypoint file with '
                        'segmentation polygons')
    parser.add_argument('img_dir', nargs='?', help='its image folder')
    parser.add_argument('--out', required=True, help='the bank folder')
    parser.add_argument('--groups', nargs='+', default=[],
                        metavar='TYPE=KP1,KP2,...',
                        help='part types and the keypoint names of each')
    parser.add_argument('--sizes', nargs='+', default=[],
                        metavar='TYPE=FRACTION',
                        help='part size as a fraction of the body diagonal '
                        '(default 0.3)')
    parser.add_argument('--min-pixels', type=int, default=256)
    parser.add_argument('--min-keypoints', type=int, default=2)
    parser.add_argument('--from-generator', type=int, metavar='N',
                        help='render N animals and cut their parts instead')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--img-size', type=int, default=256)
    parser.add_argument('--style', default='real')
    parser.add_argument('--overwrite', action='store_true')
    return parser.parse_args(argv)


def _pairs(items: List[str], flag: str) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or not key or not value:
            sys.exit(f'error: {flag} takes TYPE=VALUE, got {item!r}')
        out[key] = value
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    logger = MMLogger.get_instance('animal_da')
    try:
        if args.from_generator:
            index = parts_from_generator(
                args.out, args.from_generator, seed=args.seed,
                img_size=args.img_size, style=args.style,
                overwrite=args.overwrite)
        else:
            if not (args.ann and args.img_dir and args.groups):
                sys.exit('error: give ANN IMG_DIR --groups ..., or '
                         '--from-generator N')
            groups = {k: [n.strip() for n in v.split(',')]
                      for k, v in _pairs(args.groups, '--groups').items()}
            sizes = {k: float(v) for k, v in
                     _pairs(args.sizes, '--sizes').items()}
            index = parts_from_coco(
                args.ann, args.img_dir, args.out, groups, sizes=sizes,
                min_pixels=args.min_pixels,
                min_keypoints=args.min_keypoints, overwrite=args.overwrite)
    except (PartBankError, FileNotFoundError, FileExistsError) as err:
        sys.exit(f'error: {err}')
    logger.info(f'wrote {args.out}: ' + ', '.join(
        f'{k} {v}' for k, v in index['counts'].items()))
    return index


if __name__ == '__main__':
    main()
