# Sourced by the main-job scripts (run_demo.sh, run_det_demo.sh): the shared prologue.
#   - one intra-op thread unless OMP_NUM_THREADS says otherwise: on a 2-core machine that runs
#     anything else, two OpenMP threads wait on each other and training was measured 15x slower
#     (8 s instead of 0.57 s per iteration, at a load of 3-4); OMP_NUM_THREADS=2 may pay off on
#     an idle machine;
#   - the environment is set up (tools/setup_env.sh; seconds when it is current);
#   - ROOT (the checkout, also the working directory), PY (the venv's python), and CONFIG,
#     NAME, WORK_DIR from DEMO_CONFIG / DEMO_WORK_DIR, defaulting to the first argument.
# demo_schedule_options WARMUP [T_MAX] appends to OPTS the --cfg-options entries that train for
# DEMO_ITERS iterations (warm-up WARMUP iterations, then the main scheduler to the end);
# demo_cfg_options then sets CFG_OPTS to `--cfg-options OPTS...` (empty without OPTS).
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
PY="${DART_DENSE_VENV:-$ROOT/.venv}/bin/python"
CONFIG="${DEMO_CONFIG:-$1}"
NAME="$(basename "$CONFIG" .py)"
WORK_DIR="${DEMO_WORK_DIR:-work_dirs/$NAME}"
OPTS=()

demo_schedule_options() {
    local warmup="$1"
    OPTS+=(train_cfg.max_iters="$DEMO_ITERS" train_cfg.val_interval="$DEMO_ITERS"
           default_hooks.checkpoint.interval="$DEMO_ITERS" param_scheduler.0.end="$warmup"
           param_scheduler.1.begin="$warmup" param_scheduler.1.end="$DEMO_ITERS")
    if (( $# > 1 )); then
        OPTS+=(param_scheduler.1.T_max="$2")
    fi
}

demo_cfg_options() {
    CFG_OPTS=()
    if (( ${#OPTS[@]} )); then
        CFG_OPTS=(--cfg-options "${OPTS[@]}")
    fi
}
