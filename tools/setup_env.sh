#!/usr/bin/env bash
# Set up (or verify) the project's virtualenv: the one set-up path used by the README's commands
# and by CI. Idempotent: on a machine that is already set up it returns in seconds.
#
#   bash tools/setup_env.sh            # create/refresh .venv
#
# What it does, once:
#   1. creates a git-ignored virtualenv in the repo (.venv, override with DART_DENSE_VENV);
#   2. installs the pinned build tools and torch 2.13.0+cpu (requirements/build.txt);
#   3. builds mmcv 2.1.0 WITH compiled ops into a wheel cache outside the git tree
#      (~/.cache/dart_dense/wheels, override with DART_DENSE_CACHE) — about 10-12 minutes on
#      2 cores the first time, reused afterwards;
#   4. installs the OpenMMLab stack, timm, decord and the test tools from the requirements files
#      (runtime, seg, det, video, tests: loose ranges, as setup.py declares them), with the
#      tested versions of requirements/constraints.txt applied to every pip call;
#   5. installs this package in editable mode and checks `import mmcv.ops` and the stack.
#
# This is the CPU set-up of this project's machines and CI. On a GPU machine install your CUDA
# torch, OpenMMLab's mmcv wheel and `pip install -e .[all]` instead (README, "Installation").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DART_DENSE_VENV:-$ROOT/.venv}"
CACHE="${DART_DENSE_CACHE:-$HOME/.cache/dart_dense}"
WHEELS="$CACHE/wheels"
REQ="$ROOT/requirements"
STAMP="$VENV/.dart_dense_setup"
PY_BIN="${PYTHON:-python3.11}"
command -v "$PY_BIN" >/dev/null 2>&1 || PY_BIN=python3

log() { printf '[setup_env] %s\n' "$*" >&2; }

# Everything that decides the environment's content: if none of it changed since the last
# successful set-up and the stack still imports, there is nothing to do.
fingerprint() {
    cat "$REQ"/*.txt "$ROOT/setup.py" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1
}

verify() {
    "$VENV/bin/python" - <<'EOF'
import mmcv.ops  # noqa: F401  (fails when mmcv was built without compiled ops)
from mmcv.ops import roi_align  # noqa: F401
import dart_dense  # noqa: F401  (installs the torchvision / mmaction2 compatibility shims)
import timm, torchvision, mmseg, mmdet, mmaction, decord  # noqa: F401,E401
EOF
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(fingerprint)" ]] && verify 2>/dev/null; then
    log "environment at $VENV is up to date"
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtualenv $VENV ($("$PY_BIN" --version))"
    "$PY_BIN" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$REQ/constraints.txt")

log "installing build tools and torch (CPU wheel)"
"${PIP[@]}" -r "$REQ/build.txt"

mkdir -p "$WHEELS"
MMCV_WHEEL="$(ls "$WHEELS"/mmcv-2.1.0-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$MMCV_WHEEL" ]]; then
    log "building mmcv 2.1.0 with compiled ops into $WHEELS (first time only, ~10-12 min on 2 cores)"
    # No build isolation: setup.py must see torch, or it silently builds without mmcv._ext.
    # FORCE_CUDA stays unset: CI machines have nvcc but no GPU.
    env -u FORCE_CUDA MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" \
        "$VENV/bin/python" -m pip wheel --disable-pip-version-check -q --no-build-isolation \
        --no-deps -c "$REQ/constraints.txt" mmcv==2.1.0 -w "$WHEELS"
    MMCV_WHEEL="$(ls "$WHEELS"/mmcv-2.1.0-*.whl | head -n1)"
else
    log "reusing cached mmcv wheel $MMCV_WHEEL"
fi

log "installing the OpenMMLab stack, timm, decord and test tools"
"${PIP[@]}" "$MMCV_WHEEL"
# mmaction2 asks for opencv-contrib-python (a second cv2 next to mmcv's opencv-python): the rest
# of video.txt (its real dependencies) is installed normally, mmaction2 itself afterwards without
# dependencies (named in a resolver run, its declared dependencies would be installed too).
"${PIP[@]}" -r "$REQ/runtime.txt" -r "$REQ/seg.txt" -r "$REQ/det.txt" -r "$REQ/tests.txt" \
    -r <(grep -v '^mmaction2' "$REQ/video.txt")
"${PIP[@]}" --no-deps mmaction2
"${PIP[@]}" --no-deps -e "$ROOT"

log "verifying the stack (mmcv.ops, timm, torchvision, mmseg, mmdet, mmaction, decord)"
verify
fingerprint > "$STAMP"
log "done: $VENV"
