#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG NPROC [train.py args]
# Without CUDA the processes use the gloo backend on the CPU.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 CONFIG NPROC [tools/train.py options]" >&2; exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
exec bash "$HERE/torchrun.sh" "$2" "$HERE/train.py" "$1" --launcher pytorch "${@:3}"
