#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh: runs SCRIPT on NPROC local processes with torchrun
# (`python -m torch.distributed.run`, bound to the chosen interpreter) and --launcher pytorch.
#
#   bash tools/dist_launch.sh SCRIPT NPROC [script arguments...]
#
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT as in mmseg. PYTHON picks the interpreter
# (default: python on PATH, e.g. the activated .venv). On CPU-only machines the ranks use gloo.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 SCRIPT NPROC [script arguments...]" >&2
    exit 2
fi
SCRIPT=$1
NPROC=$2
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$SCRIPT" "${@:3}" --launcher pytorch
