#!/usr/bin/env bash
# Distributed evaluation with torchrun: bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
# Without CUDA the processes use the gloo backend on the CPU.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 CONFIG CHECKPOINT NPROC [tools/test.py options]" >&2; exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
exec bash "$HERE/torchrun.sh" "$3" "$HERE/test.py" "$1" "$2" --launcher pytorch "${@:4}"
