#!/usr/bin/env bash
# Training on a SLURM cluster: one task per GPU, ranks from SLURM's environment.
#
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py arguments...]
#
# Environment: GPUS (tasks, default 4), GPUS_PER_NODE (default 4), CPUS_PER_TASK (default 5),
# GRES (default gpu:$GPUS_PER_NODE; set GRES= for CPU-only partitions, which then use gloo),
# SRUN_ARGS (extra srun options), PYTHON (default python).
set -euo pipefail

if [[ $# -lt 4 ]]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py arguments...]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:$GPUS_PER_NODE}
PYTHON=${PYTHON:-python}
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# SRUN_ARGS is a string of options: split it on whitespace on purpose.
read -r -a SRUN_EXTRA <<< "${SRUN_ARGS:-}"

GRES_ARGS=()
[[ -n "$GRES" ]] && GRES_ARGS=(--gres="$GRES")

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${GRES_ARGS[@]}" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    "${SRUN_EXTRA[@]}" \
    "$PYTHON" -u "$TOOLS/train.py" "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
