"""CF ``units`` attributes checked and converted with pint, lazily.

A CF/UDUNITS unit string (``"K"``, ``"m s-1"``, ``"kg m**-2"``, ``"(0 - 1)"``,
``"degrees_Celsius"``) is normalised to pint syntax, parsed, and reduced to a
linear map ``y = offset + scale * x`` to the canonical unit, which is applied
with xarray arithmetic so a dask-backed variable stays lazy. Precipitation
given as a water mass per area (``kg m-2``) is converted to a depth with the
density of liquid water.

References
----------
.. [1] CF Conventions 1.11, section 3.1 "Units" (UDUNITS syntax),
   https://cfconventions.org/.
.. [2] pint documentation, https://pint.readthedocs.io/.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

import numpy as np
import pint
import xarray as xr

from forecasting.errors import InputDataError

__all__ = [
    "WATER_DENSITY",
    "PrecipForm",
    "convert_units",
    "linear_conversion",
    "parse_cf_unit",
    "precip_conversion",
    "unit_error",
]

#: Density of liquid water used to turn kg m⁻² into mm [kg m⁻³].
WATER_DENSITY = 1000.0

PrecipForm = Literal["amount", "rate"]

_SYNONYMS: dict[str, str] = {
    "degrees_celsius": "degC",
    "degree_celsius": "degC",
    "degrees_c": "degC",
    "degree_c": "degC",
    "deg_c": "degC",
    "°c": "degC",
    "c": "degC",
    "(0 - 1)": "1",
    "0-1": "1",
    "fraction": "1",
    "proportion": "1",
    "degrees_true": "degree",
    "degree_true": "degree",
    "degrees": "degree",
    "deg": "degree",
    "kelvin": "K",
    "k": "K",
    "pa": "Pa",
    "hpa": "hPa",
    "mb": "mbar",
}
_MISSING = frozenset({"", "~", "none", "unknown", "-"})
_EXPONENT = re.compile(r"(?<=[A-Za-z])(-?\d+)(?![\d.])")


@functools.cache
def _registry() -> pint.UnitRegistry[Any]:
    return pint.UnitRegistry()


def parse_cf_unit(text: object) -> pint.Unit:
    """Parse a CF/UDUNITS unit string with pint.

    Parameters
    ----------
    text : object
        The ``units`` attribute (``"K"``, ``"m s-1"``, ``"kg m**-2"``, ``"%"``).

    Returns
    -------
    pint.Unit
        The unit.

    Raises
    ------
    ValueError
        When the text is missing or pint cannot parse it.

    Examples
    --------
    >>> str(parse_cf_unit("m s-1"))
    'meter / second'
    """
    raw = "" if text is None else str(text).strip()
    if raw.lower() in _MISSING:
        raise ValueError("no unit given")
    normal = _SYNONYMS.get(raw.lower(), raw)
    normal = _EXPONENT.sub(r"**\1", normal)
    try:
        return _registry().Unit(normal)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, TypeError) as exc:
        raise ValueError(f"pint cannot read it ({exc})") from None
    except (AttributeError, AssertionError, ValueError) as exc:  # pint's parser on odd tokens
        raise ValueError(f"pint cannot read it ({exc})") from None


def linear_conversion(source: pint.Unit, target: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` with ``target = offset + scale * source``.

    Parameters
    ----------
    source : pint.Unit
        The unit of the data.
    target : str
        The canonical unit (pint syntax).

    Returns
    -------
    tuple of float
        Scale and offset (the offset is non-zero for temperatures only).

    Raises
    ------
    pint.errors.DimensionalityError
        When the units measure different things.
    """
    ureg = _registry()
    values = ureg.Quantity(np.array([0.0, 1.0]), source).to(target).magnitude
    return float(values[1] - values[0]), float(values[0])


def precip_conversion(source: pint.Unit, amount: str, rate: str) -> tuple[float, PrecipForm]:
    """Return the scale to ``amount`` (a depth) or ``rate`` and which of the two it is.

    Parameters
    ----------
    source : pint.Unit
        The unit of the data: a length (``m``, ``mm``), a water mass per area
        (``kg m-2``), or either per time (``mm h-1``, ``kg m-2 s-1``).
    amount : str
        Canonical depth unit, e.g. ``"mm"``.
    rate : str
        Canonical rate unit, e.g. ``"mm h**-1"``.

    Returns
    -------
    tuple
        ``(scale, "amount")`` or ``(scale, "rate")``.

    Raises
    ------
    pint.errors.DimensionalityError
        When the unit is none of these.

    Notes
    -----
    A mass per area ``M`` [kg m⁻²] is the depth ``M / ρ_w`` [m] with
    ``ρ_w`` = :data:`WATER_DENSITY` [kg m⁻³].
    """
    ureg = _registry()
    quantity = ureg.Quantity(1.0, source)
    if quantity.check("[mass] / [length] ** 2") or quantity.check(
        "[mass] / [length] ** 2 / [time]"
    ):
        quantity = quantity / ureg.Quantity(WATER_DENSITY, "kg m**-3")
    if quantity.check("[length]"):
        return float(quantity.to(amount).magnitude), "amount"
    return float(quantity.to(rate).magnitude), "rate"


def convert_units(array: xr.DataArray, target: str, *, what: str, source: str) -> xr.DataArray:
    """Convert ``array`` from its ``units`` attribute to ``target``, lazily.

    Parameters
    ----------
    array : xarray.DataArray
        Data with a CF ``units`` attribute.
    target : str
        Canonical unit (pint syntax).
    what : str
        How to name the variable in an error, e.g. ``"'t2m' (temp_air)"``.
    source : str
        The file or dataset, for the error.

    Returns
    -------
    xarray.DataArray
        ``offset + scale * array`` with ``units = target`` and the original
        unit kept in ``attrs["original_units"]``.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the variable, its unit and the unit expected, when the unit is
        missing or does not convert.
    """
    units = array.attrs.get("units")
    try:
        scale, offset = linear_conversion(parse_cf_unit(units), target)
    except (ValueError, pint.errors.DimensionalityError) as exc:
        raise unit_error(what, units, target, source, exc) from None
    return _scaled(array, scale, offset, target)


def unit_error(
    what: str, units: object, target: str, source: str, exc: Exception
) -> InputDataError:
    """Build the :class:`InputDataError` for a missing or unconvertible unit."""
    if units is None or str(units).strip().lower() in _MISSING:
        return InputDataError(
            f"{source}: variable {what} has no CF 'units' attribute; set units to something "
            f"convertible to {target!r}"
        )
    return InputDataError(
        f"{source}: variable {what} has units {str(units)!r}, which cannot be converted to "
        f"{target!r} ({exc})"
    )


def _scaled(array: xr.DataArray, scale: float, offset: float, target: str) -> xr.DataArray:
    attrs = dict(array.attrs)
    attrs["original_units"] = str(attrs.get("units"))
    attrs["units"] = target
    same = (scale, offset) == (1.0, 0.0)
    converted = array.copy(deep=False) if same else array * scale + offset
    converted.attrs = attrs  # a new dict on a new object: the input keeps its attrs
    return converted
