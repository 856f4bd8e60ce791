"""Meteorological feature family ``met_*``: forecast fields at stations, leakage-free.

One row per (station, issue time ``T``, lead ``h``) with ``valid_at = T +
(h - 1) h``. A forecast source uses, for each ``T``, the latest cycle
published by ``T`` (``cycle + availability_delay <= T``) at step ``valid_at -
cycle``, falling back to earlier published cycles only (see
:mod:`features.meteo_select`); nothing issued after ``T - delay`` can reach
the features of ``T``. Analyses and station observations at the valid time
can stand in for a forecast in backtests only when asked for
(``source="analysis"`` or ``"station_obs"``), and then every row says
``met_source = "perfect prognosis"`` and so do the frame's ``attrs``.

Columns (float64 unless noted), NaN where the inputs do not allow them:

=====================  ==========  =============================================
column                 unit        from
=====================  ==========  =============================================
``met_temp_air``       [°C]        2 m temperature
``met_dew_point``      [°C]        2 m dew point
``met_rh``             [%]         field, else from T and Td (Bolton 1980)
``met_u10/v10``        [m s⁻¹]     field, else from speed and direction
``met_wind_speed``     [m s⁻¹]     field, else ``hypot(u, v)``
``met_wind_dir``       [degree]    field, else from u and v (from, N = 0)
``met_pressure``       [hPa]       surface pressure
``met_pressure_msl``   [hPa]       mean-sea-level pressure
``met_precip_rate``    [mm h⁻¹]    mean over the step ending at the valid time
``met_blh``            [m]         boundary-layer height
``met_ventilation``    [m² s⁻¹]    ``blh × wind_speed`` (needs BLH)
``met_stability``      [K]         ``θ(850 hPa) − θ(surface)`` (needs T850, T, p)
``met_step_h``         [h]         forecast step used (NaN for perfect prognosis)
``met_available``      bool        a cycle/time with data was found
``met_source``         str         ``"forecast"`` or ``"perfect prognosis"``
=====================  ==========  =============================================

Every column is always present (NaN where a field is missing), so models
trained on one source can be applied to another.

This module also re-exports the public API of its parts: reading
(:mod:`features.meteo_read`), cycle selection (:mod:`features.meteo_select`),
interpolation (:mod:`features.meteo_interp`) and derived quantities
(:mod:`features.meteo_derived`).

References
----------
.. [1] shared/docs/product.md, "Forecast protocol (air)": issue time, leads
   1-72, observations known at ``T``.
.. [2] Klein, W. H. and Glahn, H. R. (1974) Forecasting local weather by means
   of model output statistics. Bull. Amer. Meteor. Soc. 55, 1217-1227 (perfect
   prognosis versus MOS).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from features.meteo_derived import (
    deaccumulate_precip,
    potential_temperature,
    precip_rate,
    relative_humidity,
    stability_index,
    step_intervals_h,
    ventilation_index,
    wind_components,
    wind_speed_direction,
)
from features.meteo_interp import InterpMethod, interpolate_to_stations, station_table
from features.meteo_read import (
    PERFECT_PROGNOSIS,
    canonicalize_met_dataset,
    describe_met_dataset,
    open_met_dataset,
)
from features.meteo_select import (
    DEFAULT_AVAILABILITY_DELAY,
    DEFAULT_MAX_FALLBACK_CYCLES,
    TimesLike,
    candidate_cycle,
    fields_at_leads,
    lookup_exact,
    select_cycle,
    utc_nanoseconds,
)
from forecasting.errors import InputDataError

__all__ = [  # the family's own functions, then the public API of its sub-modules
    "FIELD_VARIABLES",
    "MET_COLUMNS",
    "MetSource",
    "met_features",
    "station_weather_features",
    "DEFAULT_AVAILABILITY_DELAY",
    "PERFECT_PROGNOSIS",
    "canonicalize_met_dataset",
    "deaccumulate_precip",
    "describe_met_dataset",
    "fields_at_leads",
    "interpolate_to_stations",
    "open_met_dataset",
    "potential_temperature",
    "relative_humidity",
    "select_cycle",
    "stability_index",
    "ventilation_index",
    "wind_components",
    "wind_speed_direction",
]

MetSource = Literal["forecast", "analysis", "station_obs"]
_SOURCES: tuple[str, ...] = get_args(MetSource)
#: Canonical variables the features read (any subset may be present).
FIELD_VARIABLES: tuple[str, ...] = (
    "temp_air",
    "dew_point",
    "rh",
    "u10",
    "v10",
    "wind_speed",
    "wind_dir",
    "pressure",
    "pressure_msl",
    "precip",
    "blh",
    "temp_850",
)
#: Numeric feature columns, in output order (then ``met_available``, ``met_source``).
MET_COLUMNS: tuple[str, ...] = (
    "met_temp_air",
    "met_dew_point",
    "met_rh",
    "met_u10",
    "met_v10",
    "met_wind_speed",
    "met_wind_dir",
    "met_pressure",
    "met_pressure_msl",
    "met_precip_rate",
    "met_blh",
    "met_ventilation",
    "met_stability",
    "met_step_h",
)
_STATION_OBS = ("temp_air", "dew_point", "pressure", "rain", "wind_speed", "wind_dir")
_HOUR = np.timedelta64(3_600_000_000_000, "ns")
_UPPER_HPA = 850.0

FloatArray = npt.NDArray[np.float64]


def met_features(
    ds: xr.Dataset | pd.DataFrame,
    stations: pd.DataFrame,
    issue_times: TimesLike,
    leads: Sequence[int] | npt.NDArray[np.integer[Any]],
    *,
    source: MetSource = "forecast",
    method: InterpMethod = "bilinear",
    availability_delay: pd.Timedelta = DEFAULT_AVAILABILITY_DELAY,
    max_fallback_cycles: int = DEFAULT_MAX_FALLBACK_CYCLES,
) -> pd.DataFrame:
    """Meteorological features per station, issue time and lead.

    Parameters
    ----------
    ds : xarray.Dataset or pandas.DataFrame
        A canonical forecast dataset (``source="forecast"``), a canonical
        analysis (``"analysis"``), or for ``"station_obs"`` the wide station
        weather frame of ``Store.read_observations_wide`` (``station``,
        ``valid_at`` and any of ``temp_air, pressure, dew_point, rain,
        wind_speed, wind_dir``).
    stations : pandas.DataFrame
        ``station``, ``latitude`` [degrees north], ``longitude`` [degrees east].
    issue_times : sequence of datetime
        Timezone-aware issue times ``T``.
    leads : sequence of int
        Leads ``h`` >= 1 [h]; lead 1 is the stamp ``T``.
    source : {"forecast", "analysis", "station_obs"}, optional
        ``"forecast"`` (default) is leakage-free. The other two are perfect
        prognosis: values at the valid time, labelled as such.
    method : {"bilinear", "nearest"}, optional
        Interpolation to stations.
    availability_delay : pandas.Timedelta, optional
        Publication delay of a cycle (forecast source); default 6 h.
    max_fallback_cycles : int, optional
        Earlier published cycles tried when the latest lacks the step or has
        no data at the station (forecast source); default 2.

    Returns
    -------
    pandas.DataFrame
        ``station`` (str), ``issued_at`` (UTC), ``lead_h`` (int64), the
        :data:`MET_COLUMNS`, ``met_available`` (bool) and ``met_source``
        (str), sorted by station, issued_at, lead_h. ``attrs["met_source"]``
        carries the label and ``attrs["met_input"]`` the source.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown source, an input of the wrong kind for it (an analysis
        never stands in for a forecast unless asked for), naive times,
        repeated issue times or leads, or leads below 1.

    See Also
    --------
    features.meteo_select.fields_at_leads : The same cycle rule on any dataset.
    station_weather_features : Station observations as perfect prognosis.
    """
    _check_source(ds, source)
    issue = _unique(utc_nanoseconds(issue_times, "issue_times"), "issue_times")
    lead = _leads(leads)
    if isinstance(ds, pd.DataFrame):
        return station_weather_features(ds, _keys(station_table(stations), issue, lead))
    table = station_table(stations)
    present = [v for v in FIELD_VARIABLES if v in ds.data_vars]
    fields = _with_precip_rate(interpolate_to_stations(ds[present], table, method), source)
    valid = (issue[:, None] + (lead[None, :] - 1) * _HOUR).ravel().astype("datetime64[ns]")
    if source == "forecast":
        issue_rows = np.repeat(issue, lead.size)
        values, step_h = _forecast_values(
            fields, issue_rows, valid, pd.Timedelta(availability_delay), max_fallback_cycles
        )
    else:
        values, step_h = _analysis_values(fields, valid)
    columns = _derived(values)
    columns["met_step_h"] = step_h
    label = "forecast" if source == "forecast" else PERFECT_PROGNOSIS
    frame = _frame(table, issue, lead, columns, label)
    frame.attrs.update(met_source=label, met_input=source)
    return frame


def station_weather_features(weather_wide: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Station weather observations at the valid time, labelled perfect prognosis.

    Parameters
    ----------
    weather_wide : pandas.DataFrame
        ``station``, ``valid_at`` (timezone-aware) and any of ``temp_air``
        [°C], ``dew_point`` [°C], ``pressure`` [hPa], ``rain`` [mm in the hour
        ending at ``valid_at``], ``wind_speed`` [m s⁻¹], ``wind_dir``
        [degree, from, N = 0] (the store's names for the Beijing file's
        TEMP, DEWP, PRES, RAIN, WSPM, wd).
    keys : pandas.DataFrame
        Rows to fill: ``station``, ``issued_at`` (timezone-aware), ``lead_h``.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``keys`` (same index): ``station``, ``issued_at``,
        ``lead_h``, :data:`MET_COLUMNS`, ``met_available`` and ``met_source``
        = ``"perfect prognosis"`` (also in ``attrs``). Observations are known
        only after the valid time, so these features are never leakage-free:
        use them only when an experiment asks for perfect prognosis.

    Raises
    ------
    forecasting.errors.InputDataError
        For missing key columns or repeated (station, valid_at) rows.
    """
    for frame, needed, name in (
        (keys, ("station", "issued_at", "lead_h"), "keys"),
        (weather_wide, ("station", "valid_at"), "weather_wide"),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputDataError(f"{name} lacks column(s) {missing}; needs {', '.join(needed)}")
    issued = utc_nanoseconds(keys["issued_at"], "keys.issued_at")
    valid = issued + (keys["lead_h"].to_numpy(np.int64) - 1) * _HOUR
    observed = weather_wide.loc[
        :, ["station", "valid_at", *[c for c in _STATION_OBS if c in weather_wide]]
    ]
    observed = observed.assign(
        station=observed["station"].astype(str),
        valid_at=utc_nanoseconds(observed["valid_at"], "weather_wide.valid_at"),
    )
    repeated = observed.duplicated(["station", "valid_at"])
    if repeated.any():
        first = observed.loc[repeated].iloc[0]
        raise InputDataError(
            f"weather_wide repeats station {first['station']!r} at {first['valid_at']} "
            f"(row {observed.index[repeated][0]}); give one row per station and hour"
        )
    wanted = pd.DataFrame({"station": keys["station"].astype(str).to_numpy(), "valid_at": valid})
    merged = wanted.merge(observed, on=["station", "valid_at"], how="left", validate="many_to_one")
    values = {c: merged[c].to_numpy(np.float64) for c in _STATION_OBS if c in merged}
    if "rain" in values:
        rain = values.pop("rain")
        values["precip_rate"] = precip_rate(rain, np.ones_like(rain))
    columns = _derived(values)
    columns["met_step_h"] = np.full(len(keys), np.nan)
    result = pd.DataFrame(
        {
            "station": keys["station"].astype(str).to_numpy(),
            "issued_at": pd.DatetimeIndex(issued).tz_localize("UTC"),
            "lead_h": keys["lead_h"].to_numpy(np.int64),
        },
        index=keys.index,
    )
    result = _attach(result, columns, PERFECT_PROGNOSIS)
    result.attrs.update(met_source=PERFECT_PROGNOSIS, met_input="station_obs")
    return result


# --- value selection ----------------------------------------------------------------------


def _forecast_values(
    fields: xr.Dataset,
    issue: npt.NDArray[np.datetime64],
    valid: npt.NDArray[np.datetime64],
    delay: pd.Timedelta,
    max_fallback_cycles: int,
) -> tuple[dict[str, FloatArray], FloatArray]:
    if delay < pd.Timedelta(0):
        raise InputDataError(f"availability_delay {delay} is negative; that would leak the future")
    cycles = fields["issue_time"].values.astype("datetime64[ns]")
    steps = fields["step"].values.astype("timedelta64[ns]")
    shape = (valid.size, fields.sizes["station"])
    values = {str(v): np.full(shape, np.nan) for v in fields.data_vars}
    step_h = np.full(shape, np.nan)
    done = np.zeros(shape, dtype=bool)
    for rank in range(max(0, int(max_fallback_cycles)) + 1):
        cycle = candidate_cycle(cycles, issue, delay, rank)
        step = np.where(cycle >= 0, lookup_exact(steps, valid - cycles[cycle.clip(0)]), -1)
        rows = np.flatnonzero((step >= 0) & ~done.all(axis=1))
        if rows.size == 0:
            continue
        pairs, inverse = np.unique(cycle[rows] * steps.size + step[rows], return_inverse=True)
        block = _pointwise(fields, issue_time=pairs // steps.size, step=pairs % steps.size)
        hours = (steps[pairs % steps.size] / _HOUR).astype(np.float64)[inverse]
        _fill(values, step_h, done, rows, {k: v[inverse] for k, v in block.items()}, hours)
    return values, step_h


def _analysis_values(
    fields: xr.Dataset, valid: npt.NDArray[np.datetime64]
) -> tuple[dict[str, FloatArray], FloatArray]:
    times = fields["valid_time"].values.astype("datetime64[ns]")
    shape = (valid.size, fields.sizes["station"])
    values = {str(v): np.full(shape, np.nan) for v in fields.data_vars}
    step_h = np.full(shape, np.nan)
    index = lookup_exact(times, valid)
    rows = np.flatnonzero(index >= 0)
    if rows.size:
        pairs, inverse = np.unique(index[rows], return_inverse=True)
        block = _pointwise(fields, valid_time=pairs)
        nan_steps = np.full(rows.size, np.nan)
        _fill(
            values,
            step_h,
            np.zeros(shape, bool),
            rows,
            {k: v[inverse] for k, v in block.items()},
            nan_steps,
        )
    return values, step_h


def _pointwise(fields: xr.Dataset, **indexers: npt.NDArray[np.int64]) -> dict[str, FloatArray]:
    if fields.sizes["station"] == 0:
        size = next(iter(indexers.values())).size
        return {str(v): np.empty((size, 0)) for v in fields.data_vars}
    picks = {dim: xr.DataArray(index, dims="pair") for dim, index in indexers.items()}
    computed = fields.isel(picks).compute()
    return {
        str(v): np.asarray(computed[v].transpose("pair", "station").values, dtype=np.float64)
        for v in computed.data_vars
    }


def _fill(
    values: dict[str, FloatArray],
    step_h: FloatArray,
    done: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.intp],
    block: dict[str, FloatArray],
    hours: FloatArray,
) -> None:
    has_data = np.zeros(done[rows].shape, dtype=bool)
    for array in block.values():
        has_data |= np.isfinite(array)
    take = has_data & ~done[rows]
    for name, array in block.items():
        values[name][rows] = np.where(take, array, values[name][rows])
    step_h[rows] = np.where(take, hours[:, None], step_h[rows])
    done[rows] |= take


def _with_precip_rate(fields: xr.Dataset, source: str) -> xr.Dataset:
    if "precip" not in fields:
        return fields
    precip = fields["precip"]
    accumulation = precip.attrs.get("accumulation")
    if accumulation == "rate":
        rate = precip
    elif source == "forecast":
        amount = deaccumulate_precip(precip) if accumulation == "since_cycle_start" else precip
        rate = precip_rate(amount, step_intervals_h(fields["step"]))
    else:
        rate = precip_rate(precip, step_intervals_h(fields["valid_time"], first_from_zero=False))
    return fields.drop_vars("precip").assign(precip_rate=rate)


# --- derived columns and the frame --------------------------------------------------------


def _derived(values: dict[str, FloatArray]) -> dict[str, FloatArray]:
    shape = next(iter(values.values())).shape if values else (0,)
    nan = np.full(shape, np.nan)

    def get(name: str) -> FloatArray:
        return values.get(name, nan)

    temp, dew = get("temp_air"), get("dew_point")
    u, v = get("u10"), get("v10")
    speed_uv, dir_uv = wind_speed_direction(u, v)
    speed = _first(get("wind_speed"), speed_uv)
    direction = _first(get("wind_dir"), dir_uv)
    u_sd, v_sd = wind_components(speed, direction)
    pressure = get("pressure")
    return {
        "met_temp_air": temp,
        "met_dew_point": dew,
        "met_rh": _first(get("rh"), relative_humidity(temp, dew)),
        "met_u10": _first(u, u_sd),
        "met_v10": _first(v, v_sd),
        "met_wind_speed": speed,
        "met_wind_dir": direction,
        "met_pressure": pressure,
        "met_pressure_msl": get("pressure_msl"),
        "met_precip_rate": get("precip_rate"),
        "met_blh": get("blh"),
        "met_ventilation": ventilation_index(get("blh"), speed),
        "met_stability": stability_index(
            get("temp_850"), np.full_like(temp, _UPPER_HPA), temp, pressure
        ),
    }


def _first(preferred: FloatArray, fallback: FloatArray) -> FloatArray:
    return np.where(np.isfinite(preferred), preferred, fallback).astype(np.float64)


def _frame(
    table: pd.DataFrame,
    issue: npt.NDArray[np.datetime64],
    lead: npt.NDArray[np.int64],
    columns: dict[str, FloatArray],
    label: str,
) -> pd.DataFrame:
    flat = {name: array.T.ravel() for name, array in columns.items()}
    frame = _attach(_keys(table, issue, lead), flat, label)
    return frame.sort_values(["station", "issued_at", "lead_h"], kind="stable", ignore_index=True)


def _attach(keys: pd.DataFrame, columns: dict[str, FloatArray], label: str) -> pd.DataFrame:
    data = {name: np.asarray(columns[name], dtype=np.float64) for name in MET_COLUMNS}
    measured = [c for c in MET_COLUMNS if c != "met_step_h"]
    available = np.zeros(len(keys), dtype=bool)
    for name in measured:
        available |= np.isfinite(data[name])
    extra = pd.DataFrame(data, index=keys.index).assign(met_available=available, met_source=label)
    return pd.concat([keys, extra], axis=1)


def _keys(
    table: pd.DataFrame, issue: npt.NDArray[np.datetime64], lead: npt.NDArray[np.int64]
) -> pd.DataFrame:
    n_combo = issue.size * lead.size
    return pd.DataFrame(
        {
            "station": np.repeat(table["station"].to_numpy(dtype=object), n_combo).astype(str),
            "issued_at": pd.DatetimeIndex(
                np.tile(np.repeat(issue, lead.size), len(table))
            ).tz_localize("UTC"),
            "lead_h": np.tile(lead, issue.size * len(table)),
        }
    )


def _check_source(ds: xr.Dataset | pd.DataFrame, source: str) -> None:
    if source not in _SOURCES:
        raise InputDataError(f"unknown met source {source!r}; choose one of: {', '.join(_SOURCES)}")
    if source == "station_obs":
        if not isinstance(ds, pd.DataFrame):
            raise InputDataError("source='station_obs' takes the wide station weather DataFrame")
        return
    if not isinstance(ds, xr.Dataset):
        raise InputDataError(
            f"source={source!r} takes a canonical xarray Dataset (open_met_dataset)"
        )
    is_forecast = "issue_time" in ds.dims and "step" in ds.dims
    if source == "forecast" and not is_forecast:
        raise InputDataError(
            f"source='forecast' needs forecast fields (issue_time, step); this dataset has dims "
            f"{dict(ds.sizes)} (label {ds.attrs.get('met_label', 'unknown')!r}). An analysis may "
            "stand in for a forecast only as perfect prognosis: pass source='analysis'"
        )
    if source == "analysis" and (is_forecast or "valid_time" not in ds.dims):
        raise InputDataError(
            "source='analysis' needs an analysis with a valid_time dimension; got dims "
            f"{dict(ds.sizes)}"
        )


def _leads(leads: Sequence[int] | npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.int64]:
    values = np.asarray(leads)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer) or (values < 1).any():
        raise InputDataError(
            f"leads must be integers >= 1 (lead 1 is the issue stamp); got {list(values)[:5]}"
        )
    return _unique(values.astype(np.int64), "leads")


def _unique(values: npt.NDArray[Any], what: str) -> npt.NDArray[Any]:
    unique = np.unique(values)
    if unique.size < values.size:
        raise InputDataError(f"{what} repeat values; give each once")
    return values
