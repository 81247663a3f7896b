#!/usr/bin/env bash
# One lease of a GPU machine, as one prepared command: install the carried
# wheels (tools/bench/gpu_lease_wheels.sh, folder .whl), check the stack,
# time every recipe's step on the GPU (step_cost.py), then run the
# gpu-small presets of the domain-shift benchmark (two seeds in parallel)
# and of the scarce-labels benchmark (its own source-only start model, so
# that it needs no lock on the domain-shift work folder), each under a
# deadline, and pack what finished (seed records, workflow states, logs) into
# OUT. The seed records (docs/benchmarks/runs/*_gpu-small_seed*.json) then
# give the tables on any machine: `domain_shift.py --preset gpu-small` and
# `scarce_labels.py --preset gpu-small` reuse them without training.
#
# Usage: bash tools/bench/gpu_lease.sh [SECONDS] [DS_PRESET] [SL_PRESET]
#   SECONDS: the whole script's budget (default 540); it ends before then
#   presets: default gpu-small (smoke: a minutes-long check of the script)
# Environment: OUT (default work_dirs/gpu_lease), PYTHON (default python3),
#   WHEELS (default .whl), SITE (where they go, default /tmp/site;
#   INSTALL=0 skips the install), STEP_COST=0 skips the step cost (BATCHES,
#   BATCH_SIZE: its timed batches, default 8 of 32; STEP_COST_ROWS: its
#   --rows; STEP_DEVICE: its --device, default cuda), BENCH=0 skips the
#   benchmarks,
#   DATA (default data/synanimal), NPROC (data generation processes).
set -uo pipefail
BUDGET=${1:-540}
DS_PRESET=${2:-gpu-small}
SL_PRESET=${3:-$DS_PRESET}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-work_dirs/gpu_lease}
LOGS=${LOGS:-work_dirs/gpu_lease_logs}  # packed into OUT/results.tgz
SITE=${SITE:-/tmp/site}
WHEELS=${WHEELS:-.whl}
DATA=${DATA:-data/synanimal}
NPROC=${NPROC:-$(nproc)}
WORK=${WORK:-work_dirs/bench}
START=$(date +%s)
mkdir -p "$OUT" "$LOGS"
left() { echo $((BUDGET - ($(date +%s) - START))); }
say() { printf '[lease %4ds] %s\n' "$(($(date +%s) - START))" "$*"; }

pack() {
  say "packing results into $OUT"
  local files=("$LOGS")
  for f in docs/benchmarks/runs/*"$DS_PRESET"* docs/benchmarks/runs/*"$SL_PRESET"* \
      "$WORK"/*/seed*/workflow_state.json "$WORK"/*/seed*/summary.json \
      "$WORK"/*/*/seed*/workflow_state.json; do
    [ -f "$f" ] && files+=("$f")
  done
  tar czf "$OUT/results.tgz" $(printf '%s\n' "${files[@]}" | sort -u) \
    || say "packing failed"
  ls -la "$OUT"
}
trap pack EXIT

if [ "${INSTALL:-1}" = 1 ]; then
  say "installing $(ls "$WHEELS"/*.whl | wc -l) carried wheels into $SITE"
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile \
    --no-cache-dir --upgrade --target "$SITE" "$WHEELS"/*.whl || {
    say "pip failed: unpacking the wheels instead (they are zip files)"
    for w in "$WHEELS"/*.whl; do
      "$PYTHON" -m zipfile -e "$w" "$SITE" || exit 1
    done; }
fi
export PYTHONPATH=$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore::UserWarning
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
# Python 3.12 has no distutils (mmengine's environment report imports it);
# where no setuptools hook provides it, the carried setuptools' copy does
"$PYTHON" -c 'import distutils' 2>/dev/null || {
  [ -d "$SITE/setuptools/_distutils" ] && \
    ln -sfn setuptools/_distutils "$SITE/distutils"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
  2>/dev/null || say "no nvidia-smi"
"$PYTHON" - <<'PY' || exit 1
import numpy, torch, cv2, mmcv, mmengine, mmpose, mmdet
import animal_da  # first: its compat stand-ins (README "GPU machines")
import mmcv.ops, mmpose.models, mmpose.apis, mmdet.models  # noqa: F401
from mmengine.utils.dl_utils import collect_env
collect_env()  # what every Runner logs first (distutils on Python 3.12)
print('stack ok: python', __import__('sys').version.split()[0], 'torch',
      torch.__version__, 'cuda', torch.cuda.is_available(), 'numpy',
      numpy.__version__, 'cv2', cv2.__version__, 'mmcv', mmcv.__version__,
      'mmpose', mmpose.__version__, 'animal_da', animal_da.__version__)
PY

NUM=$("$PYTHON" - "$DS_PRESET" <<'PY'
import sys
sys.path.insert(0, 'tools/bench')
from domain_shift import PRESETS
print(PRESETS[sys.argv[1]]['num_images'])
PY
)
say "data: $NUM images a train split in $DATA ($NPROC processes)"
"$PYTHON" - "$DATA" "$NUM" "$NPROC" > "$LOGS/data.log" 2>&1 <<'PY' || {
import sys
from animal_da.datasets.synthetic import ensure_dataset
print(ensure_dataset(sys.argv[1], int(sys.argv[2]), seed=0,
                     nproc=int(sys.argv[3]), show_progress=False))
PY
  tail -20 "$LOGS/data.log"; exit 1; }

if [ "${STEP_COST:-1}" = 1 ]; then
  say "step cost on the GPU (every recipe, interleaved; budget 150 s)"
  timeout 150 "$PYTHON" tools/bench/step_cost.py --keep-going \
    --device "${STEP_DEVICE:-cuda}" \
    --data "$DATA" --batches "${BATCHES:-8}" \
    --batch-size "${BATCH_SIZE:-32}" --out "$OUT/step_cost_gpu.json" \
    ${STEP_COST_ROWS:+--rows $STEP_COST_ROWS} \
    > "$LOGS/step_cost.log" 2>&1
  say "step cost exit $?"; grep '^|' "$LOGS/step_cost.log" | head -20
fi

[ "${BENCH:-1}" = 1 ] || exit 0
T=$(($(left) - 25))
[ "$T" -ge 60 ] || { say "$T s left: too little for the benchmarks"; exit 0; }
say "benchmarks in parallel, $T s left for them"
for s in 0 1; do
  timeout "$T" "$PYTHON" tools/bench/domain_shift.py --preset "$DS_PRESET" \
    --seeds $s --data "$DATA" --work-dir "$WORK" \
    --out "$LOGS/domain_shift_seed$s.json" > "$LOGS/domain_shift_seed$s.log" 2>&1 &
done
timeout "$T" "$PYTHON" tools/bench/scarce_labels.py --preset "$SL_PRESET" \
  --data "$DATA" --work-dir "$WORK/sl" --out "$LOGS/scarce_labels.json" \
  > "$LOGS/scarce_labels.log" 2>&1 &
while [ -n "$(jobs -r)" ]; do
  sleep 15
  say "running: $(jobs -r | wc -l); $(ls docs/benchmarks/runs/ | grep -c -- "$DS_PRESET\|$SL_PRESET") seed records; $(grep -h ') : finished in\|): finished in' "$LOGS"/*.log 2>/dev/null | wc -l) stages done"
done
wait
for f in "$LOGS"/*.log; do say "$f:"; grep -E 'written to|Error|error|\| ' "$f" | tail -12; done
