#!/usr/bin/env bash
# Run the test suite on both cores. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
exec "$BIN/pytest" -n "${PYTEST_WORKERS:-2}" "$@"
