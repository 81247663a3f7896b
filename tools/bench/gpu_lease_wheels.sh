#!/usr/bin/env bash
# Prepares, on this machine, the Python wheels that tools/bench/gpu_lease.sh
# installs on a lent GPU machine. That machine reaches no package registry;
# it has its own Python (3.12), PyTorch with CUDA, NumPy 2, OpenCV, SciPy and
# Matplotlib, and lacks the OpenMMLab stack. So we carry:
#   - mmengine, mmpose, mmdet (pure Python) and the small runtime needs that
#     machine lacks (json_tricks, munkres, pycocotools, shapely, ...);
#   - setuptools < 82 (mmengine finds `mmpose::` configs through
#     pkg_resources);
#   - xtcocotools built here against NumPy 2 (PyPI has no wheel for 3.12);
#   - mmcv 2.1.0's Python code without its compiled ops, repacked under the
#     name mmcv with a stand-in `mmcv._ext` whose functions raise when
#     called: compiling the ops takes longer than a lease (13-25 minutes on 2
#     cores here), mmpose imports `mmcv.ops` at import time, and no model of
#     the benchmarks calls an op (a call would raise, not pass silently).
# Usage: bash tools/bench/gpu_lease_wheels.sh [OUT_DIR] [PYTHON]
#   OUT_DIR: default .whl (git ignores it; the device tool carries it when
#            named in `carry`)
#   PYTHON:  a Python of the target machine's version, for the builds
#            (default: pyenv's 3.12, else python3.12)
set -euo pipefail
OUT=${1:-.whl}
PY=${2:-}
[ -n "$PY" ] || PY=$(ls /root/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null \
  | head -1 || true)
PY=${PY:-python3.12}
PYVER=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
TAG=cp${PYVER/./}
say() { printf '[wheels] %s\n' "$*"; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

say "build environment for Python $PYVER in $BUILD/venv"
"$PY" -m venv "$BUILD/venv"
BPIP="$BUILD/venv/bin/python -m pip"
$BPIP install -q "setuptools>=77,<82" wheel cython "numpy>=2"

say "downloading pure and $TAG wheels"
python3 -m pip download -q --no-deps --only-binary=:all: \
  --python-version "$PYVER" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d "$OUT" \
  mmengine==0.10.7 mmpose==1.3.2 mmdet==3.3.0 pycocotools shapely munkres \
  json_tricks terminaltables addict yapf platformdirs termcolor \
  "setuptools>=77,<82"

say "building xtcocotools against NumPy 2"
$BPIP wheel -q --no-deps --no-build-isolation --no-binary=xtcocotools \
  -w "$OUT" xtcocotools==1.14.3

say "building mmcv 2.1.0 without its compiled ops"
MMCV_WITH_OPS=0 $BPIP download -q --no-deps --no-binary=:all: \
  --no-build-isolation mmcv-lite==2.1.0 -d "$BUILD/src"
SDIST=$(ls "$BUILD"/src/mmcv-lite-2.1.0.tar.gz)
MMCV_WITH_OPS=0 $BPIP wheel -q --no-deps --no-build-isolation \
  -w "$BUILD/lite" "$SDIST"
# repack as the distribution `mmcv` (what mmpose, mmdet and animal_da check)
# with the stand-in extension
(cd "$BUILD" && "$BUILD/venv/bin/python" -m wheel unpack -d un lite/*.whl)
UN=$(ls -d "$BUILD"/un/*)
mv "$UN"/mmcv_lite-2.1.0.dist-info "$UN"/mmcv-2.1.0.dist-info
sed -i 's/^Name: mmcv-lite$/Name: mmcv/' "$UN"/mmcv-2.1.0.dist-info/METADATA
sed -i '/^mmcv_lite-2.1.0.dist-info/d' "$UN"/mmcv-2.1.0.dist-info/RECORD
cat > "$UN"/mmcv/_ext.py <<'PY'
"""Stand-in for mmcv's compiled ops (``mmcv._ext``), carried to a GPU machine
by tools/bench/gpu_lease_wheels.sh, where building them would take longer
than the lease. ``import mmcv.ops`` works; calling any op raises."""


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)

    def missing(*args, **kwargs):
        raise RuntimeError(
            f'mmcv op {name!r} is not built on this machine (mmcv without '
            'its compiled ops, see tools/bench/gpu_lease_wheels.sh)')

    missing.__name__ = name
    return missing
PY
mv "$UN" "$BUILD"/un/mmcv-2.1.0
"$BUILD/venv/bin/python" -m wheel pack -d "$OUT" "$BUILD"/un/mmcv-2.1.0
rm -f "$OUT"/mmcv_lite-*.whl
say "done: $(ls "$OUT" | wc -l) wheels, $(du -sh "$OUT" | cut -f1) in $OUT"
