#!/usr/bin/env bash
# Distributed training with torchrun: one process per GPU or, on a CPU-only machine, per CPU
# worker (gloo; see dart_dense/utils/dist.py).
#
#   bash tools/dist_train.sh CONFIG GPUS [train.py arguments...]
#
# Environment: NNODES, NODE_RANK, MASTER_ADDR, PORT (multi-node), PYTHON (see dist_launch.sh).
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: $0 CONFIG GPUS [train.py arguments...]" >&2
    exit 2
fi
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$TOOLS/train.py" "$2" "$1" "${@:3}"
