"""Build the full training matrix for the shared Beijing data, with the air models' design.

Setup (not timed): a fresh SQLite store with the 12 stations and the whole shared file
ingested, and the published emission figures. Timed, in a child process so its peak
memory is its own: ``features.build.build_feature_matrix`` for 1,096 daily issue times
at 00:00 local (2013-03-01 … 2016-02-29) × 12 stations × 72 leads ≈ 0.95 M rows, with
history, neighbours, calendar, emissions and perfect-prognosis station weather (the
larger of the two reference designs). The baseline is a plain ``pandas.read_csv`` of
the shared file in its own child process.

Targets (issue 4): ≤ 3 minutes and ≤ 6 GB.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from _measure import BEIJING, SHARED_DATA, measure, python_snippet, report

from forecasting.ingest import ingest_files, ingest_station_files
from forecasting.storage import Store

STATIONS = SHARED_DATA / "air" / "beijing" / "stations.csv"
EMISSIONS = SHARED_DATA / "emissions" / "beijing_annual_by_sector.csv"

BUILD = """
import sys, time
import pandas as pd
from features.build import build_feature_matrix, issue_times
from features.config import FeatureConfig
from features.emissions import read_emission_table
from forecasting.storage import Store
store = Store.open(sys.argv[1])
config = FeatureConfig(weather="perfect_prognosis")
issued = issue_times("2013-03-01", "2016-02-29")
t = time.perf_counter()
m = build_feature_matrix(store, config, store.read_stations("air"), issued,
                         emission_table=read_emission_table(sys.argv[2]))
print(f"matrix: {len(m.frame):,} rows x {len(m.feature_columns)} features, "
      f"{m.frame.memory_usage(deep=True).sum() / 2**20:,.0f} MiB, "
      f"weather: {m.weather_label}; build {time.perf_counter() - t:.1f} s", file=sys.stderr)
"""


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ecocast-matrix-bench-"))
    url = f"sqlite:///{work / 'ecocast.sqlite'}"
    try:
        with Store.open(url) as store:
            ingest_station_files(store, [STATIONS])
            ingest_files(store, [BEIJING], "air", data_dir=work)
        baseline = measure(
            "pandas.read_csv (baseline)",
            python_snippet(f"import pandas as pd; pd.read_csv({str(BEIJING)!r})"),
        )
        build = measure(
            "feature matrix (1,096 issues x 12 x 72)",
            [sys.executable, "-c", BUILD, url, str(EMISSIONS)],
        )
        report([build], baseline)
        ok = build.wall_s <= 180 and build.peak_mib <= 6 * 1024
        print(f"targets <= 180 s and <= 6144 MiB: {'met' if ok else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
