#!/usr/bin/env bash
# A workflow with torchrun: bash tools/dist_run_workflow.sh WORKFLOW NPROC [run_workflow.py args]
# Train and evaluate stages run on every process; export and pseudo labels on rank 0.
# Without CUDA the processes use the gloo backend on the CPU.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 WORKFLOW NPROC [tools/run_workflow.py options]" >&2; exit 2
fi
WORKFLOW=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python}
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PY" -m torch.distributed.run \
  --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --master_port="$PORT" --nproc_per_node="$NPROC" \
  "$HERE/run_workflow.py" "$WORKFLOW" --launcher pytorch "${@:3}"
