#!/usr/bin/env bash
# The README's main command. For now it runs the smallest end-to-end job that exists: set up
# the environment, generate a tiny dataset in the ADE20K layout, train the tiny segmentation
# config for a few iterations and evaluate the checkpoint (mIoU).
# A later issue replaces CONFIG/DATA/the data step with the DART segmentation demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
PY="${DART_DENSE_VENV:-$ROOT/.venv}/bin/python"

CONFIG=tests/data/tiny_seg_config.py
DATA=data/tiny_ade20k
WORK_DIR=work_dirs/demo_tiny_seg
ITERS=${DEMO_ITERS:-20}

"$PY" tests/data/tiny_ade20k.py "$DATA"
DATA_OPTS=(train_dataloader.dataset.data_root="$DATA" val_dataloader.dataset.data_root="$DATA"
           test_dataloader.dataset.data_root="$DATA")
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options "${DATA_OPTS[@]}" train_cfg.max_iters="$ITERS" train_cfg.val_interval="$ITERS" \
    default_hooks.checkpoint.interval="$ITERS"
"$PY" tools/test.py "$CONFIG" "$WORK_DIR/iter_$ITERS.pth" --work-dir "$WORK_DIR" \
    --cfg-options "${DATA_OPTS[@]}"
echo "[run_demo] done: checkpoint and logs in $WORK_DIR"
