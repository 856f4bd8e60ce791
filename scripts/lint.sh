#!/usr/bin/env bash
# Lint and type-check: ruff (lint + format check) and mypy (strict on the library).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/mypy" forecasting features models serve
