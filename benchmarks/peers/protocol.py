"""The air backtest protocol for peers: what a peer knows at each issue, what it must write.

Rules, from the product brief [1]_ ("Forecast protocol (air)", "Backtest contract"):

* the peer is trained once on everything before ``--start`` (stamps ≤ start − 1 h);
* one issue per day at 00:00 local time (Asia/Shanghai, UTC+8, no DST) from ``--start`` to
  ``--end`` inclusive;
* at issue time T the peer knows the observations stamped ≤ T − 1 h and nothing later;
* it forecasts the 72 stamps T, T + 1 h, …, T + 71 h: ``lead_h`` 1..72 (lead 1 is stamp T);
* it writes ``DIR/hourly.parquet``: ``station`` (str), ``issued_at`` and ``valid_at``
  (tz-aware), ``lead_h`` (int), ``variable`` (pm25|pm10|so2|no2|co|o3), ``value``, ``q10``,
  ``q90`` (NaN where a peer gives no interval).

Gap rule for *inputs* (models that need gap-free series): within the history known at the
issue, each variable is forward-filled per station (:func:`fill_inputs`); hours before a
station's first known value stay missing and are dropped by the peer. Forward filling only
ever copies an earlier known value, and it is applied after the history has been cut at
T − 1 h, so it cannot leak. It is never applied to targets: the observations that a backtest
is scored against are not touched, and peers train on the raw (unfilled) values.

Units: µg m⁻³ for all pollutants except CO in mg m⁻³ (the brief's canonical units); the UCI
file's CO in µg m⁻³ is divided by 1000 on reading [2]_.

References
----------
.. [1] shared/docs/product.md, "Forecast protocol (air)" and "Backtest contract".
.. [2] shared/data/README.md, ``air/beijing/observations.csv.gz`` (columns, units, +08:00).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Protocol

import numpy as np
import pandas as pd

from features.meteo_derived import wind_components
from forecasting.atomic import write_table_atomically
from forecasting.errors import InputDataError, InsufficientHistoryError
from forecasting.ingest.air import COMPASS_DEGREES

__all__ = [
    "CONTRACT_COLUMNS",
    "HORIZON_H",
    "ONE_HOUR",
    "POLLUTANTS",
    "TZ",
    "WEATHER",
    "IssueBatch",
    "Peer",
    "build_batch",
    "check_forecast",
    "contract_frame",
    "fill_inputs",
    "future_weather",
    "issue_history",
    "issue_times",
    "load_observations",
    "run_backtest",
    "training_frame",
    "write_hourly",
]

logger = logging.getLogger(__name__)

TZ: Final = "Asia/Shanghai"
"""Local time zone of the Beijing network (UTC+8, no DST); issues are at 00:00 local."""
HORIZON_H: Final = 72
"""Forecast stamps per issue: T … T + 71 h (``lead_h`` 1..72)."""
ONE_HOUR: Final = pd.Timedelta(hours=1)
POLLUTANTS: Final = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""Forecast variables (µg m⁻³; CO mg m⁻³)."""
WEATHER: Final = ("temp", "dewp", "pres", "rain", "wspm", "u", "v")
"""Station weather: temperature and dew point [°C], pressure [hPa], rain [mm h⁻¹], wind speed,
eastward and northward wind [m s⁻¹]."""
CONTRACT_COLUMNS: Final = (
    "station",
    "issued_at",
    "valid_at",
    "lead_h",
    "variable",
    "value",
    "q10",
    "q90",
)
"""Columns of ``hourly.parquet`` (product brief, "Backtest contract")."""

_FILE_COLUMNS: Final = ("station", "time", *POLLUTANTS, "temp", "pres", "dewp", "rain", "wd")
_CO_UG_PER_MG: Final = 1000.0


