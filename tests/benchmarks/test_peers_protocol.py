"""The peers' backtest protocol: no leakage past T − 1 h, and the contract's output layout.

Rules checked (shared/docs/product.md, "Forecast protocol (air)" and "Backtest contract"):

    At issue time T the system knows observations stamped ≤ T − 1 h and nothing later.
    Hourly forecasts for the 72 stamps T, T+1 h, …, T+71 h: `lead_h` 1..72 (lead 1 is stamp T).
    `DIR/hourly.parquet`: `station` (str), `issued_at` (tz-aware), `valid_at` (tz-aware),
    `lead_h` (int), `variable` (`pm25|pm10|so2|no2|co|o3`), `value` (point forecast), `q10`, `q90`.

The peer libraries (mlforecast, statsforecast) are an optional extra; these tests use only the
protocol and the frame builders, which do not import them.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))
protocol: Any = importlib.import_module("benchmarks.peers.protocol")
frames: Any = importlib.import_module("benchmarks.peers.frames")
mlforecast_peer: Any = importlib.import_module("benchmarks.peers.mlforecast_peer")

TZ = "Asia/Shanghai"
HOUR = pd.Timedelta(hours=1)


def _observations(days: int = 12, stations: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    """Hourly synthetic observations; each value encodes its own hour, with a few gaps."""
    times = pd.date_range("2015-01-01", periods=days * 24, freq="h", tz=TZ)
    rows = []
    for k, station in enumerate(stations):
        hours = np.arange(len(times), dtype=float)
        frame = pd.DataFrame({"station": station, "time": times})
        for j, column in enumerate((*protocol.POLLUTANTS, *protocol.WEATHER)):
            frame[column] = 1000.0 * k + 10.0 * j + hours
        frame.loc[[0, 1, 100, 101, 102], "pm25"] = np.nan  # leading and inner gaps
        frame.loc[150:170, "co"] = np.nan
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


class _SpyPeer:
    """Records what it is given; forecasts the last known value (persistence)."""

    name = "spy"
    variables = ("pm25", "co")
    window_h = 48
    uses_future_weather = True

    def __init__(self) -> None:
        self.train: pd.DataFrame | None = None
        self.batches: list[Any] = []

    def fit(self, train: pd.DataFrame) -> None:
        self.train = train

    def forecast(self, batch: Any) -> pd.DataFrame:
        self.batches.append(batch)
        out = []
        last = batch.history.sort_values("time").groupby(["station", "issued_at"]).tail(1)
        for variable in self.variables:
            for row in last.itertuples():
                valid = pd.date_range(row.issued_at, periods=72, freq="h")
                value = np.full(72, getattr(row, variable))
                out.append(
                    protocol.contract_frame(
                        station=[row.station] * 72,
                        issued_at=pd.DatetimeIndex([row.issued_at] * 72),
                        valid_at=valid,
                        variable=variable,
                        value=value,
                    )
                )
        frame: pd.DataFrame = pd.concat(out, ignore_index=True)
        return frame


def test_issue_times_are_local_midnights_inclusive() -> None:
    issues = protocol.issue_times("2015-03-01", "2015-03-03")
    assert [t.isoformat() for t in issues] == [
        "2015-03-01T00:00:00+08:00",
        "2015-03-02T00:00:00+08:00",
        "2015-03-03T00:00:00+08:00",
    ]
    with pytest.raises(InputDataError, match="before"):
        protocol.issue_times("2015-03-03", "2015-03-01")


def test_history_for_issue_t_ends_at_t_minus_one_hour() -> None:
    obs = _observations()
    issued = pd.Timestamp("2015-01-08 00:00", tz=TZ)
    history = protocol.issue_history(obs, issued, window_h=48)
    for _, rows in history.groupby("station"):
        times = rows["time"].sort_values()
        assert times.max() == issued - HOUR
        assert times.min() == issued - 48 * HOUR
        assert (times.diff().dropna() == HOUR).all()  # gap-free hourly grid
    assert (history["issued_at"] == issued).all()


def test_history_is_unchanged_when_everything_after_t_minus_one_hour_changes() -> None:
    obs = _observations()
    issued = pd.Timestamp("2015-01-07 00:00", tz=TZ)
    poisoned = obs.copy()
    later = poisoned["time"] >= issued
    poisoned.loc[later, list(protocol.POLLUTANTS)] = 1e9
    poisoned.loc[later & (poisoned["station"] == "A"), "pm25"] = np.nan
    pd.testing.assert_frame_equal(
        protocol.issue_history(obs, issued, window_h=72),
        protocol.issue_history(poisoned, issued, window_h=72),
    )


def test_fill_inputs_copies_only_earlier_values_and_leaves_the_input_alone() -> None:
    obs = _observations()
    filled = protocol.fill_inputs(obs)
    a = filled[filled["station"] == "A"].reset_index(drop=True)
    assert np.isnan(a.loc[0, "pm25"])
    assert np.isnan(a.loc[1, "pm25"])
    assert (a.loc[100:102, "pm25"] == a.loc[99, "pm25"]).all()  # the last known value
    assert obs["pm25"].isna().sum() == 10  # raw observations keep their gaps


def test_run_backtest_gives_the_peer_only_what_is_known() -> None:
    obs = _observations()
    before = obs.copy()
    peer = _SpyPeer()
    protocol.run_backtest(peer, obs, "2015-01-05", "2015-01-09", chunk_days=2)

    assert peer.train is not None
    assert peer.train["time"].max() == pd.Timestamp("2015-01-04 23:00", tz=TZ)
    assert [len(b.issues) for b in peer.batches] == [2, 2, 1]
    for batch in peer.batches:
        last = batch.history.groupby(["station", "issued_at"])["time"].max()
        issued = last.index.get_level_values("issued_at")
        assert (last.to_numpy() == (issued - HOUR)).all()
        weather = batch.weather
        assert not set(protocol.POLLUTANTS) & set(weather.columns)
        span = weather.groupby(["station", "issued_at"])["time"].agg(["min", "max", "size"])
        issued = span.index.get_level_values("issued_at")
        assert (span["min"].to_numpy() == issued).all()
        assert (span["max"].to_numpy() == issued + 71 * HOUR).all()
        assert (span["size"] == 72).all()
    pd.testing.assert_frame_equal(obs, before)


def test_hourly_parquet_has_the_contract_columns(tmp_path: Path) -> None:
    obs = _observations()
    forecasts = protocol.run_backtest(_SpyPeer(), obs, "2015-01-05", "2015-01-07")
    path = protocol.write_hourly(forecasts, tmp_path / "out")
    table = pd.read_parquet(path)

    assert path == tmp_path / "out" / "hourly.parquet"
    assert list(table.columns) == [
        "station",
        "issued_at",
        "valid_at",
        "lead_h",
        "variable",
        "value",
        "q10",
        "q90",
    ]
    assert len(table) == 3 * 2 * 2 * 72  # issues × stations × variables × leads
    assert str(table["issued_at"].dt.tz) == TZ
    assert str(table["valid_at"].dt.tz) == TZ
    assert pd.api.types.is_integer_dtype(table["lead_h"])
    assert sorted(table["lead_h"].unique()) == list(range(1, 73))
    assert (table["valid_at"] == table["issued_at"] + (table["lead_h"] - 1) * HOUR).all()
    assert set(table["variable"]) <= set(protocol.POLLUTANTS)
    assert all(isinstance(name, str) for name in table["station"])
    lead1 = table[(table["lead_h"] == 1) & (table["variable"] == "pm25")]
    assert (lead1["valid_at"] == lead1["issued_at"]).all()  # lead 1 is stamp T
    # persistence of the known value at T − 1 h: station A, pm25 column j = 0
    first = lead1[(lead1["station"] == "A")].sort_values("issued_at")["value"].to_numpy()
    assert first.tolist() == [4 * 24 - 1.0, 5 * 24 - 1.0, 6 * 24 - 1.0]


class _BadLeadPeer(_SpyPeer):
    def forecast(self, batch: Any) -> pd.DataFrame:
        out = super().forecast(batch)
        out["lead_h"] = out["lead_h"] - 1
        return out


def test_a_peer_that_breaks_the_lead_convention_is_refused() -> None:
    with pytest.raises(InputDataError, match="lead_h"):
        protocol.run_backtest(_BadLeadPeer(), _observations(), "2015-01-05", "2015-01-05")


def test_nixtla_series_per_issue_end_at_t_minus_one_hour_and_are_gap_free() -> None:
    obs = _observations()
    issues = protocol.issue_times("2015-01-05", "2015-01-06")
    batch = protocol.build_batch(obs, issues, 48)
    series = frames.series_frame(batch.history, "pm25", with_weather=False, per_issue=True)
    station, issued = frames.split_ids(series["unique_id"])
    naive_issue = issued.dt.tz_localize(None)
    last = series.assign(t=naive_issue).groupby("unique_id").agg(ds=("ds", "max"), t=("t", "max"))
    assert (last["ds"] == last["t"] - HOUR).all()
    assert (series.groupby("unique_id")["ds"].diff().dropna() == HOUR).all()
    assert series["y"].notna().all()
    assert set(station) == {"A", "B"}


def test_training_targets_are_the_raw_values_not_the_filled_ones() -> None:
    obs = _observations()
    filled = protocol.fill_inputs(obs)
    series = frames.series_frame(filled, "pm25", with_weather=False, per_issue=False)
    target = frames.raw_lookup(obs, "pm25", series["unique_id"], series["ds"], 0)
    gap = (series["unique_id"] == "A") & series["ds"].between(
        pd.Timestamp("2015-01-05 04:00"), pd.Timestamp("2015-01-05 06:00")
    )
    assert series.loc[gap, "y"].notna().all()  # inputs were filled …
    assert np.isnan(target[gap.to_numpy()]).all()  # … the targets were not
    ahead = frames.raw_lookup(obs, "pm25", series["unique_id"], series["ds"], 3)
    ok = ~np.isnan(ahead) & ~np.isnan(target)
    assert ok.sum() > 500
    assert np.allclose(ahead[ok] - target[ok], 3.0)  # the value stamped ds + 3 h


def test_conformal_half_width_is_the_finite_sample_quantile() -> None:
    errors = pd.DataFrame({"lead_h": [1] * 10 + [2] * 4, "abs_error": [*range(1, 11), 5, 1, 3, 2]})
    errors.loc[len(errors)] = [2, np.nan]
    scores = mlforecast_peer.conformal_scores(errors, level=0.8)
    assert scores.loc[1] == 9.0  # ceil(11 × 0.8) = 9th smallest of 1..10
    assert scores.loc[2] == 5.0  # ceil(5 × 0.8) = 4th of 4: the largest


def test_beijing_file_is_read_in_canonical_units(beijing_observations_path: Path) -> None:
    """shared/data/README.md: `co` is µg/m³ in the file (UCI = mg/m³ × 1000); `time` is local
    time with +08:00; `wd` is the 16-point compass; row 1 is Aotizhongxin 2013-03-01 00:00 with
    co 300.0, wd NNW, wspm 4.4."""
    obs = protocol.load_observations(beijing_observations_path, stations=["Aotizhongxin"])
    first = obs.iloc[0]
    assert first["time"] == pd.Timestamp("2013-03-01 00:00", tz=TZ)
    assert str(obs["time"].dt.tz) == TZ
    assert first["co"] == pytest.approx(0.3)  # mg/m³
    # NNW = 337.5° from north: the wind blows towards SSE (u > 0, v < 0)
    assert first["u"] == pytest.approx(4.4 * np.sin(np.deg2rad(22.5)))
    assert first["v"] == pytest.approx(-4.4 * np.cos(np.deg2rad(22.5)))
    assert len(obs) == 26_304  # 3 years of hours, README: 12 × 26,304 rows


def test_naive_local_times_and_bad_wind_codes(tmp_path: Path) -> None:
    header = "station,time,pm25,pm10,so2,no2,co,o3,temp,pres,dewp,rain,wd,wspm\n"
    good = tmp_path / "naive.csv"
    good.write_text(header + "X,2015-01-01 00:00:00,1,2,3,4,500,6,0,1000,-5,0,,0\n")
    obs = protocol.load_observations(good)
    assert obs.loc[0, "time"] == pd.Timestamp("2015-01-01 00:00", tz=TZ)
    assert obs.loc[0, "co"] == 0.5
    assert obs.loc[0, "u"] == 0.0
    assert obs.loc[0, "v"] == 0.0
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "X,2015-01-01 00:00:00,1,2,3,4,500,6,0,1000,-5,0,NORTH,2\n")
    with pytest.raises(InputDataError, match="row 2, column wd"):
        protocol.load_observations(bad)
