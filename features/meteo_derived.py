"""Derived meteorological quantities: humidity, wind, precipitation, ventilation, stability.

Pure, vectorised functions that work elementwise on numpy arrays, pandas
Series and xarray DataArrays (dask-backed ones stay lazy). Temperatures are in
[°C], pressures in [hPa], wind in [m s⁻¹], directions in [degree] clockwise
from north, the direction the wind blows FROM (the meteorological convention).

References
----------
.. [1] Bolton, D. (1980) The computation of equivalent potential temperature.
   Monthly Weather Review 108, 1046-1053, eq. (10).
   https://doi.org/10.1175/1520-0493(1980)108<1046:TCOEPT>2.0.CO;2
.. [2] WMO (2018) Guide to Instruments and Methods of Observation (WMO-No. 8),
   Vol. I, chapter 5 "Measurement of surface wind" (direction the wind comes from).
.. [3] Wallace, J. M. and Hobbs, P. V. (2006) Atmospheric Science, 2nd ed.,
   eq. (3.54) (potential temperature, R_d/c_p = 0.286).
.. [4] Klein, S. A. and Hartmann, D. L. (1993) The seasonal cycle of low
   stratiform clouds. Journal of Climate 6, 1587-1606 (lower-tropospheric
   stability as a potential-temperature difference).
.. [5] Gross, E. (1970) The National Air Pollution Potential Forecast Program.
   ESSA Technical Memorandum WBTM NMC 47 (ventilation index = mixing height
   times transport wind speed).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "KAPPA",
    "deaccumulate_precip",
    "potential_temperature",
    "precip_rate",
    "relative_humidity",
    "saturation_vapor_pressure",
    "stability_index",
    "step_intervals_h",
    "ventilation_index",
    "wind_components",
    "wind_speed_direction",
]

#: R_d / c_p for dry air [1] (Wallace and Hobbs 2006, eq. 3.54).
KAPPA = 0.2857
#: Bolton (1980) eq. (10) coefficients: e_s = A exp(B T / (T + C)), T [°C], e_s [hPa].
_BOLTON_A, _BOLTON_B, _BOLTON_C = 6.112, 17.67, 243.5
_KELVIN = 273.15
_REFERENCE_HPA = 1000.0

Field = TypeVar("Field", np.ndarray[Any, Any], pd.Series, xr.DataArray, float)


def saturation_vapor_pressure(temp_c: Field) -> Field:
    """Saturation vapour pressure over liquid water.

    Parameters
    ----------
    temp_c : array-like
        Temperature [°C].

    Returns
    -------
    array-like
        Saturation vapour pressure [hPa].

    Notes
    -----
    ``e_s = 6.112 exp(17.67 T / (T + 243.5))`` [1]_, accurate to 0.1 % for
    −35 °C ≤ T ≤ 35 °C.

    References
    ----------
    .. [1] Bolton (1980), Mon. Wea. Rev. 108, eq. (10).

    Examples
    --------
    >>> round(float(saturation_vapor_pressure(0.0)), 3)
    6.112
    """
    result: Any = _BOLTON_A * np.exp(_BOLTON_B * temp_c / (temp_c + _BOLTON_C))
    return cast(Field, result)


def relative_humidity(temp_c: Field, dew_point_c: Field) -> Field:
    """Relative humidity from temperature and dew point.

    Parameters
    ----------
    temp_c : array-like
        Air temperature [°C].
    dew_point_c : array-like
        Dew-point temperature [°C].

    Returns
    -------
    array-like
        Relative humidity [%], ``100 e_s(T_d) / e_s(T)``; not clipped, so a
        dew point above the temperature (a data error) shows as RH > 100.

    References
    ----------
    .. [1] Bolton (1980), Mon. Wea. Rev. 108, eq. (10), for ``e_s``.

    Examples
    --------
    >>> float(relative_humidity(20.0, 20.0))
    100.0
    """
    ratio = saturation_vapor_pressure(dew_point_c) / saturation_vapor_pressure(temp_c)
    result: Any = 100.0 * ratio
    return cast(Field, result)


def wind_components(speed: Field, direction_deg: Field) -> tuple[Field, Field]:
    """Eastward and northward wind from speed and direction.

    Parameters
    ----------
    speed : array-like
        Wind speed [m s⁻¹].
    direction_deg : array-like
        Direction the wind blows FROM [degree], clockwise from north [1]_.

    Returns
    -------
    u, v : array-like
        Eastward and northward components [m s⁻¹]:
        ``u = -speed sin(dir)``, ``v = -speed cos(dir)``.

    References
    ----------
    .. [1] WMO-No. 8 (2018), Vol. I, chapter 5.

    Examples
    --------
    >>> u, v = wind_components(10.0, 270.0)  # a west wind blows towards the east
    >>> round(float(u), 6), round(float(v), 6)
    (10.0, 0.0)
    """
    radians = np.deg2rad(direction_deg)
    u: Any = -speed * np.sin(radians)
    v: Any = -speed * np.cos(radians)
    return cast(Field, u), cast(Field, v)


def wind_speed_direction(u: Field, v: Field) -> tuple[Field, Field]:
    """Wind speed and direction from the eastward and northward components.

    Parameters
    ----------
    u, v : array-like
        Eastward and northward wind [m s⁻¹].

    Returns
    -------
    speed : array-like
        ``hypot(u, v)`` [m s⁻¹].
    direction : array-like
        Direction the wind blows FROM [degree] in [0, 360), north = 0,
        clockwise [1]_; NaN for a calm (speed 0), where it is undefined.

    References
    ----------
    .. [1] WMO-No. 8 (2018), Vol. I, chapter 5.

    Examples
    --------
    >>> speed, direction = wind_speed_direction(0.0, -5.0)  # blowing to the south
    >>> float(speed), float(direction)
    (5.0, 0.0)
    """
    speed = np.hypot(u, v)
    direction = np.mod(np.rad2deg(np.arctan2(-u, -v)), 360.0)
    direction = _where(direction >= 360.0, 0.0, direction)
    calm_masked: Any = _where(speed == 0, np.nan, direction)
    return cast(Field, speed), cast(Field, calm_masked)


def step_intervals_h(steps: xr.DataArray, *, first_from_zero: bool = True) -> xr.DataArray:
    """Length of the interval that ends at each step or time [h].

    Parameters
    ----------
    steps : xarray.DataArray
        A 1-D ``timedelta64`` (forecast steps) or ``datetime64`` (analysis
        times) coordinate, ascending.
    first_from_zero : bool, optional
        For steps: the first interval runs from the cycle start (step 0) to
        the first step, and is NaN when that step is 0. With ``False`` (times)
        the first interval is taken equal to the second.

    Returns
    -------
    xarray.DataArray
        Interval lengths [h] along the same dim.
    """
    values = steps.values
    hours = np.diff(values) / np.timedelta64(1, "h")
    if first_from_zero:
        first = float(values[0] / np.timedelta64(1, "h")) if values.size else np.nan
    else:
        first = float(hours[0]) if hours.size else np.nan
    lengths = np.concatenate(([first if first > 0 else np.nan], hours)).astype(np.float64)
    return xr.DataArray(lengths, dims=steps.dims, coords={steps.dims[0]: values})


def deaccumulate_precip(accumulated: xr.DataArray, dim: str = "step") -> xr.DataArray:
    """Precipitation amount per step from an accumulation since the cycle start.

    Parameters
    ----------
    accumulated : xarray.DataArray
        Precipitation accumulated from the cycle start to each step [mm].
    dim : str, optional
        The step dimension (``timedelta64`` coordinate).

    Returns
    -------
    xarray.DataArray
        Amount over the interval ending at each step [mm]: ``A(s_k) -
        A(s_{k-1})``; at the first step ``A(s_0)`` (the interval from the
        cycle start), NaN when ``s_0`` is 0. Small negative differences (GRIB
        packing noise) are set to 0. Lazy for dask-backed input.

    Examples
    --------
    >>> acc = xr.DataArray([0.0, 1.0, 3.0], dims="step",
    ...     coords={"step": np.array([0, 1, 3], "timedelta64[h]").astype("timedelta64[ns]")})
    >>> deaccumulate_precip(acc).values.tolist()
    [nan, 1.0, 2.0]
    """
    first = accumulated.isel({dim: slice(0, 1)})
    zero_start = accumulated[dim].values[:1] == np.timedelta64(0, "ns")
    first = first.where(xr.DataArray(~zero_start, dims=dim, coords={dim: first[dim].values}))
    rest = accumulated.diff(dim, label="upper")
    amount = xr.concat([first, rest], dim=dim)
    return amount.clip(min=0.0).assign_attrs(accumulated.attrs, accumulation="per_step")


def precip_rate(amount: Field, interval_h: Field) -> Field:
    """Mean precipitation rate over an interval.

    Parameters
    ----------
    amount : array-like
        Precipitation over the interval [mm].
    interval_h : array-like
        Interval length [h]; NaN or 0 gives NaN.

    Returns
    -------
    array-like
        Rate [mm h⁻¹].
    """
    result: Any = amount / _where(interval_h > 0, interval_h, np.nan)
    return cast(Field, result)


def ventilation_index(blh_m: Field, wind_speed: Field) -> Field:
    """Ventilation index: boundary-layer height times wind speed.

    Parameters
    ----------
    blh_m : array-like
        Boundary-layer (mixing) height [m].
    wind_speed : array-like
        Wind speed [m s⁻¹]; ecocast uses the 10 m wind, a proxy for the
        layer-mean transport wind of [1]_.

    Returns
    -------
    array-like
        Ventilation index [m² s⁻¹]; low values mean poor dispersion.

    References
    ----------
    .. [1] Gross (1970), ESSA Technical Memorandum WBTM NMC 47.

    Examples
    --------
    >>> float(ventilation_index(500.0, 2.0))
    1000.0
    """
    result: Any = blh_m * wind_speed
    return cast(Field, result)


def potential_temperature(temp_c: Field, pressure_hpa: Field) -> Field:
    """Potential temperature.

    Parameters
    ----------
    temp_c : array-like
        Temperature [°C].
    pressure_hpa : array-like
        Pressure [hPa].

    Returns
    -------
    array-like
        ``θ = T (1000 / p)^κ`` [K] with ``κ = R_d/c_p`` = :data:`KAPPA` [1]_.

    References
    ----------
    .. [1] Wallace and Hobbs (2006), Atmospheric Science, eq. (3.54).

    Examples
    --------
    >>> round(float(potential_temperature(26.85, 1000.0)), 2)
    300.0
    """
    result: Any = (temp_c + _KELVIN) * (_REFERENCE_HPA / pressure_hpa) ** KAPPA
    return cast(Field, result)


def stability_index(
    temp_upper_c: Field,
    pressure_upper_hpa: Field,
    temp_surface_c: Field,
    pressure_surface_hpa: Field,
) -> Field:
    """Lower-tropospheric stability: potential temperature aloft minus at the surface.

    Parameters
    ----------
    temp_upper_c : array-like
        Temperature at the upper level (850 hPa in ecocast) [°C].
    pressure_upper_hpa : array-like
        Pressure of the upper level [hPa].
    temp_surface_c : array-like
        Near-surface (2 m) temperature [°C].
    pressure_surface_hpa : array-like
        Surface pressure [hPa].

    Returns
    -------
    array-like
        ``θ_upper − θ_surface`` [K]; large positive values mean a stable,
        inversion-capped layer that traps pollution.

    Notes
    -----
    [1]_ defines the lower-tropospheric stability with 700 hPa; ecocast uses
    850 hPa, nearer the winter boundary layer over the North China Plain.
    Only computed where temperature at two levels exists.

    References
    ----------
    .. [1] Klein and Hartmann (1993), J. Climate 6, 1587-1606.
    """
    upper = potential_temperature(temp_upper_c, pressure_upper_hpa)
    result: Any = upper - potential_temperature(temp_surface_c, pressure_surface_hpa)
    return cast(Field, result)


def _where(condition: Any, yes: Any, no: Any) -> Any:
    """Elementwise choice that keeps the container type (and dask laziness)."""
    if isinstance(condition, xr.DataArray):
        return xr.where(condition, yes, no)
    chosen = np.where(condition, yes, no)
    if isinstance(condition, pd.Series):
        return pd.Series(chosen, index=condition.index)
    return chosen if chosen.ndim else float(chosen)
