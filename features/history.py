"""Station-history feature family ``hist_*``: lags, rolling statistics, the diurnal profile.

Every feature is computed from a :class:`features.window.KnownHistory`, whose lag ``k``
is the stamp ``T - (k + 1) h`` as known at the issue time ``T`` [1]_, so the family is
leakage-free by construction: nothing stamped after ``T - 1 h`` and no revision made
after ``T`` is in the array.

Two frames come out of :func:`history_features`:

* **issue level**, keyed ``station, issued_at`` (one row per station and issue), per
  variable ``v`` (the six pollutants and, when present in the history, the station's
  own weather: ``temp_air``, ``dew_point``, ``pressure``, ``wind_speed``, ``rain``;
  weather observed up to ``T - 1 h`` is known at ``T`` and is not perfect prognosis):

  ====================  ==========  ====================================================
  column                unit        meaning
  ====================  ==========  ====================================================
  ``hist_{v}_lag{k}``   unit of v   value of stamp ``T - k h``
  ``hist_{v}_mean{w}h`` unit of v   mean of the stamps ``T - w h … T - 1 h``
  ``hist_{v}_max{w}h``  unit of v   maximum over the same stamps
  ``hist_{v}_std{w}h``  unit of v   sample standard deviation (``ddof=1``)
  ``hist_{v}_last``     unit of v   most recent valid value in the window
  ``hist_{v}_age_h``    [h]         its age ``T - stamp`` (1 for the stamp ``T - 1 h``)
  ``hist_{v}_avail24``  [1]         valid fraction of the last 24 stamps
  ``hist_available``    bool        any valid value of any variable in the last 24 h
  ====================  ==========  ====================================================

  Wind direction is an angle, so it gets no means or maxima of its own: with
  ``wind_speed`` present it becomes the components ``wind_u`` and ``wind_v`` [m s⁻¹]
  (``u = -speed sin(dir)``, ``v = -speed cos(dir)``; direction the wind blows FROM
  [2]_), which get the full set above (``hist_wind_u_last``, ``hist_wind_u_mean24h``:
  the vector-mean wind, …). A calm hour (speed 0, direction missing, as in the Beijing
  file) counts as ``u = v = 0``.

* **lead level**, keyed ``station, issued_at, lead_h``, per pollutant, the recent diurnal
  profile at the valid hour ``valid_at = T + (lead_h - 1) h``:
  ``hist_{v}_samehour_d1`` (value at ``valid_at - 24 k h`` for the smallest ``k >= 1``
  with that stamp ``<= T - 1 h``), ``hist_{v}_samehour_mean{d}d`` (mean of the last
  ``d`` such days) and ``hist_{v}_samehour_anom`` (that mean minus the mean of the last
  ``24 d`` hours: the diurnal shape at the valid hour).

Missing data
------------
A statistic over a window is NaN when fewer than ``ceil(min_valid_fraction × n)`` of its
``n`` stamps are valid (at least 1; at least 2 for the standard deviation). The default
fraction 0.5 is a modelling choice for model inputs, not a data-validity rule: GB 3095's
20-of-24-hours rule governs reported daily concentrations, not features, and LightGBM
handles NaN. Nothing is ever filled from later stamps.

References
----------
.. [1] shared/docs/product.md, "Forecast protocol (air)": at issue time T the system
   knows observations stamped <= T - 1 h; leads 1..72, lead 1 is the stamp T.
.. [2] WMO (2018) Guide to Instruments and Methods of Observation (WMO-No. 8),
   Vol. I, chapter 5: wind direction is the direction from which the wind blows,
   clockwise from north.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.meteo_derived import wind_components
from features.window import KnownHistory
from forecasting.errors import InputDataError

__all__ = [
    "DEFAULT_LAGS_H",
    "DEFAULT_WINDOWS_H",
    "POLLUTANTS",
    "history_features",
    "min_valid_count",
]

#: Pollutant variables of the store (canonical units: µg m⁻³, CO mg m⁻³).
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3")
#: Default lags [h]: ``hist_{v}_lag{k}`` is the stamp ``T - k h``.
DEFAULT_LAGS_H: tuple[int, ...] = (1, 2, 3, 6, 12, 24, 48, 72, 168)
#: Default rolling windows [h] ending at ``T - 1 h``.
DEFAULT_WINDOWS_H: tuple[int, ...] = (3, 6, 12, 24, 72, 168)
_AVAIL_H = 24
_WIND = ("wind_u", "wind_v")

Float32 = npt.NDArray[np.float32]
Float64 = npt.NDArray[np.float64]


def history_features(
    known: KnownHistory,
    leads: Sequence[int] | npt.NDArray[np.integer[Any]],
    *,
    lags_h: Sequence[int] = DEFAULT_LAGS_H,
    windows_h: Sequence[int] = DEFAULT_WINDOWS_H,
    diurnal_days: int = 7,
    variables: Sequence[str] | None = None,
    min_valid_fraction: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Station-history features known at each issue time.

    Parameters
    ----------
    known : KnownHistory
        Windows as known at each issue time (:func:`features.window.read_known_history`).
    leads : sequence of int
        Leads ``h >= 1`` [h] of the lead-level frame; lead 1 is the stamp ``T``.
    lags_h : sequence of int, optional
        Lags [h], each in ``1 … known.window_h``.
    windows_h : sequence of int, optional
        Rolling windows [h], each in ``1 … known.window_h``.
    diurnal_days : int, optional
        Days of the diurnal profile (default 7).
    variables : sequence of str, optional
        Variables of ``known`` to use; default all (``wind_dir`` becomes ``wind_u`` and
        ``wind_v`` when ``wind_speed`` is there too, else it is left out).
    min_valid_fraction : float, optional
        Least valid fraction of a window for a statistic (module docstring).

    Returns
    -------
    issue_frame : pandas.DataFrame
        ``station`` (str), ``issued_at`` (UTC), the issue-level columns (float32) and
        ``hist_available`` (bool); station-major (the order of ``known.keys()``).
    lead_frame : pandas.DataFrame
        ``station``, ``issued_at``, ``lead_h`` (int64) and the diurnal-profile columns
        (float32) of the pollutants among the variables; sorted by station,
        issued_at, lead_h.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown variable, a lag, window, 24-h availability or diurnal profile
        longer than ``known.window_h``, a lead < 1, or a fraction outside (0, 1].
    """
    names = _variables(known, variables)
    leads_arr = _leads(leads)
    lags = _hours(lags_h, "lags_h", known.window_h)
    windows = _hours(windows_h, "windows_h", known.window_h)
    _hours([_AVAIL_H], "the 24-h availability", known.window_h)
    profile = _profile_lags(leads_arr, diurnal_days, known.window_h)
    if not 0.0 < min_valid_fraction <= 1.0:
        raise InputDataError(f"min_valid_fraction={min_valid_fraction!r} must be in (0, 1]")
    columns: dict[str, Float32] = {}
    lead_columns: dict[str, Float32] = {}
    available = np.zeros((len(known.issue_times), len(known.stations)), bool)
    for name, window in _series(known, names):
        stats = _WindowStats(window)
        available |= stats.count(_AVAIL_H) > 0
        columns.update(_issue_columns(name, window, stats, lags, windows, min_valid_fraction))
        if name in POLLUTANTS:
            day_mean = stats.mean(24 * diurnal_days, min_valid_fraction)
            lead_columns.update(
                _profile_columns(name, window, profile, day_mean, min_valid_fraction)
            )
    issue_frame = known.keys()
    issue_frame = pd.concat(
        [issue_frame, pd.DataFrame({k: _station_major(a) for k, a in columns.items()})], axis=1
    )
    issue_frame["hist_available"] = _station_major(available)
    return issue_frame, _lead_frame(known, leads_arr, lead_columns)


