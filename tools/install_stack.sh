#!/usr/bin/env bash
# Installs the pinned OpenMMLab stack into .venv (see DESIGN.md section 6 for why each step is as it is).
# Idempotent: when every pinned package already imports at the right version, only `pip install -e .` runs.
set -euo pipefail

VENV=${VENV:-.venv}
PY=${PYTHON:-python3.11}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '[install] %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
pip_() { "$VENV/bin/python" -m pip "$@"; }

# One import that checks every pin; its exit status decides whether the heavy steps are needed.
stack_ok() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as md, sys
pins = {'mmengine': '0.10.7', 'mmcv': '2.1.0', 'mmpose': '1.3.2', 'mmdet': '3.3.0'}
for name, want in pins.items():
    if md.version(name) != want:
        sys.exit(1)
import numpy, cv2, torch
assert int(numpy.__version__.split('.')[0]) < 2
import mmcv.ops  # noqa: F401  (fails when mmcv was built without its ops)
import xtcocotools, pycocotools, json_tricks, munkres, scipy, shapely, terminaltables  # noqa
import setuptools, pkg_resources  # noqa: F401  (mmengine resolves mmpose:: bases through it)
PY
}

if stack_ok; then
  say "pinned stack already present in $VENV"
else
  say "installing torch==$TORCH_VERSION (the CPU wheel on CPU machines; install a CUDA build first to keep it)"
  if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    pip_ install "torch==$TORCH_VERSION"
  fi
  say "installing build tools (setuptools<82 keeps pkg_resources, which mmcv's setup.py and mmengine need)"
  pip_ install "setuptools>=77,<82" wheel ninja "numpy<2"
  if ! "$VENV/bin/python" -c "import mmcv.ops, importlib.metadata as m; assert m.version('mmcv') == '2.1.0'" 2>/dev/null; then
    say "building mmcv 2.1.0 with its ops from source: this takes 13-25 minutes on 2 cores the first time"
    say "(pip caches the built wheel, so later installs take about a minute)"
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} pip_ install --no-build-isolation --no-deps mmcv==2.1.0
  fi
  say "installing mmengine and the runtime needs of mmpose/mmdet (they go in with --no-deps)"
  pip_ install mmengine==0.10.7 "opencv-python<4.11" "opencv-python-headless<4.11" "numpy<2" \
    "setuptools>=77,<82" addict pyyaml rich termcolor yapf matplotlib pillow scipy json_tricks munkres \
    xtcocotools pycocotools six tqdm shapely terminaltables packaging pytest
  say "installing mmpose 1.3.2 and mmdet 3.3.0 without their declared deps (chumpy and torchvision break here)"
  pip_ install --no-deps mmpose==1.3.2 mmdet==3.3.0
  stack_ok || { say "the stack still does not import; see the messages above"; exit 1; }
fi

say "installing animal_da in editable mode"
pip_ install --no-deps --no-build-isolation -q -e .
say "done: $("$VENV/bin/python" -c 'import animal_da; print("animal_da", animal_da.__version__)')"