def load_observations(path: str | Path, stations: Sequence[str] | None = None) -> pd.DataFrame:
    """Read an air file in the layout of the shared Beijing file into a gap-free hourly grid.

    Parameters
    ----------
    path : str or Path
        CSV (optionally gzip) with ``station, time, pm25, pm10, so2, no2, co, o3, temp, pres,
        dewp, rain, wd, wspm``; CO in µg m⁻³; ``time`` with a UTC offset, or naive local time
        (then taken as Asia/Shanghai).
    stations : sequence of str, optional
        Keep only these stations (all when None).

    Returns
    -------
    pandas.DataFrame
        One row per station and hour (missing hours added as NaN rows), sorted by station and
        time: ``station``, ``time`` (tz-aware, Asia/Shanghai), :data:`POLLUTANTS` (CO in
        mg m⁻³) and :data:`WEATHER` (``u``, ``v`` from ``wd`` and ``wspm``; 0 for calm hours
        without a direction).

    Raises
    ------
    InputDataError
        If a column is missing, a station is unknown, a wind code is not a 16-point compass
        code, or a (station, time) pair is duplicated.
    """
    source = Path(path)
    raw = pd.read_csv(source, dtype={"station": str, "wd": str})
    missing = [c for c in (*_FILE_COLUMNS, "wspm") if c not in raw.columns]
    if missing:
        raise InputDataError(f"{source}: missing column(s) {', '.join(missing)}")
    if stations is not None:
        unknown = sorted(set(stations) - set(raw["station"].unique()))
        if unknown:
            raise InputDataError(f"{source}: unknown station(s) {', '.join(unknown)}")
        raw = raw[raw["station"].isin(list(stations))]
    times = pd.to_datetime(raw["time"])
    times = times.dt.tz_localize(TZ) if times.dt.tz is None else times.dt.tz_convert(TZ)
    frame = pd.DataFrame({"station": raw["station"].astype(str).to_numpy(), "time": times})
    for column in POLLUTANTS:
        frame[column] = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
    frame["co"] = frame["co"] / _CO_UG_PER_MG
    for column in ("temp", "dewp", "pres", "rain", "wspm"):
        frame[column] = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
    codes = raw["wd"].str.strip()
    bad = codes.notna() & ~codes.isin(list(COMPASS_DEGREES))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{source}: row {row + 2}, column wd: {codes.iloc[row]!r} is not a 16-point "
            "compass code (N, NNE, …, NNW)"
        )
    degrees = codes.map(dict(COMPASS_DEGREES)).to_numpy(dtype=float)
    speed = frame["wspm"].to_numpy()
    u, v = wind_components(speed, degrees)
    calm = np.isnan(degrees) & (speed == 0.0)
    frame["u"] = np.where(calm, 0.0, u)
    frame["v"] = np.where(calm, 0.0, v)
    if frame.duplicated(["station", "time"]).any():
        first = frame[frame.duplicated(["station", "time"])].iloc[0]
        raise InputDataError(f"{source}: duplicate row for {first['station']} at {first['time']}")
    return _complete_grid(frame)


def _complete_grid(frame: pd.DataFrame) -> pd.DataFrame:
    """Reindex every station onto the full hourly range of the file (gaps become NaN rows)."""
    hours = pd.date_range(frame["time"].min(), frame["time"].max(), freq="h")
    stations = sorted(frame["station"].unique())
    index = pd.MultiIndex.from_product([stations, hours], names=["station", "time"])
    grid = frame.set_index(["station", "time"]).reindex(index).reset_index()
    grid["station"] = grid["station"].astype(str)
    return grid


def issue_times(start: str | date, end: str | date) -> pd.DatetimeIndex:
    """Issue times: 00:00 Asia/Shanghai of each day from ``start`` to ``end`` inclusive.

    Raises
    ------
    InputDataError
        If ``end`` is before ``start``.
    """
    first = pd.Timestamp(start).normalize()
    last = pd.Timestamp(end).normalize()
    if last < first:
        raise InputDataError(f"--end {last.date()} is before --start {first.date()}")
    return pd.date_range(first, last, freq="D", tz=TZ)


def training_frame(observations: pd.DataFrame, first_issue: pd.Timestamp) -> pd.DataFrame:
    """Everything known at the first issue: rows stamped ≤ ``first_issue`` − 1 h (raw, unfilled).

    Raises
    ------
    InsufficientHistoryError
        If nothing is known before the first issue.
    """
    train = observations[observations["time"] <= first_issue - ONE_HOUR]
    if train.empty:
        raise InsufficientHistoryError(
            f"no observation is stamped before the first issue {first_issue.isoformat()}"
        )
    return train.reset_index(drop=True)


