#!/usr/bin/env bash
# The README's main command: DART semantic segmentation end to end on CPU.
#   1. set up the environment (tools/setup_env.sh; seconds when it is current);
#   2. generate the demo data in ADE20K's layout if absent (data/ade20k_demo, 200 + 50 images);
#   3. train configs/seg/upernet_dart_demo.py with tools/train.py (mmengine logs progress/ETA);
#   4. evaluate the checkpoint with mmseg's IoUMetric (tools/test.py) and print the mIoU;
#   5. draw the adaptive token partition over validation images (tools/visualize_tokens.py).
# Environment: DEMO_CONFIG (e.g. configs/seg/upernet_grid_demo.py for the fixed-grid baseline),
# DEMO_WORK_DIR, DEMO_ITERS (train for fewer/more iterations). The checkpoint is kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/demo_env.sh" configs/seg/upernet_dart_demo.py
DATA=data/ade20k_demo  # the demo configs' data_root
if [[ -n "${DEMO_ITERS:-}" ]]; then
    demo_schedule_options $(( (DEMO_ITERS + 9) / 10 ))  # warm-up: a tenth of the schedule
fi
demo_cfg_options
START=$(date +%s)

# idempotent: returns at once when the data of these arguments is already there
"$PY" tools/dataset_converters/generate_demo_data.py ade20k --out "$DATA"

"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "${CFG_OPTS[@]}"
CHECKPOINT="$(cat "$WORK_DIR/last_checkpoint")"
TRAINED=$(date +%s)

TEST_LOG="$WORK_DIR/test.log"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/test" 2>&1 | tee "$TEST_LOG"
MIOU="$(grep -o 'mIoU: [0-9.]*' "$TEST_LOG" | tail -1 | cut -d' ' -f2)"

PICTURES="$WORK_DIR/token_pictures"
"$PY" tools/visualize_tokens.py "$CONFIG" "$CHECKPOINT" \
    "$DATA"/images/validation/ADE_val_0000000{1,2,3,4}.jpg --out-dir "$PICTURES" --show-scores
END=$(date +%s)

cat <<EOF

[run_demo] config:      $CONFIG
[run_demo] mIoU:        ${MIOU:-?} % on $(ls "$DATA"/images/validation | wc -l) val images (IoUMetric; chance: 3-6 %)
[run_demo] checkpoint:  $CHECKPOINT
[run_demo] pictures:    $PICTURES/*_tokens.png (token regions | importance | prediction)
[run_demo] time:        $((END - START)) s after set-up (training $((TRAINED - START)) s)
EOF
