"""Train a pose model with mmengine's Runner (mmpose's tools/train.py options).

Examples:
    python tools/train.py configs/baselines/td-hm_res18_ap10k-tiny_demo.py
    python tools/train.py CONFIG --resume            # latest in the work_dir
    bash tools/dist_train.sh CONFIG 2                # 2 processes (gloo on CPU)
"""
import sys
from typing import List, Optional

import animal_da  # noqa: F401  (stack checks, compat, registrations)
from animal_da.apis.launch import build_train_cfg, parse_train_args, train
from animal_da.engine.distributed import close_distributed


def main(argv: Optional[List[str]] = None) -> None:
    """Parse arguments, build the config and train."""
    try:
        train(build_train_cfg(parse_train_args(argv)))
    finally:
        close_distributed()


if __name__ == '__main__':
    main(sys.argv[1:])
