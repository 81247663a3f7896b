"""Generator speed: images per second for a full two-domain dataset.

Example:
    python tools/bench/generator_speed.py --num-images 5000 --nproc 2
"""
import argparse
import json
import os.path as osp
import shutil
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from animal_da.datasets.synthetic import generate_dataset  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-images', type=int, default=5000,
                        help='total images (spread over the splits)')
    parser.add_argument('--img-size', type=int, default=256)
    parser.add_argument('--nproc', type=int, default=2)
    args = parser.parse_args(argv)
    # five splits at 1 + 0.25 + 1 + 0.25 + 0.25 of num_images: 2.75x
    per_split = max(1, round(args.num_images / 2.75))
    tmp = tempfile.mkdtemp()
    try:
        start = time.perf_counter()
        meta = generate_dataset(osp.join(tmp, 'd'), per_split,
                                img_size=args.img_size, nproc=args.nproc)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = sum(meta['splits'].values())
    result = dict(bench='generator_speed', images=total,
                  img_size=args.img_size, nproc=args.nproc,
                  seconds=round(seconds, 1),
                  images_per_s=round(total / seconds, 1))
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
