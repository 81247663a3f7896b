"""Run a method's stages (train, export, pseudo-label, evaluate) as one
resumable command.

Re-running the same command after an interruption skips finished stages
(``WORK_DIR/workflow_state.json``) and resumes an interrupted train stage
from its last checkpoint. At the end a table of every evaluated stage is
printed and written to ``WORK_DIR/summary.json``.

Examples:
    python tools/run_workflow.py \\
        configs/scarcenet/scarcenet-short_res18_synanimal-real-\
5shot_96x96_demo_workflow.py
    python tools/run_workflow.py WORKFLOW --work-dir work_dirs/wf \\
        --cfg-options data_root=data/my_animals/ seed=1 stages.scarcenet.epochs=3
    bash tools/dist_run_workflow.sh WORKFLOW 2
"""
import argparse
import os
import sys
from typing import List, Optional

from mmengine.config import DictAction

import animal_da  # noqa: F401  (stack checks, compat, registrations)
from animal_da.apis.workflow import run_workflow
from animal_da.engine.distributed import close_distributed


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('workflow', help='workflow config (*_workflow.py)')
    parser.add_argument('--work-dir', help='folder of the stages (default: '
                        'work_dirs/<workflow name>)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override workflow settings: workflow-level keys (data_root, '
        'seed, labelled, metainfo, num_keypoints, batch_size) or a stage\'s, '
        'e.g. stages.scarcenet.epochs=3')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none',
                        help='job launcher (dist_run_workflow.sh: pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    try:
        return run_workflow(args.workflow, args.work_dir, args.cfg_options,
                            args.launcher)
    finally:
        close_distributed()


if __name__ == '__main__':
    main(sys.argv[1:])
