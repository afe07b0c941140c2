#!/usr/bin/env bash
# The detection main job: a DART detector trained and evaluated end to end on CPU.
#   1. set up the environment (tools/setup_env.sh; seconds when it is current);
#   2. generate the detection demo data in COCO's layout if absent (data/coco_det_demo:
#      800 + 100 images, difficulty 'det');
#   3. train configs/det/fcos_dart-mini_fpn_demo.py with tools/train.py (FCOS from scratch);
#   4. evaluate the checkpoint with mmdet's CocoMetric (tools/test.py), print bbox AP50 / AP /
#      AP_small / AP_medium, and draw [token regions | importance | ground truth | prediction]
#      pictures of the validation images.
# docs/det.md has the measured figures and the DART vs grid / padding-aware vs plain study.
# Environment: DEMO_CONFIG (e.g. configs/det/fcos_deit-mini_fpn_demo.py for the fixed-grid twin),
# DEMO_WORK_DIR, DEMO_ITERS (train for fewer/more iterations), DEMO_SEED (training seed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/demo_env.sh" configs/det/fcos_dart-mini_fpn_demo.py
DATA=data/coco_det_demo  # the demo configs' data_root
if [[ -n "${DEMO_ITERS:-}" ]]; then
    WARMUP=$(( (DEMO_ITERS + 7) / 8 ))  # the demo's warm-up is an eighth of the schedule
    demo_schedule_options "$WARMUP" "$(( DEMO_ITERS - WARMUP ))"
fi
if [[ -n "${DEMO_SEED:-}" ]]; then
    OPTS+=(randomness.seed="$DEMO_SEED")
fi
demo_cfg_options
START=$(date +%s)

# idempotent: returns at once when the data of these arguments is already there
"$PY" tools/dataset_converters/generate_demo_data.py coco --out "$DATA" --difficulty det \
    --num-train 800 --num-val 100 --sizes 192x256 256x192 224x224 --num-empty-train 1

"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "${CFG_OPTS[@]}"
CHECKPOINT="$(cat "$WORK_DIR/last_checkpoint")"
TRAINED=$(date +%s)

TEST_LOG="$WORK_DIR/test.log"
"$PY" tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/test" \
    --show-dir "$(realpath -m "$WORK_DIR")/pictures" 2>&1 | tee "$TEST_LOG"
metric() { grep -o "coco/$1: [0-9.-]*" "$TEST_LOG" | tail -1 | cut -d' ' -f2; }
END=$(date +%s)

cat <<EOF

[run_det_demo] config:      $CONFIG
[run_det_demo] bbox AP50:   $(metric bbox_mAP_50) on $(ls "$DATA"/val2017 | wc -l) val images (CocoMetric)
[run_det_demo] bbox AP:     $(metric bbox_mAP)   AP_small: $(metric bbox_mAP_s)   AP_medium: $(metric bbox_mAP_m)   (the data has no COCO-large objects)
[run_det_demo] checkpoint:  $CHECKPOINT
[run_det_demo] pictures:    $WORK_DIR/pictures/ (token regions | importance | ground truth | prediction)
[run_det_demo] time:        $((END - START)) s after set-up (training $((TRAINED - START)) s)
EOF
