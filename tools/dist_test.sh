#!/usr/bin/env bash
# Distributed evaluation with torchrun; gloo on CPU-only machines.
#
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py arguments...]
#
# Environment: NNODES, NODE_RANK, MASTER_ADDR, PORT (multi-node), PYTHON (see dist_launch.sh).
set -euo pipefail
if [[ $# -lt 3 ]]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py arguments...]" >&2
    exit 2
fi
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$TOOLS/dist_launch.sh" "$TOOLS/test.py" "$3" "$1" "$2" "${@:4}"
