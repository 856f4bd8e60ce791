"""One full year of daily air backtests on the 12 Beijing stations, training included.

Runs, each in a fresh child process on the same machine and data (shared Beijing file,
issues 2015-03-01 … 2016-02-29 at 00:00 local, 72 hourly leads, trained on everything
before 2015-03-01):

1. ``ecocast backtest air_beijing`` (no weather), the product's reference experiment;
2. the Nixtla mlforecast peer with LightGBM on the same protocol
   (``python -m benchmarks.peers --peer mlforecast``), the baseline of the ratio;
3. optionally (``--perfect-met``) ``ecocast backtest air_beijing_perfect_met``.

Prints wall time, peak memory and the ratio to mlforecast. Targets (issue 5): ≤ 20 min
for ecocast, and not longer than mlforecast.

    .venv/bin/python benchmarks/backtest_year.py [--perfect-met] [--skip-peer]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._measure import BEIJING, REPO_ROOT, measure, report  # noqa: E402

STATIONS = BEIJING.parent / "stations.csv"
START, END = "2015-03-01", "2016-02-29"


def _ecocast(experiment: str, out: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "ecocast"),
        "backtest",
        experiment,
        "--observations",
        str(BEIJING),
        "--stations",
        str(STATIONS),
        "--start",
        START,
        "--end",
        END,
        "--output",
        str(out / experiment),
        "--no-track",
    ]


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--perfect-met", action="store_true", help="also the PP experiment")
    parser.add_argument("--skip-peer", action="store_true", help="ecocast only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecocast-bench-") as scratch:
        out = Path(scratch)
        runs = [measure("ecocast backtest air_beijing", _ecocast("air_beijing", out))]
        if args.perfect_met:
            runs.append(
                measure(
                    "ecocast backtest air_beijing_perfect_met",
                    _ecocast("air_beijing_perfect_met", out),
                )
            )
        if args.skip_peer:
            for m in runs:
                print(f"{m.label:<44} {m.wall_s:8.1f} s {m.peak_mib:9.0f} MiB")
            return
        peer = [
            sys.executable,
            "-m",
            "benchmarks.peers",
            "--peer",
            "mlforecast",
            "--start",
            START,
            "--end",
            END,
            "--output",
            str(out / "mlforecast"),
        ]
        baseline = measure("mlforecast LightGBM (peer, same protocol)", peer)
    report(runs, baseline)
    print(f"run from {REPO_ROOT}; target: ecocast <= 1200 s and <= 1.00 x mlforecast")


if __name__ == "__main__":
    main()
