"""Score backtest outputs side by side against the raw observation file.

Each argument is ``LABEL=DIR`` where ``DIR/hourly.parquet`` follows the backtest contract
(ecocast's own output, its ``baselines/<name>`` folders, or a peer's from
``benchmarks.peers``). Daily values, AQI, level and primary pollutant are derived the same
way for all (:func:`forecasting.pipeline.daily.daily_from_hourly`) and all are scored on the
cases every one of them forecast, against the observation file as published (no QC
exclusion: the same truth for every forecaster).

    .venv/bin/python benchmarks/score_backtests.py ecocast=out/air_beijing \\
        persistence=out/air_beijing/baselines/persistence mlforecast=/tmp/peers/mlforecast

Prints daily PM2.5 MAE and AQI level accuracy for days 1-3, hourly PM2.5 q10-q90 coverage
and the share of observed pairs with a forecast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._measure import BEIJING  # noqa: E402
from forecasting.air_table import read_air_table  # noqa: E402
from forecasting.pipeline.daily import daily_from_hourly  # noqa: E402
from forecasting.pipeline.scoring import presence  # noqa: E402
from models.verification import common_cases, verify_daily, verify_hourly  # noqa: E402
from models.verify_truth import HOURLY_VARIABLES, daily_observed  # noqa: E402

TZ = "Asia/Shanghai"


def _hourly(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path / "hourly.parquet")
    for column in ("issued_at", "valid_at"):
        frame[column] = pd.DatetimeIndex(frame[column]).tz_convert("UTC")
    return frame


def _pick(table: pd.DataFrame, variable: str, metric: str, key: str) -> dict[int, float]:
    rows = table.loc[(table["variable"] == variable) & (table["metric"] == metric)]
    return {int(k): float(v) for k, v in zip(rows[key], rows["value"], strict=True)}


def main() -> None:
    """Score every LABEL=DIR and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", help="LABEL=DIR")
    parser.add_argument("--observations", type=Path, default=BEIJING)
    args = parser.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    hourly = {label: _hourly(Path(path)) for label, path in runs.items()}
    variables = set.intersection(*(set(f["variable"].unique()) for f in hourly.values()))
    hourly = {k: v.loc[v["variable"].isin(variables)] for k, v in hourly.items()}
    truth = read_air_table(args.observations, tz=TZ).rename(columns={"time": "valid_at"})
    truth["valid_at"] = pd.DatetimeIndex(truth["valid_at"]).tz_convert("UTC")
    truth = truth.loc[:, ["station", "valid_at", *HOURLY_VARIABLES]]
    first = min(f["valid_at"].min() for f in hourly.values())
    last = max(f["valid_at"].max() for f in hourly.values())
    truth = truth.loc[truth["valid_at"].between(first, last)]
    shown = {label: presence(frame, truth) for label, frame in hourly.items()}
    hourly = common_cases(hourly)
    daily = {label: daily_from_hourly(frame, TZ) for label, frame in hourly.items()}
    daily = common_cases(common_cases(daily), value="aqi")
    observed = daily_observed(truth, TZ)
    head = "forecaster            MAE d1  MAE d2  MAE d3   lvl d1  lvl d2  lvl d3  cov   present"
    print(f"variables scored: {sorted(variables)}; {len(next(iter(daily.values())))} daily rows")
    print(head)
    for label in hourly:
        hourly_scores = verify_hourly(hourly[label], truth)
        daily_scores = verify_daily(daily[label], observed)
        mae = _pick(daily_scores, "pm25", "mean_absolute_error", "day")
        level = _pick(daily_scores, "aqi", "level_accuracy_score", "day")
        cover = _pick(hourly_scores, "pm25", "interval_coverage_q10_q90", "lead_h")
        coverage = sum(cover.values()) / len(cover) if cover else float("nan")
        print(
            f"{label:<20} {mae.get(1, float('nan')):7.1f} {mae.get(2, float('nan')):7.1f} "
            f"{mae.get(3, float('nan')):7.1f}  {level.get(1, float('nan')):6.1%} "
            f"{level.get(2, float('nan')):6.1%} {level.get(3, float('nan')):6.1%} "
            f"{coverage:5.2f} {shown[label]:8.4f}"
        )


if __name__ == "__main__":
    main()
