"""Draw ASDA's training crops: clean, with the parts where the untrained
generator leaves them, and where a trained generator pastes them (the
picture in docs/).

Example:
    python tools/draw_pasted_parts.py \
        work_dirs/asda_demo/asda/<its config>.py \
        --checkpoint work_dirs/asda_demo/asda/epoch_20.pth \
        --out docs/asda_pasted_parts.png
"""
import argparse
import sys

import animal_da  # noqa: F401  (registers the modules)
from animal_da.apis.visualize import draw_pasted_parts


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='an ASDA training config with its '
                        'part bank set (a workflow train stage\'s config)')
    parser.add_argument('--checkpoint', help='its checkpoint (default: an '
                        'untrained generator)')
    parser.add_argument('--out', default='docs/asda_pasted_parts.png')
    parser.add_argument('--num', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    return draw_pasted_parts(args.config, args.checkpoint, args.out,
                             num_images=args.num, seed=args.seed,
                             device=args.device)


if __name__ == '__main__':
    print(main(sys.argv[1:]))
