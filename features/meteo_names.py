"""Recognising meteorological coordinates and variables by CF standard name, then by short name.

The table lives in ``features/data/met_variables.toml`` (configuration, not a
standard): each canonical coordinate (``issue_time``, ``step``, ``valid_time``,
``latitude``, ``longitude``, ``level``) and each canonical variable
(``temp_air``, ``dew_point``, ``u10`` ...) lists the CF ``standard_name`` values
and the short names used by ECMWF/cfgrib, NCEP, CMIP and CMA files. A name is
looked up by ``standard_name`` first; the short names are tried, in the order
listed, only when no standard name matches. There are no scattered ``if``
chains on names anywhere else.

References
----------
.. [1] CF Standard Name Table, https://cfconventions.org/ (``air_temperature``,
   ``dew_point_temperature``, ``forecast_reference_time``, ``forecast_period`` ...).
.. [2] ECMWF parameter database, https://codes.ecmwf.int/grib/param-db/ (short
   names ``2t``, ``2d``, ``10u``, ``10v``, ``sp``, ``msl``, ``tp``, ``blh``).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import xarray as xr

from forecasting.errors import InputDataError

__all__ = [
    "COORDINATE_NAMES",
    "CoordinateSpec",
    "MetNames",
    "VariableSpec",
    "find_coordinate",
    "load_met_names",
    "pressure_levels_of",
]

#: Canonical coordinate names, in the order they are identified.
COORDINATE_NAMES: tuple[str, ...] = (
    "issue_time",
    "step",
    "valid_time",
    "latitude",
    "longitude",
    "level",
)
_TABLE_FILE = "met_variables.toml"


@dataclass(frozen=True)
class CoordinateSpec:
    """How a canonical coordinate is recognised.

    Attributes
    ----------
    name : str
        Canonical name (``"issue_time"``, ``"latitude"`` ...).
    standard_names : tuple of str
        CF ``standard_name`` values that identify it.
    names : tuple of str
        Short names, tried in order.
    units : tuple of str
        CF ``units`` values that identify it (latitude/longitude only).
    """

    name: str
    standard_names: tuple[str, ...]
    names: tuple[str, ...]
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class VariableSpec:
    """How a canonical variable is recognised and which unit it is converted to.

    Attributes
    ----------
    name : str
        Canonical name (``"temp_air"``, ``"precip"`` ...).
    units : str
        Canonical unit, pint syntax (``"degC"``, ``"hPa"``, ``"mm"``).
    long_name : str
        Description written to the variable's attributes.
    standard_names : tuple of str
        CF ``standard_name`` values.
    names : tuple of str
        Short names, tried in order.
    level_hpa : float or None
        Pressure level [hPa] of an upper-air variable; ``None`` for a surface
        variable.
    rate_units : str or None
        Canonical unit of a rate (precipitation only).
    accumulation : mapping of str to str
        Default accumulation convention per dataset kind (precipitation only).
    """

    name: str
    units: str
    long_name: str
    standard_names: tuple[str, ...]
    names: tuple[str, ...]
    level_hpa: float | None = None
    rate_units: str | None = None
    accumulation: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class MetNames:
    """The loaded name table.

    Attributes
    ----------
    source_id : str
        ``[source] id`` of the table file (``"met_variables"``).
    coordinates : mapping of str to CoordinateSpec
        By canonical coordinate name.
    variables : mapping of str to VariableSpec
        By canonical variable name, in the file's order.
    """

    source_id: str
    coordinates: Mapping[str, CoordinateSpec]
    variables: Mapping[str, VariableSpec]


@functools.cache
def load_met_names() -> MetNames:
    """Load ``features/data/met_variables.toml`` (cached; the result is immutable).

    Returns
    -------
    MetNames
        Coordinate and variable specifications.

    Raises
    ------
    forecasting.errors.InputDataError
        When the file lacks a coordinate entry or a variable has no unit.
    """
    text = resources.files("features").joinpath("data", _TABLE_FILE).read_text("utf-8")
    raw = tomllib.loads(text)
    dims: dict[str, Any] = raw.get("dims", {})
    missing = [n for n in COORDINATE_NAMES if n not in dims]
    if missing:
        raise InputDataError(f"{_TABLE_FILE}: [dims] lacks {missing}; expected {COORDINATE_NAMES}")
    coordinates = {
        n: CoordinateSpec(
            name=n,
            standard_names=tuple(dims[n].get("standard_names", ())),
            names=tuple(dims[n].get("names", ())),
            units=tuple(dims[n].get("units", ())),
        )
        for n in COORDINATE_NAMES
    }
    variables: dict[str, VariableSpec] = {}
    for name, entry in raw.get("variables", {}).items():
        if "units" not in entry:
            raise InputDataError(f"{_TABLE_FILE}: [variables.{name}] has no 'units'")
        level = entry.get("level_hpa")
        variables[name] = VariableSpec(
            name=name,
            units=str(entry["units"]),
            long_name=str(entry.get("long_name", name)),
            standard_names=tuple(entry.get("standard_names", ())),
            names=tuple(entry.get("names", ())),
            level_hpa=None if level is None else float(level),
            rate_units=entry.get("rate_units"),
            accumulation=MappingProxyType(dict(entry.get("accumulation", {}))),
        )
    return MetNames(
        source_id=str(raw.get("source", {}).get("id", "met_variables")),
        coordinates=MappingProxyType(coordinates),
        variables=MappingProxyType(variables),
    )


def find_coordinate(
    ds: xr.Dataset, spec: CoordinateSpec, exclude: Iterable[str] = ()
) -> str | None:
    """Return the name of the coordinate of ``ds`` that ``spec`` describes.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset.
    spec : CoordinateSpec
        What to look for.
    exclude : iterable of str, optional
        Coordinates already claimed for another role.

    Returns
    -------
    str or None
        The coordinate's name: by CF ``standard_name`` (dimension coordinates
        first), else by ``units`` (latitude/longitude), else the first short
        name of ``spec.names`` that is a coordinate; ``None`` when absent.
    """
    taken = set(exclude)
    candidates = [str(n) for n in ds.coords if str(n) not in taken]
    by_standard = [n for n in candidates if ds[n].attrs.get("standard_name") in spec.standard_names]
    by_units = [n for n in candidates if ds[n].attrs.get("units") in spec.units]
    for found in (by_standard, by_units):
        if found:
            return _preferred(ds, found, spec.names)
    return next((n for n in spec.names if n in candidates), None)


def pressure_levels_of(ds: xr.Dataset, variable: str, level_coords: Iterable[str]) -> list[str]:
    """Return the pressure-level coordinates attached to ``variable``.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset.
    variable : str
        A data variable of ``ds``.
    level_coords : iterable of str
        Names of the pressure-level coordinates of ``ds``.

    Returns
    -------
    list of str
        Those of ``level_coords`` that are a dimension of ``variable`` or a
        scalar coordinate attached to it.
    """
    array = ds[variable]
    return [
        c for c in level_coords if c in array.dims or (c in array.coords and array[c].ndim == 0)
    ]


def _preferred(ds: xr.Dataset, found: list[str], names: tuple[str, ...]) -> str:
    order = {n: i for i, n in enumerate(names)}
    return min(found, key=lambda n: (n not in ds.dims, order.get(n, len(order))))
