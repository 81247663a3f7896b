#!/usr/bin/env bash
# A workflow with torchrun: bash tools/dist_run_workflow.sh WORKFLOW NPROC [run_workflow.py args]
# Train and evaluate stages run on every process; export and pseudo labels on rank 0.
# Without CUDA the processes use the gloo backend on the CPU.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 WORKFLOW NPROC [tools/run_workflow.py options]" >&2; exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
exec bash "$HERE/torchrun.sh" "$2" "$HERE/run_workflow.py" "$1" --launcher pytorch "${@:3}"
