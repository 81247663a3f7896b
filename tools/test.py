"""Evaluate a checkpoint with mmengine's Runner (mmpose's tools/test.py
options).

Example:
    python tools/test.py CONFIG CHECKPOINT --out metrics.json --dump preds.pkl
"""
import sys
from typing import List, Optional

import animal_da  # noqa: F401  (stack checks, compat, registrations)
from animal_da.apis.launch import build_test_cfg, parse_test_args, test
from animal_da.engine.distributed import close_distributed
from animal_da.utils import dump_json_atomic


def main(argv: Optional[List[str]] = None) -> dict:
    """Parse arguments, evaluate, and write ``--out`` if given."""
    args = parse_test_args(argv)
    try:
        metrics = test(build_test_cfg(args))
    finally:
        close_distributed()
    if args.out:
        dump_json_atomic({k: float(v) for k, v in metrics.items()}, args.out,
                         indent=2)
    return metrics


if __name__ == '__main__':
    main(sys.argv[1:])
