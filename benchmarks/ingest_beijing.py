"""Ingest the whole shared Beijing file into SQLite, then read back one year.

The file has 315,648 rows x 12 variables (3.73 million values after missing
ones). The script, in one process and one run:

1. times a plain ``pandas.read_csv`` of the same file (the baseline);
2. registers the 12 stations and times ``ingest_files`` (parse, unit
   conversion, QC, one-transaction write) into a fresh SQLite store;
3. times the read-back of one year (2015) of every variable for all 12
   stations (``Store.read_observations``).

Targets (issue 3): ingest <= 60 s, read-back <= 2 s. Run:
``.venv/bin/python benchmarks/ingest_beijing.py``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
from _measure import BEIJING, SHARED_DATA

from forecasting.ingest import ingest_files, ingest_station_files
from forecasting.ingest.air import AIR_VARIABLES
from forecasting.storage import Store

STATIONS = SHARED_DATA / "air" / "beijing" / "stations.csv"
INGEST_TARGET_S = 60.0
READ_TARGET_S = 2.0
YEAR = ("2015-01-01T00:00:00+08:00", "2016-01-01T00:00:00+08:00")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ecocast-ingest-bench-"))
    try:
        start = time.perf_counter()
        baseline = pd.read_csv(BEIJING)
        pandas_s = time.perf_counter() - start
        rows = len(baseline)
        del baseline

        with Store.open(f"sqlite:///{work / 'ecocast.sqlite'}") as store:
            ingest_station_files(store, [STATIONS])
            start = time.perf_counter()
            (result,) = ingest_files(store, [BEIJING], "air", data_dir=work)
            ingest_s = time.perf_counter() - start

            start = time.perf_counter()
            codes = list(pd.read_csv(STATIONS)["station"])
            back = store.read_observations(list(AIR_VARIABLES), codes, *YEAR)
            read_s = time.perf_counter() - start

        print(f"input: {BEIJING} ({rows:,} rows x {len(AIR_VARIABLES)} variables)")
        print(f"{'step':<44} {'seconds':>8} {'rows/s':>12}")
        print(f"{'pandas.read_csv (baseline)':<44} {pandas_s:8.2f} {rows / pandas_s:12,.0f}")
        label = "ecocast ingest (parse+QC+SQLite write)"
        print(f"{label:<44} {ingest_s:8.2f} {rows / ingest_s:12,.0f}")
        print(
            f"{'read back 2015, 12 variables, 12 stations':<44} {read_s:8.2f} "
            f"{len(back) / read_s:12,.0f}"
        )
        print(
            f"stored {result.inserted:,} values ({result.observations / ingest_s:,.0f} values/s); "
            f"read back {len(back):,}; QC flags: {dict(result.flags)}"
        )
        print(f"ingest/read_csv time ratio: {ingest_s / pandas_s:.1f}")
        for name, took, target in (
            ("ingest", ingest_s, INGEST_TARGET_S),
            ("read-back", read_s, READ_TARGET_S),
        ):
            verdict = "meets" if took <= target else "MISSES"
            print(f"{name} {took:.1f} s: {verdict} the {target:.0f} s target")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
