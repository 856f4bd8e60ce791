"""Daily and real-time AQI of the whole shared Beijing file (315,648 rows).

Prints wall time and peak memory of ``ecocast aqi`` (daily, and ``--hourly``) beside a plain
``pandas.read_csv`` of the same file, each in a fresh process. Target: daily AQI under 30 s.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from _measure import BEIJING, measure, python_snippet, report


def main() -> None:
    ecocast = shutil.which("ecocast") or str(Path(sys.executable).with_name("ecocast"))
    out = Path(tempfile.mkdtemp(prefix="ecocast-bench-"))
    try:
        baseline = measure(
            "pandas.read_csv (baseline)",
            python_snippet(f"import pandas as pd; pd.read_csv({str(BEIJING)!r})"),
        )
        daily = measure(
            "ecocast aqi (daily, HJ 633 by date)",
            [ecocast, "aqi", str(BEIJING), "--output", str(out / "daily.csv")],
        )
        hourly = measure(
            "ecocast aqi --hourly (real-time)",
            [ecocast, "aqi", str(BEIJING), "--output", str(out / "hourly.csv"), "--hourly"],
        )
        us = measure(
            "ecocast aqi --scheme us-epa-2024 (daily)",
            [
                ecocast,
                "aqi",
                str(BEIJING),
                "--output",
                str(out / "us.csv"),
                "--scheme",
                "us-epa-2024",
            ],
        )
        rows = sum(1 for _ in (out / "daily.csv").open()) - 1
        print(f"input: {BEIJING} ; daily rows written: {rows}")
        report([daily, hourly, us], baseline)
        verdict = "meets" if daily.wall_s < 30 else "MISSES"
        print(f"daily AQI {daily.wall_s:.1f} s: {verdict} the 30 s target")
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
