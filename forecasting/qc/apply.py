"""Run every QC check over a tidy observation frame.

:func:`apply_qc` is the one orchestrator over the pure checks of
:mod:`forecasting.qc.checks` and :mod:`forecasting.qc.temporal`. It returns a
copy of the frame whose ``qc_flags`` combine the flags already there (set by
the parser from publisher metadata: maintenance, extreme-value filter) with
the findings of QC. Values are never changed, rows never dropped.

Series checks (stuck, spike, stale) see only the rows of the frame: when a
file is ingested, the context is that file.

References
----------
.. [1] shared/data/README.md (2026-11-23), quirks of the shared files.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.qc.checks import flag_pm25_gt_pm10, flag_values
from forecasting.qc.flags import QcFlag
from forecasting.qc.rules import QcRules, VariableRule, default_qc_rules
from forecasting.qc.temporal import flag_spike, flag_stale, flag_stuck, series_segments

__all__ = ["QC_INPUT_COLUMNS", "apply_qc", "epoch_seconds"]

QC_INPUT_COLUMNS = ("station", "variable", "valid_at", "value")
_HARD = int(QcFlag.NEGATIVE | QcFlag.OUT_OF_RANGE | QcFlag.CEILING | QcFlag.PUBLISHER_FILTERED)


def epoch_seconds(valid_at: pd.Series) -> npt.NDArray[np.int64]:
    """Return tz-aware times as whole seconds since 1970-01-01 UTC.

    Parameters
    ----------
    valid_at : pandas.Series
        Timezone-aware datetimes.

    Returns
    -------
    ndarray of int64
        Seconds since the epoch [s].
    """
    utc = valid_at.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(utc.to_numpy(dtype="datetime64[s]"), dtype=np.int64)


def apply_qc(frame: pd.DataFrame, rules: QcRules | None = None) -> pd.DataFrame:
    """Flag a tidy observation frame with every QC check.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``station``, ``variable``, ``valid_at`` (tz-aware), ``value``
        (canonical units) and optionally ``qc_flags`` (int, kept and extended).
        Other columns are carried along. One row per station, variable and
        time.
    rules : QcRules, optional
        Thresholds; default the packaged rules (:func:`default_qc_rules`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` (same index and row order) with ``qc_flags``
        (int64). Variables without a rule get no new flags.

    Raises
    ------
    forecasting.errors.InputDataError
        When a required column is missing or ``valid_at`` is not tz-aware.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({
    ...     "station": ["A", "A"], "variable": ["pm25", "pm10"],
    ...     "valid_at": pd.to_datetime(["2013-03-01T00:00+08:00"] * 2, utc=True),
    ...     "value": [80.0, 60.0]})
    >>> apply_qc(obs)["qc_flags"].tolist()
    [32, 32]
    """
    rules = rules or default_qc_rules()
    missing = [c for c in QC_INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"QC needs column(s) {', '.join(missing)}; required: {', '.join(QC_INPUT_COLUMNS)}"
        )
    if not isinstance(frame["valid_at"].dtype, pd.DatetimeTZDtype):
        raise InputDataError(
            f"QC needs a timezone-aware 'valid_at'; got dtype {frame['valid_at'].dtype}"
        )
    n = len(frame)
    flags = np.zeros(n, dtype=np.int64)
    if "qc_flags" in frame.columns:
        flags |= np.asarray(frame["qc_flags"], dtype=np.int64)
    if n:
        station, _ = pd.factorize(frame["station"])
        variable, names = pd.factorize(frame["variable"])
        times = epoch_seconds(frame["valid_at"])
        values = np.asarray(frame["value"], dtype=np.float64)
        order = np.lexsort((times, station, variable))
        sorted_var = variable[order]
        bounds = np.searchsorted(sorted_var, np.arange(len(names) + 1))
        for code, name in enumerate(names):
            if str(name) not in rules.variables:
                continue
            rows = order[bounds[code] : bounds[code + 1]]
            flags[rows] |= _flag_series(
                values[rows], station[rows], times[rows], flags[rows], rules, str(name)
            )
        name_list = [str(x) for x in names]
        flags |= _consistency(variable, name_list, station, times, values, rules)
        flags |= _stale(variable, name_list, station, times, rules)
    out = frame.copy()
    out["qc_flags"] = flags
    return out


def _flag_series(
    values: npt.NDArray[np.float64],
    station: npt.NDArray[np.int64],
    times: npt.NDArray[np.int64],
    existing: npt.NDArray[np.int64],
    rules: QcRules,
    name: str,
) -> npt.NDArray[np.int64]:
    rule: VariableRule = rules.variable(name)
    found = flag_values(values, rule)
    present = ~np.isnan(values)
    if not present.any() or (rule.stuck_hours is None and rule.spike_floor is None):
        return found
    idx = np.flatnonzero(present)
    segments = series_segments(station[idx], times[idx], rules.domains[rule.domain].max_gap_hours)
    if rule.stuck_hours is not None:
        stuck = flag_stuck(
            values[idx],
            times[idx],
            segments,
            min_hours=rule.stuck_hours,
            min_value=rule.stuck_min_value,
        )
        found[idx[stuck]] |= np.int64(QcFlag.STUCK)
    if rule.spike_floor is not None:
        usable = np.where(((found | existing)[idx] & _HARD) == 0, values[idx], np.nan)
        spike = flag_spike(
            usable,
            segments,
            window=rules.spike.window,
            min_periods=rules.spike.min_periods,
            k=rules.spike.k,
            floor=rule.spike_floor,
        )
        found[idx[spike]] |= np.int64(QcFlag.SPIKE)
    return found


def _codes_of(
    variable: npt.NDArray[np.int64], names: list[str], wanted: list[str]
) -> npt.NDArray[np.int64]:
    codes = [i for i, name in enumerate(names) if name in wanted]
    return np.flatnonzero(np.isin(variable, codes))


def _consistency(
    variable: npt.NDArray[np.int64],
    names: list[str],
    station: npt.NDArray[np.int64],
    times: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    rules: QcRules,
) -> npt.NDArray[np.int64]:
    out = np.zeros(variable.size, dtype=np.int64)
    pm25 = _codes_of(variable, names, ["pm25"])
    pm10 = _codes_of(variable, names, ["pm10"])
    if pm25.size == 0 or pm10.size == 0:
        return out
    left = pd.DataFrame({"s": station[pm25], "t": times[pm25], "row25": pm25})
    right = pd.DataFrame({"s": station[pm10], "t": times[pm10], "row10": pm10})
    pairs = left.merge(right, on=["s", "t"], how="inner")
    row25 = pairs["row25"].to_numpy()
    row10 = pairs["row10"].to_numpy()
    bad = flag_pm25_gt_pm10(values[row25], values[row10], rules.pm25_gt_pm10_tolerance)
    out[row25[bad]] |= np.int64(QcFlag.PM25_GT_PM10)
    out[row10[bad]] |= np.int64(QcFlag.PM25_GT_PM10)
    return out


def _stale(
    variable: npt.NDArray[np.int64],
    names: list[str],
    station: npt.NDArray[np.int64],
    times: npt.NDArray[np.int64],
    rules: QcRules,
) -> npt.NDArray[np.int64]:
    out = np.zeros(variable.size, dtype=np.int64)
    for domain, setting in rules.domains.items():
        if setting.stale_gap_hours is None:
            continue
        members = [k for k, v in rules.variables.items() if v.domain == domain]
        rows = _codes_of(variable, names, members)
        if rows.size == 0:
            continue
        keys = pd.DataFrame({"s": station[rows], "t": times[rows]})
        unique = keys.drop_duplicates().sort_values(["s", "t"])
        stale = flag_stale(
            unique["s"].to_numpy(dtype=np.int64),
            unique["t"].to_numpy(dtype=np.int64),
            gap_hours=setting.stale_gap_hours,
            end=int(times[rows].max()),
        )
        hit = unique.loc[stale]
        if hit.empty:
            continue
        marked = keys.merge(hit.assign(_hit=True), on=["s", "t"], how="left")["_hit"]
        out[rows[marked.notna().to_numpy()]] |= np.int64(QcFlag.STALE)
    return out
