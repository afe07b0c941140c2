#!/usr/bin/env bash
# The README's test command: set up whatever is missing (tools/setup_env.sh; seconds when the
# environment is current), then run the test suite. Extra arguments go to pytest, e.g.
#   bash tools/run_tests.sh -k checkpoint -x
# The exit status is pytest's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
VENV="${DART_DENSE_VENV:-$ROOT/.venv}"
# pytest.ini turns the cache provider off: no .pytest_cache, no dependence on earlier runs.
exec "$VENV/bin/python" -m pytest tests -q "$@"
