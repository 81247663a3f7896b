"""Draw a grid of generated animals per style, with their keypoints, using
mmpose's visualiser (the pictures in docs/).

Example:
    python tools/draw_styles.py --out docs/ --per-style 7
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np
from mmengine.structures import InstanceData

import animal_da  # noqa: F401
from animal_da.datasets.synthetic import SPECIES, STYLES, render_sample
from animal_da.datasets.synthetic.writer import ap10k_metainfo
from animal_da.utils import atomic_write


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='docs')
    parser.add_argument('--per-style', type=int, default=len(SPECIES))
    parser.add_argument('--size', type=int, default=192)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    from mmpose.registry import VISUALIZERS
    from mmpose.structures import PoseDataSample
    vis = VISUALIZERS.build(dict(type='PoseLocalVisualizer', name='styles',
                                 radius=2, line_width=1))
    vis.set_dataset_meta(ap10k_metainfo())
    plans = list(SPECIES.values())
    paths = []
    for style in STYLES:
        rng = np.random.default_rng(args.seed)
        tiles = []
        for i in range(args.per_style):
            out = render_sample(plans[i % len(plans)], STYLES[style], rng,
                                args.size)
            sample = PoseDataSample()
            gt = InstanceData()
            gt.keypoints = out['keypoints'][None, :, :2]
            # draw occluded keypoints too; unlabelled ones stay hidden
            gt.keypoints_visible = (out['keypoints'][None, :, 2] > 0)
            sample.gt_instances = gt
            vis.add_datasample('gt', out['image'], sample, draw_gt=True,
                               draw_pred=False, show=False)
            tiles.append(vis.get_image())
        grid = np.concatenate(tiles, axis=1)
        path = osp.join(args.out, f'style_{style}.png')
        atomic_write(path, lambda p, g=grid: cv2.imwrite(
            p, cv2.cvtColor(g, cv2.COLOR_RGB2BGR)))
        paths.append(path)
    return paths


if __name__ == '__main__':
    print('\n'.join(main(sys.argv[1:])))
