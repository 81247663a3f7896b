"""Generate the two-domain synthetic animal dataset (COCO keypoints, AP-10K's
17 keypoints) that every demo, test and benchmark uses, or (``--layout
keypoint_sets``) source datasets with different keypoint sets for the
keypoint-union recipes (FreeNet).

Example:
    python tools/generate_synthetic_data.py --out data/synanimal \
        --num-images 2000 --seed 0
    python tools/generate_synthetic_data.py --layout keypoint_sets \
        --out data/synanimal_union --num-images 600 \
        --split-size union_val=600 union_test=600
"""
import argparse
import sys
from typing import List, Optional

from mmengine.logging import MMLogger

from animal_da.datasets.synthetic import (LAYOUTS, SPECIES, STYLES,
                                          generate_dataset)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/synanimal',
                        help='dataset folder to create')
    parser.add_argument('--num-images', type=int, default=2000,
                        help='images per train split (val/test: a quarter)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--img-size', type=int, default=256)
    parser.add_argument('--species', nargs='+', metavar='NAME',
                        help=f'species to draw (default all: '
                        f'{", ".join(SPECIES)})')
    parser.add_argument('--layout', choices=sorted(LAYOUTS),
                        default='domains',
                        help='domains: the two-domain splits (AP-10K '
                        'keypoints); keypoint_sets: AP-10K-, AnimalPose- and '
                        'TigDog-style sources and 24-joint val/test splits')
    parser.add_argument('--splits', nargs='+', metavar='SPLIT',
                        help='splits to write (default all of the layout: ' +
                        '; '.join(f'{k}: {", ".join(v)}'
                                  for k, v in LAYOUTS.items()) + ')')
    parser.add_argument('--split-size', nargs='+', metavar='SPLIT=N',
                        action='extend', default=[],
                        help='image count of a split instead of its share '
                        'of --num-images (e.g. union_val=600; repeatable)')
    parser.add_argument('--source-style', default='synthetic',
                        help=f'style of source splits ({", ".join(STYLES)})')
    parser.add_argument('--target-style', default='real',
                        help=f'style of target splits ({", ".join(STYLES)})')
    parser.add_argument('--nproc', type=int, default=2,
                        help='worker processes')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out folder')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    logger = MMLogger.get_instance('animal_da')
    sizes = {}
    for item in args.split_size:
        name, _, n = item.partition('=')
        try:
            count = int(n)
        except ValueError:
            sys.exit(f'error: --split-size takes SPLIT=N, got {item!r}')
        if name in sizes:
            sys.exit(f'error: --split-size names {name!r} twice')
        sizes[name] = count
    try:
        meta = generate_dataset(
            args.out, args.num_images, seed=args.seed, img_size=args.img_size,
            species=args.species, splits=args.splits,
            source_style=args.source_style, target_style=args.target_style,
            nproc=args.nproc, overwrite=args.overwrite, layout=args.layout,
            split_sizes=sizes or None)
    except (ValueError, PermissionError, FileExistsError) as err:
        sys.exit(f'error: {err}')
    logger.info(f'wrote {args.out}: ' + ', '.join(
        f'{k} {v} images' for k, v in meta['splits'].items()))
    return meta


if __name__ == '__main__':
    main()