def min_valid_count(n: int, fraction: float, *, least: int = 1) -> int:
    """Least number of valid stamps for a statistic over ``n`` stamps.

    Examples
    --------
    >>> min_valid_count(24, 0.5), min_valid_count(3, 0.5), min_valid_count(3, 0.5, least=2)
    (12, 2, 2)
    """
    return max(least, math.ceil(fraction * n - 1e-9))


class _WindowStats:
    """Running counts, sums and maxima along the lag axis of one ``[issue, station, lag]``."""

    def __init__(self, window: Float32) -> None:
        valid = ~np.isnan(window)
        filled = np.where(valid, window, 0.0).astype(np.float64)
        self._count = np.cumsum(valid, axis=-1, dtype=np.int32)
        self._sum = np.cumsum(filled, axis=-1)
        self._squares = np.cumsum(filled * filled, axis=-1)
        self._max = np.fmax.accumulate(window, axis=-1)

    def count(self, hours: int) -> npt.NDArray[np.int32]:
        return self._count[..., hours - 1]

    def mean(self, hours: int, fraction: float) -> Float64:
        n = self.count(hours)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self._sum[..., hours - 1] / n
        return np.where(n >= min_valid_count(hours, fraction), mean, np.nan)

    def max(self, hours: int, fraction: float) -> Float32:
        ok = self.count(hours) >= min_valid_count(hours, fraction)
        return np.where(ok, self._max[..., hours - 1], np.float32(np.nan))

    def std(self, hours: int, fraction: float) -> Float64:
        n = self.count(hours).astype(np.float64)
        total = self._sum[..., hours - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = (self._squares[..., hours - 1] - total * total / n) / (n - 1.0)
        ok = n >= min_valid_count(hours, fraction, least=2)
        return np.where(ok, np.sqrt(np.maximum(variance, 0.0)), np.nan)


def _issue_columns(
    name: str,
    window: Float32,
    stats: _WindowStats,
    lags: list[int],
    windows: list[int],
    fraction: float,
) -> dict[str, Float32]:
    prefix = f"hist_{name}"
    out: dict[str, Float32] = {f"{prefix}_lag{k}": window[..., k - 1] for k in lags}
    for w in windows:
        out[f"{prefix}_mean{w}h"] = stats.mean(w, fraction).astype(np.float32)
        out[f"{prefix}_max{w}h"] = stats.max(w, fraction)
        out[f"{prefix}_std{w}h"] = stats.std(w, fraction).astype(np.float32)
    valid = ~np.isnan(window)
    newest = valid.argmax(axis=-1)
    seen = valid.any(axis=-1)
    last = np.take_along_axis(window, newest[..., None], axis=-1)[..., 0]
    out[f"{prefix}_last"] = np.where(seen, last, np.float32(np.nan))
    out[f"{prefix}_age_h"] = np.where(seen, newest + 1, np.nan).astype(np.float32)
    out[f"{prefix}_avail24"] = (stats.count(_AVAIL_H) / np.float32(_AVAIL_H)).astype(np.float32)
    return out


def _profile_columns(
    name: str, window: Float32, profile: npt.NDArray[np.intp], day_mean: Float64, fraction: float
) -> dict[str, Float32]:
    """Diurnal-profile columns ``[issue, station, lead]`` of one pollutant."""
    days = window[:, :, profile]  # [issue, station, lead, day]
    valid = ~np.isnan(days)
    n = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, days, 0.0).astype(np.float64).sum(axis=-1) / n
    mean = np.where(n >= min_valid_count(profile.shape[1], fraction), mean, np.nan)
    prefix = f"hist_{name}_samehour"
    return {
        f"{prefix}_d1": days[..., 0],
        f"{prefix}_mean{profile.shape[1]}d": mean.astype(np.float32),
        f"{prefix}_anom": (mean - day_mean[:, :, None]).astype(np.float32),
    }


