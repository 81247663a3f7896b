"""How right FreeNet's pseudo labels are, on the generated keypoint-set
sources whose labels are known: the base network (teacher) labels training
views of the three sources as FreeNet's stage sees them (the demo config's
pipeline: tight crops, flips, scale and rotation; half-body off, as for
the unlabelled instances, which have no keypoints to choose a half by; the
teacher in train mode, as the recipe runs it; ``--labeller eval`` or
``eval_flip``: in eval mode, without or with mmpose's flip test, as the
``pl_teacher`` switch does), its per-part quantile masks
keep some (the final keep ratios), and each kept label whose joint the
instance's source annotates is compared with that annotation in the crop.
(Labels that fill joints a source does not annotate have nothing to be
compared with and are not counted.)

Per joint subset (``shared``: every source annotates it; ``exclusive``: the
rest), it prints and writes: how many were kept, the share within 0.05 x
the crop side (4.8 px at 96 px; the training crop is the box), outside the
crop, or wrong; and for each way to place a label on the teacher's heatmap
(``argmax``, FreeNet's; ``quarter``, mmpose's MSRA decode; ``dark3`` /
``dark5``, mmpose's DARK refinement with that blur kernel) its error in
input pixels and its mean OKS term (COCO's, as the evaluation scores a
prediction that far off).

Example:
    base=work_dirs/bench/keypoint_union_cpu-small/seed0/naive_merge
    python tools/bench/freenet_pseudo_labels.py \\
        --checkpoint $base/epoch_300.pth \\
        --out docs/benchmarks/freenet_pseudo_labels_cpu-small.json
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner, set_random_seed  # noqa: E402
from mmpose.datasets.datasets.utils import parse_pose_metainfo  # noqa: E402

from animal_da.apis.overrides import set_width  # noqa: E402
from animal_da.datasets.keypoint_sets import (  # noqa: E402
    joint_subsets, metainfo_file)
from animal_da.datasets.keypoint_states import NOT_ANNOTATED  # noqa: E402
from animal_da.pseudo_labels.geometry import (decode_argmax,  # noqa: E402
                                              refine_quarter)
from animal_da.utils import dump_json_atomic  # noqa: E402

CONFIG = 'configs/freenet/freenet_res18_synanimal-union-10pct_96x96_demo.py'


def build(config: str, data: str, checkpoint: Optional[str], width: float,
          batch_size: int, part_groups: str = 'freenet'):
    """The FreeNet model (teacher = ``checkpoint``) and a loader of every
    instance of the three sources, labelled, through FreeNet's training
    views with half-body off, the crop-space keypoints and the annotated
    areas packed."""
    from mmpose.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, config))
    set_width(cfg, width)
    cfg.model.init_cfg = (dict(type='Pretrained', checkpoint=checkpoint)
                          if checkpoint else None)
    cfg.model.semi_train_cfg.part_groups = part_groups
    dl = cfg.train_dataloader
    dl.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
    dl.sampler = dict(type='DefaultSampler', shuffle=True)  # all labelled
    for d in dl.dataset.datasets:
        d.update(data_root=osp.join(data, ''), labelled=dict(ratio=1.0,
                                                             seed=0))
    for t in dl.dataset.pipeline:
        if t['type'] == 'RandomHalfBody':
            t['prob'] = 0.0
        if t['type'] == 'SharedMultiBranch':
            for branch in t['branch_field']:
                pack = t[branch][-1]
                pack['pack_transformed'] = True  # crop-space keypoints
                pack['meta_keys'] = tuple(pack['meta_keys']) + ('area',)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # as in the recipe: both networks in train mode (BN on the batch's
    # statistics); nothing here steps an optimiser
    return model.train(), Runner.build_dataloader(dl)


def locations(heatmaps: torch.Tensor, scale: float) -> Dict[str, np.ndarray]:
    """Each way to place a label on ``heatmaps``, in input pixels."""
    from mmpose.codecs.utils.refinement import refine_keypoints_dark
    xy, _ = decode_argmax(heatmaps)
    out = dict(argmax=xy.cpu().numpy() * scale,
               quarter=refine_quarter(heatmaps, xy).cpu().numpy() * scale)
    hm = heatmaps.cpu().numpy()
    for k in (3, 5):
        out[f'dark{k}'] = np.stack([refine_keypoints_dark(
            xy[i:i + 1].cpu().numpy().astype(np.float64), hm[i].copy(), k)[0]
            for i in range(len(hm))]) * scale
    return out


def _spread(errors: List[float], oks: List[float]) -> dict:
    """Median and mean error (input pixels), the share under 2 px and the
    mean OKS term."""
    if not errors:
        return dict(median=None, mean=None, under_2px_pct=None,
                    mean_oks=None)
    e = np.asarray(errors)
    return dict(median=round(float(np.median(e)), 2),
                mean=round(float(e.mean()), 2),
                under_2px_pct=round(100 * float((e < 2).mean()), 1),
                mean_oks=round(float(np.mean(oks)), 3))


def teacher_heatmaps(model, ori: torch.Tensor, samples: list
                     ) -> torch.Tensor:
    """The base network's heatmaps of the ori view, as the recipe's
    ``forward_views`` makes them."""
    return model.heatmaps(model.teacher, ori)


def eval_heatmaps(model, ori: torch.Tensor, samples: list) -> torch.Tensor:
    """The base network in eval mode (``pl_teacher='eval'``)."""
    return model.eval_heatmaps(model.teacher, ori)


def eval_flip_heatmaps(model, ori: torch.Tensor, samples: list
                       ) -> torch.Tensor:
    """The base network in eval mode with mmpose's flip test
    (``pl_teacher='eval_flip'``)."""
    return model.eval_heatmaps(model.teacher, ori,
                               samples[0].metainfo['flip_indices'])


#: --labeller -> the teacher heatmaps labels come from (``pl_teacher``)
LABELLERS = dict(train=teacher_heatmaps, eval=eval_heatmaps,
                 eval_flip=eval_flip_heatmaps)


def measure(model, loader, batches: int, labeller=teacher_heatmaps
            ) -> dict:
    """Kept labels against the annotations, per joint subset.

    A label is right within 0.05 x the crop side (4.8 px at 96 px input;
    the training crop is the box, ``train_padding`` 1.0); its OKS term is
    COCO's, ``exp(-d^2 / (2 area (2 sigma)^2))`` with ``d`` in image pixels
    and the annotated area (as the evaluation's OKS).
    """
    union = model.semi_train_cfg['keypoint_set']
    sigmas = np.asarray(parse_pose_metainfo(dict(from_file=metainfo_file(
        union)))['sigmas'], np.float64)
    subsets = {k: v for k, v in joint_subsets(union).items()
               if k in ('shared', 'exclusive') or k.startswith('only_')}
    counts = {k: np.zeros(4, np.int64) for k in subsets}  # kept right out wr.
    passed = {k: np.zeros(2, np.int64) for k in subsets}  # kept, labels
    errors: Dict[str, Dict[str, List[float]]] = {k: {} for k in subsets}
    oks: Dict[str, Dict[str, List[float]]] = {k: {} for k in subsets}
    with torch.no_grad():
        for b, data in enumerate(loader):
            if b == batches:
                break
            data = model.data_preprocessor(data, True)
            ori, samples = data['inputs']['ori'], data['data_samples']['ori']
            heat = labeller(model, ori, samples)
            size = ori.shape[-1]
            loc, conf = model.locate(heat)  # the recipe's own locations
            keep = model.part_filter(conf, model.keep_ratios()).cpu().numpy()
            xy = loc.cpu().numpy() * (size / heat.shape[-1])
            ways = locations(heat, size / heat.shape[-1])
            for i, s in enumerate(samples):
                gt = np.asarray(s.gt_instances.transformed_keypoints[0])
                ann = np.asarray(s.gt_instances.keypoints_state[0]) != \
                    NOT_ANNOTATED
                inside = ann & np.all((gt >= 0) & (gt < size), axis=-1)
                close = np.linalg.norm(xy[i] - gt, axis=-1) < 0.05 * size
                px = float(np.max(s.metainfo['input_scale'])) / size
                area = float(np.asarray(s.metainfo['area']).reshape(-1)[0])
                for name, j in subsets.items():
                    passed[name] += [int((keep[i, j] > 0).sum()), len(j)]
                    kept = (keep[i, j] > 0) & ann[j]
                    counts[name] += [kept.sum(),
                                     (kept & inside[j] & close[j]).sum(),
                                     (kept & ~inside[j]).sum(),
                                     (kept & inside[j] & ~close[j]).sum()]
                    sel = kept & inside[j]
                    var = (2 * sigmas[j][sel]) ** 2
                    for way, v in ways.items():
                        d = np.linalg.norm(v[i][j][sel] - gt[j][sel], axis=-1)
                        errors[name].setdefault(way, []).extend(d.tolist())
                        oks[name].setdefault(way, []).extend(np.exp(
                            -(d * px) ** 2 / (2 * area * var)).tolist())
    out = {}
    for name, (n, right, outside, wrong) in counts.items():
        n = max(int(n), 1)
        out[name] = dict(
            kept=int(counts[name][0]),
            # the filter's pass rate over every instance's labels of the
            # subset, annotated in its source or not
            passed_pct=round(100 * passed[name][0] / max(passed[name][1],
                                                         1), 1),
            right_pct=round(100 * right / n, 1),
            outside_crop_pct=round(100 * outside / n, 1),
            wrong_pct=round(100 * wrong / n, 1),
            error_px={way: _spread(e, oks[name][way])
                      for way, e in errors[name].items()})
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', help='the base network (FreeNet\'s '
                        'teacher: the naive merge); random weights without')
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--data', default='data/synanimal_union')
    parser.add_argument('--width', type=float, default=0.5)
    parser.add_argument('--batches', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--floor', type=float,
                        help='the masks\' confidence floor instead of the '
                        'recipe\'s (0.2)')
    parser.add_argument('--labeller', choices=sorted(LABELLERS),
                        default='train', help='the teacher heatmaps labels '
                        'come from, as pl_teacher (default: train, the '
                        'recipe\'s)')
    parser.add_argument('--part-groups', choices=('freenet', 'by_source'),
                        default='freenet', help='the quantile filter\'s '
                        'groups, as the recipe\'s part_groups')
    parser.add_argument('--seed', type=int, default=0,
                        help='the order and the random views')
    parser.add_argument('--out', help='JSON output (default: docs/benchmarks/'
                        'freenet_pseudo_labels.json)')
    args = parser.parse_args(argv)
    if not osp.isdir(osp.join(args.data, 'annotations')):
        parser.error(f'{args.data} has no annotations/: generate it with '
                     'tools/generate_synthetic_data.py --layout '
                     'keypoint_sets')
    init_default_scope('mmpose')
    set_random_seed(args.seed)
    model, loader = build(args.config, args.data, args.checkpoint,
                          args.width, args.batch_size, args.part_groups)
    if args.floor is not None:
        from animal_da.pseudo_labels import build_filter
        model.part_filter = build_filter(dict(
            type='GroupQuantileFilter', groups=model.groups,
            floor=args.floor))
    result = dict(bench='freenet_pseudo_labels', machine=machine(),
                  checkpoint=args.checkpoint, config=args.config,
                  data=args.data, width=args.width, seed=args.seed,
                  floor=args.floor, labeller=args.labeller,
                  part_groups=args.part_groups,
                  batches=args.batches,
                  batch_size=args.batch_size,
                  instances=min(args.batches * args.batch_size,
                                len(loader.dataset)),
                  keep_ratios=model.keep_ratios(),
                  subsets=measure(model, loader, args.batches,
                                  LABELLERS[args.labeller]))
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               'freenet_pseudo_labels.json')
    dump_json_atomic(result, out, indent=2)
    for name, r in result['subsets'].items():
        print(f"{name}: {r['passed_pct']} % of labels pass, "
              f"{r['kept']} kept where annotated, {r['right_pct']} % right, "
              f"{r['outside_crop_pct']} % outside the crop, "
              f"{r['wrong_pct']} % wrong; error (input px, median): " +
              ', '.join(f"{w} {e['median']}"
                        for w, e in r['error_px'].items()))
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