def fill_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Forward-fill each variable per station: the documented gap rule for model *inputs*.

    Only earlier values are copied, so applied to a history cut at T − 1 h it uses nothing
    after T − 1 h. Values before a station's first known value stay NaN. Returns a copy; the
    input frame is not changed.
    """
    ordered = frame.sort_values(["station", "time"], kind="stable")
    columns = [c for c in (*POLLUTANTS, *WEATHER) if c in ordered.columns]
    filled = ordered.copy()
    filled[columns] = ordered.groupby("station", sort=False)[columns].ffill()
    return filled.reset_index(drop=True)


def issue_history(
    observations: pd.DataFrame, issued_at: pd.Timestamp, window_h: int
) -> pd.DataFrame:
    """The filled history a peer sees at issue ``issued_at``: the last ``window_h`` hours.

    The observations are first cut at ``issued_at`` − 1 h, then forward-filled
    (:func:`fill_inputs`), then the last ``window_h`` hourly rows of each station are kept.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``issued_at``, ``time`` and the variables; every station's rows end at
        ``issued_at`` − 1 h.
    """
    cutoff = issued_at - ONE_HOUR
    known = observations[observations["time"] <= cutoff]
    filled = fill_inputs(known)
    window = filled[filled["time"] > cutoff - window_h * ONE_HOUR].copy()
    window.insert(1, "issued_at", issued_at)
    return window.reset_index(drop=True)


def future_weather(
    observations: pd.DataFrame, issued_at: pd.Timestamp, stations: Sequence[str]
) -> pd.DataFrame:
    """Observed station weather at the valid times T … T + 71 h ("perfect prognosis").

    Only :data:`WEATHER` columns are given, never a pollutant. Valid times beyond the end of
    the observations, and missing weather, are NaN.
    """
    valid = pd.date_range(issued_at, periods=HORIZON_H, freq="h")
    index = pd.MultiIndex.from_product([list(stations), valid], names=["station", "time"])
    weather = observations.set_index(["station", "time"])[list(WEATHER)]
    future = weather.reindex(index).reset_index()
    future.insert(1, "issued_at", issued_at)
    return future


@dataclass(frozen=True)
class IssueBatch:
    """What a peer is given for a run of issues.

    Attributes
    ----------
    issues : pandas.DatetimeIndex
        The issue times (tz-aware).
    history : pandas.DataFrame
        :func:`issue_history` of every issue, stacked (``issued_at`` tells them apart).
    weather : pandas.DataFrame or None
        :func:`future_weather` of every issue, stacked; None for peers that use none.
    """

    issues: pd.DatetimeIndex
    history: pd.DataFrame
    weather: pd.DataFrame | None


def build_batch(
    observations: pd.DataFrame,
    issues: pd.DatetimeIndex,
    window_h: int,
    *,
    with_weather: bool = False,
) -> IssueBatch:
    """Stack the per-issue histories (and future weather) of ``issues``."""
    stations = sorted(observations["station"].unique())
    history = pd.concat([issue_history(observations, t, window_h) for t in issues])
    weather = None
    if with_weather:
        weather = pd.concat([future_weather(observations, t, stations) for t in issues])
        weather = weather.reset_index(drop=True)
    return IssueBatch(issues, history.reset_index(drop=True), weather)


class Peer(Protocol):
    """A forecaster replayed on the protocol.

    Attributes
    ----------
    name : str
        Short label (``mlforecast``, ``mlforecast_pp``, ``statsforecast``).
    variables : tuple of str
        The :data:`POLLUTANTS` it forecasts.
    window_h : int
        Hours of history it needs at each issue.
    uses_future_weather : bool
        Whether it takes the weather at the valid times (perfect prognosis).
    """

    name: str
    variables: tuple[str, ...]
    window_h: int
    uses_future_weather: bool

    def fit(self, train: pd.DataFrame) -> None:
        """Train on the raw observations known at the first issue."""

    def forecast(self, batch: IssueBatch) -> pd.DataFrame:
        """Return forecasts for ``batch`` in the :data:`CONTRACT_COLUMNS` layout."""
        ...


def contract_frame(
    *,
    station: Sequence[str] | pd.Series | np.ndarray,
    issued_at: pd.Series | pd.DatetimeIndex,
    valid_at: pd.Series | pd.DatetimeIndex,
    variable: str,
    value: np.ndarray | pd.Series,
    q10: np.ndarray | pd.Series | None = None,
    q90: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Assemble forecasts in the contract layout; ``lead_h`` = (valid − issued) / 1 h + 1."""
    issued = pd.DatetimeIndex(issued_at).tz_convert(TZ)
    valid = pd.DatetimeIndex(valid_at).tz_convert(TZ)
    values = np.asarray(value, dtype=float)
    nan = np.full(values.shape, np.nan)
    lead = ((valid - issued) // ONE_HOUR).to_numpy() + 1
    return pd.DataFrame(
        {
            "station": np.asarray(station, dtype=object).astype(str),
            "issued_at": issued,
            "valid_at": valid,
            "lead_h": lead.astype(np.int64),
            "variable": variable,
            "value": values,
            "q10": nan if q10 is None else np.asarray(q10, dtype=float),
            "q90": nan if q90 is None else np.asarray(q90, dtype=float),
        }
    )


def check_forecast(frame: pd.DataFrame, batch: IssueBatch, peer: str) -> pd.DataFrame:
    """Check a peer's answer against the contract; return it with the contract columns only.

    Raises
    ------
    InputDataError
        If a column is missing, a lead is outside 1..72, an issue is not one of the batch's,
        ``valid_at`` ≠ ``issued_at`` + (``lead_h`` − 1) h, or a variable is unknown.
    """
    missing = [c for c in CONTRACT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(f"peer {peer}: forecast lacks column(s) {', '.join(missing)}")
    out = frame[list(CONTRACT_COLUMNS)].reset_index(drop=True)
    lead = out["lead_h"].to_numpy()
    if lead.size and (lead.min() < 1 or lead.max() > HORIZON_H):
        raise InputDataError(f"peer {peer}: lead_h outside 1..{HORIZON_H}")
    if not out["issued_at"].isin(batch.issues).all():
        raise InputDataError(f"peer {peer}: forecast for an issue time it was not given")
    expected = out["issued_at"] + (out["lead_h"] - 1) * ONE_HOUR
    if not (expected == out["valid_at"]).all():
        raise InputDataError(f"peer {peer}: valid_at is not issued_at + (lead_h - 1) h")
    unknown = sorted(set(out["variable"]) - set(POLLUTANTS))
    if unknown:
        raise InputDataError(f"peer {peer}: unknown variable(s) {', '.join(unknown)}")
    return out


def _chunks(issues: pd.DatetimeIndex, size: int) -> Iterator[pd.DatetimeIndex]:
    for begin in range(0, len(issues), size):
        yield issues[begin : begin + size]


def run_backtest(
    peer: Peer,
    observations: pd.DataFrame,
    start: str | date,
    end: str | date,
    *,
    chunk_days: int = 31,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Train ``peer`` once before ``start``, then issue daily from ``start`` to ``end``.

    Issues are handed to the peer in runs of ``chunk_days`` (each issue with its own history,
    cut at its own T − 1 h), so that a peer can predict many issues in one call.

    Parameters
    ----------
    peer : Peer
        The forecaster.
    observations : pandas.DataFrame
        :func:`load_observations` output (raw; never filled in place).
    start, end : str or datetime.date
        First and last issue day (local dates).
    chunk_days : int
        Issues per call of ``peer.forecast``.
    on_progress : callable, optional
        Called with the number of issue days done after each run.

    Returns
    -------
    pandas.DataFrame
        All forecasts in the :data:`CONTRACT_COLUMNS` layout.
    """
    issues = issue_times(start, end)
    peer.fit(training_frame(observations, issues[0]))
    frames = []
    for chunk in _chunks(issues, chunk_days):
        batch = build_batch(
            observations, chunk, peer.window_h, with_weather=peer.uses_future_weather
        )
        frames.append(check_forecast(peer.forecast(batch), batch, peer.name))
        if on_progress is not None:
            on_progress(len(chunk))
    return pd.concat(frames, ignore_index=True)


def write_hourly(frame: pd.DataFrame, output_dir: str | Path) -> Path:
    """Write ``DIR/hourly.parquet`` atomically (the folder is created); return its path."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "hourly.parquet"
    write_table_atomically(frame[list(CONTRACT_COLUMNS)], target)
    return target
