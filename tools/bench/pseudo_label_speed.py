"""Pseudo-labelling speed against plain inference, measured in one run.

Times, on the same model (random weights: the cost does not depend on
them), plain inference as ``tools/test.py`` runs it (the config's test
loader, flip test, metrics) in images/s, then ``tools/pseudo_label.py``'s
TTA labelling (``generate_pseudo_labels``) of the config's unlabelled pool
in instances/s, and reports their ratio against the ideal ``1 / T`` (T TTA
views, each with its flip, as the test's flip test). Writes
``docs/benchmarks/pseudo_label_speed.json``.

Example:
    python tools/bench/pseudo_label_speed.py --data data/synanimal
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import time
from typing import List, Optional

from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import REPO, machine  # noqa: E402
import torch  # noqa: E402  (after animal_da: thread settings)

from animal_da.utils import dump_json_atomic  # noqa: E402

CONFIG = 'configs/scarcenet/td-hm_res18_synanimal-real-5shot_96x96_demo.py'


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--num-transforms', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=16,
                        help='pseudo-labelling instances per forward')
    parser.add_argument('--limit', type=int, default=600,
                        help='instances of the unlabelled pool to label')
    parser.add_argument('--per-category', type=int,
                        help='labelled instances per species (default: the '
                        "config's; what is left is labelled by TTA)")
    parser.add_argument('--out', default=osp.join(
        REPO, 'docs', 'benchmarks', 'pseudo_label_speed.json'))
    args = parser.parse_args(argv)
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmpose.registry import MODELS

    import animal_da  # noqa: F401
    from animal_da.pseudo_labels import generate_pseudo_labels
    init_default_scope('mmpose')
    root = args.data.rstrip('/') + '/'
    cfg = Config.fromfile(osp.join(REPO, args.config))
    cfg.test_dataloader.dataset.data_root = root
    cfg.pseudo_label_dataset.data_root = root
    if args.limit:
        cfg.pseudo_label_dataset.indices = args.limit
    if args.per_category is not None:
        cfg.pseudo_label_dataset.labelled.per_category = args.per_category
    with tempfile.TemporaryDirectory() as tmp:
        model = MODELS.build(cfg.model)
        model.init_weights()
        ckpt = osp.join(tmp, 'model.pth')
        torch.save(dict(state_dict=model.state_dict()), ckpt)
        cfg.work_dir = osp.join(tmp, 'test')
        cfg.load_from = ckpt
        runner = Runner.from_cfg(cfg)
        n_test = len(runner.test_dataloader.dataset)
        start = time.perf_counter()
        runner.test()
        test_s = time.perf_counter() - start
        start = time.perf_counter()
        out = generate_pseudo_labels(
            cfg, ckpt, osp.join(tmp, 'pl.json'),
            num_transforms=args.num_transforms, batch_size=args.batch_size,
            show_progress=False)
        pl_s = time.perf_counter() - start
        with open(out) as f:
            n_pl = len(json.load(f)['annotations'])
    test_rate, pl_rate = n_test / test_s, n_pl / pl_s
    ideal = test_rate / args.num_transforms
    result = dict(
        bench='pseudo_label_speed', machine=machine(), config=args.config,
        num_transforms=args.num_transforms, flip=True,
        test_images=n_test, test_images_per_s=round(test_rate, 1),
        pseudo_label_instances=n_pl,
        pseudo_label_instances_per_s=round(pl_rate, 1),
        ideal_instances_per_s=round(ideal, 1),
        ratio_to_ideal=round(pl_rate / ideal, 3),
        note='ideal = test images/s / T (each TTA view costs one flip-test '
        'inference); the test time includes its loader and metrics, as '
        'tools/test.py')
    dump_json_atomic(result, args.out, indent=2)
    print(f'test {test_rate:.1f} images/s; pseudo labels {pl_rate:.1f} '
          f'instances/s with T={args.num_transforms} (ideal '
          f'{ideal:.1f}): {pl_rate / ideal:.2f} of the ideal')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
