#!/usr/bin/env bash
# The torchrun launch shared by dist_train.sh, dist_test.sh and dist_run_workflow.sh:
#   bash tools/torchrun.sh NPROC SCRIPT [script args]
# NNODES, NODE_RANK, PORT, MASTER_ADDR and PYTHON come from the environment.
# Without CUDA the processes use the gloo backend on the CPU.
set -euo pipefail
NPROC=$1
SCRIPT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python}
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PY" -m torch.distributed.run \
  --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
  --nproc_per_node="$NPROC" "$SCRIPT" "${@:3}"
