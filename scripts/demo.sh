#!/usr/bin/env bash
# The main job on the bundled real sample, with the embedded store (a SQLite file in DATA_DIR).
# Usage: scripts/demo.sh [DATA_DIR]   (make demo DATA_DIR=...)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${1:-data}
BIN=${VENV:-.venv}/bin
mkdir -p "$DATA_DIR"

echo "== 1. stations and hourly observations of the bundled sample into the store ($DATA_DIR)"
"$BIN/ecocast" ingest stations samples/beijing/stations.csv --network air --data-dir "$DATA_DIR"
"$BIN/ecocast" ingest air samples/beijing/observations.csv.gz --data-dir "$DATA_DIR"

echo "== 2. quality-control report"
"$BIN/ecocast" qc report --data-dir "$DATA_DIR"

echo "== 3. daily AQI per station-day (HJ 633, the edition of each date)"
"$BIN/ecocast" aqi samples/beijing/observations.csv.gz --output "$DATA_DIR/daily_aqi.csv"
head -n 4 "$DATA_DIR/daily_aqi.csv"