def _profile_lags(leads: npt.NDArray[np.int64], days: int, window_h: int) -> npt.NDArray[np.intp]:
    """Lag index ``[lead, day]`` of ``valid_at - 24 k h``, ``k = ceil(h / 24) + day``."""
    if int(days) != days or days < 1:
        raise InputDataError(f"diurnal_days={days!r} must be a whole number >= 1")
    first_day = -(-leads // 24)  # ceil(h / 24): the newest day with the stamp <= T - 1 h
    k = first_day[:, None] + np.arange(int(days))[None, :]
    lag = 24 * k - leads[:, None]  # T - stamp = 24 k - h + 1 hours; the lag index is one less
    longest = int(lag.max()) + 1 if lag.size else 1
    _hours([longest, 24 * int(days)], "the diurnal profile", window_h)
    return lag.astype(np.intp)


def _series(known: KnownHistory, names: list[str]) -> list[tuple[str, Float32]]:
    """``(name, [issue, station, lag])`` per feature variable, wind as u and v."""
    out: list[tuple[str, Float32]] = [(n, known.variable(n)) for n in names if n not in _WIND]
    if "wind_u" in names:
        speed = known.variable("wind_speed")
        direction = known.variable("wind_dir")
        u, v = wind_components(speed, direction)
        calm = (speed == 0) & np.isnan(direction)
        out += [
            ("wind_u", np.where(calm, np.float32(0), u).astype(np.float32)),
            ("wind_v", np.where(calm, np.float32(0), v).astype(np.float32)),
        ]
    return out


def _variables(known: KnownHistory, variables: Sequence[str] | None) -> list[str]:
    asked = list(known.variables) if variables is None else [str(v) for v in variables]
    unknown = [v for v in asked if v not in known.variables]
    if unknown:
        raise InputDataError(
            f"variable(s) {unknown} are not in the history; choose from: "
            f"{', '.join(known.variables) or 'none'}"
        )
    names = [v for v in asked if v != "wind_dir"]
    if "wind_dir" in asked and "wind_speed" in known.variables:
        names += list(_WIND)
    return names


def _leads(leads: Sequence[int] | npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.int64]:
    values = np.unique(np.asarray(leads, dtype=np.int64))
    if values.size and values[0] < 1:
        raise InputDataError(f"lead {values[0]} h is not >= 1; lead 1 is the stamp T")
    return values


def _hours(hours: Sequence[int], what: str, window_h: int) -> list[int]:
    out = [int(h) for h in hours]
    bad = [h for h in out if not 1 <= h <= window_h]
    if bad:
        raise InputDataError(
            f"{what} needs {bad} h, outside 1 … window_h={window_h} h of the history; "
            "read the history with a longer window_h"
        )
    return out


def _station_major(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``[issue, station]`` to rows ordered by station, then issue."""
    return np.ascontiguousarray(array.T).ravel()


def _lead_frame(
    known: KnownHistory, leads: npt.NDArray[np.int64], columns: dict[str, Float32]
) -> pd.DataFrame:
    n_issue, n_station, n_lead = len(known.issue_times), len(known.stations), leads.size
    keys = pd.DataFrame(
        {
            "station": pd.Series(
                np.repeat(known.stations.to_numpy(), n_issue * n_lead), dtype="str"
            ),
            "issued_at": known.issue_times[
                np.tile(np.repeat(np.arange(n_issue), n_lead), n_station)
            ],
            "lead_h": np.tile(leads, n_issue * n_station),
        }
    )
    body = {k: np.ascontiguousarray(a.transpose(1, 0, 2)).ravel() for k, a in columns.items()}
    return pd.concat([keys, pd.DataFrame(body)], axis=1)
