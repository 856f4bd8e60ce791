"""Run a peer forecaster on the air backtest protocol and write ``DIR/hourly.parquet``.

Example (the full-year split: train 2013-03-01 … 2015-02-28, issues 2015-03-01 … 2016-02-29)::

    .venv/bin/python -m benchmarks.peers --peer mlforecast --start 2015-03-01 \
        --end 2016-02-29 --output /tmp/peers/mlforecast

Prints the wall time and the peak resident memory, and writes ``DIR/run.json`` beside the
forecasts (settings, library versions, timings).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import sys
import time
from importlib.metadata import version
from pathlib import Path

from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.peers.mlforecast_peer import MLForecastPeer
from benchmarks.peers.protocol import (
    POLLUTANTS,
    Peer,
    issue_times,
    load_observations,
    run_backtest,
    write_hourly,
)
from benchmarks.peers.statsforecast_peer import StatsForecastPeer
from forecasting.errors import ForecastingError

PEERS = ("mlforecast", "mlforecast_pp", "statsforecast")
_REPO = Path(__file__).resolve().parents[2]
_SHARED = Path(os.environ.get("ECOCAST_SHARED_DIR", _REPO.parent / "shared"))
DEFAULT_OBSERVATIONS = _SHARED / "data" / "air" / "beijing" / "observations.csv.gz"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument("--peer", choices=PEERS, required=True)
    parser.add_argument("--start", required=True, help="first issue day (local date)")
    parser.add_argument("--end", required=True, help="last issue day, inclusive")
    parser.add_argument("--output", required=True, type=Path, help="output folder")
    parser.add_argument("--observations", type=Path, default=DEFAULT_OBSERVATIONS)
    parser.add_argument("--stations", nargs="+", help="default: all in the file")
    parser.add_argument("--variables", nargs="+", choices=POLLUTANTS, default=list(POLLUTANTS))
    parser.add_argument("--direct", action="store_true", help="mlforecast: direct strategy")
    parser.add_argument("--no-intervals", action="store_true", help="mlforecast: no q10/q90")
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads")
    parser.add_argument("--trees", type=int, default=500, help="LightGBM trees")
    parser.add_argument("--window-days", type=int, default=28, help="statsforecast window")
    parser.add_argument("--jobs", type=int, default=2, help="statsforecast processes")
    parser.add_argument("--chunk-days", type=int, default=31, help="issues per predict call")
    return parser


def _peer(args: argparse.Namespace) -> MLForecastPeer | StatsForecastPeer:
    variables = tuple(args.variables)
    if args.peer == "statsforecast":
        return StatsForecastPeer(variables, window_days=args.window_days, n_jobs=args.jobs)
    return MLForecastPeer(
        variables,
        with_weather=args.peer == "mlforecast_pp",
        direct=args.direct,
        intervals=not args.no_intervals,
        n_estimators=args.trees,
        num_threads=args.threads,
    )


def _peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(show_path=False)]
    )
    t0 = time.perf_counter()
    try:
        observations = load_observations(args.observations, args.stations)
        peer: Peer = _peer(args)
        days = len(issue_times(args.start, args.end))
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("issue days"),
            TimeElapsedColumn(),
        )
        with Progress(*columns) as progress:
            task = progress.add_task(f"{peer.name} (training first)", total=days)

            def advance(done: int) -> None:
                progress.update(task, advance=done, description=peer.name)
                if not progress.console.is_terminal:  # no live bar in a log file
                    finished = int(progress.tasks[0].completed)
                    logging.info("%s: %d/%d issue days", peer.name, finished, days)

            forecasts = run_backtest(
                peer,
                observations,
                args.start,
                args.end,
                chunk_days=args.chunk_days,
                on_progress=advance,
            )
        path = write_hourly(forecasts, args.output)
    except ForecastingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - t0
    own, children = _peak_mib()
    strategy = "direct" if args.direct else "recursive"
    label = peer.name + (f" ({strategy})" if args.peer != "statsforecast" else "")
    print(f"{label}: {days} issues, {len(forecasts):,} rows -> {path}")
    print(f"wall time {wall:.1f} s; peak memory {own:.0f} MiB (largest child {children:.0f} MiB)")
    timings = dict(getattr(peer, "timings", {}))
    print("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    record = {
        "peer": peer.name,
        "strategy": strategy if args.peer != "statsforecast" else "per-issue fit",
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "issues": days,
        "rows": len(forecasts),
        "wall_s": round(wall, 1),
        "peak_mib": round(own),
        "peak_child_mib": round(children),
        "phases_s": {k: round(v, 1) for k, v in timings.items()},
        "versions": {
            p: version(p) for p in ("mlforecast", "statsforecast", "lightgbm", "pandas", "numpy")
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    (Path(args.output) / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
