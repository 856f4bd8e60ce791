"""Declared source units and their conversion to ecocast canonical units.

Every numeric column of a source file has a declared unit: the layout's
default, or a ``--unit VAR=UNIT`` declaration. Values are converted once, at
ingestion, to the canonical unit of the variable (µg m⁻³; CO mg m⁻³; water
concentrations mg L⁻¹). A unit that does not belong to the variable's family
is refused with the list of valid ones.

Chlorophyll-a stays in mg L⁻¹, the unit CNEMC publishes, like every other
water concentration: one rule for water avoids the thousand-fold mistakes of a
mixed convention. Code that needs µg L⁻¹ (e.g. the trophic index, whose
formula takes chl-a in mg m⁻³ = µg L⁻¹) converts at its own edge.

Mixing ratios (ppb, ppm) are not accepted: converting them needs the
reference state of the source (0 °C before the 2018 GB 3095 amendment, 25 °C
after), which a later ``--reference-state`` option will declare.

References
----------
.. [1] shared/data/README.md (2026-11-23): the Beijing (UCI) file gives CO in
   µg m⁻³ (values = mg m⁻³ × 1000); CNEMC gives chl-a in mg L⁻¹.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.units import MASS_UNITS

__all__ = [
    "CANONICAL_UNITS",
    "conversion_factor",
    "normalise_unit_name",
    "parse_unit_declarations",
]

_AIR_MASS: Final = MASS_UNITS  # size in µg/m3: ng/m3, ug/m3, mg/m3
_WATER_MASS: Final = MappingProxyType({"ug/l": 1e-3, "mg/l": 1.0, "g/l": 1e3})  # size in mg/L
_FAMILIES: Final = MappingProxyType(
    {
        "air_mass": _AIR_MASS,
        "water_mass": _WATER_MASS,
        "temperature": MappingProxyType({"degc": 1.0}),
        "pressure": MappingProxyType({"hpa": 1.0, "mbar": 1.0, "kpa": 10.0, "pa": 0.01}),
        "precipitation": MappingProxyType({"mm": 1.0}),
        "speed": MappingProxyType({"m/s": 1.0, "km/h": 1.0 / 3.6}),
        "angle": MappingProxyType({"deg": 1.0}),
        "conductivity": MappingProxyType({"us/cm": 1.0, "ms/cm": 1e3}),
        "turbidity": MappingProxyType({"ntu": 1.0}),
        "cell_density": MappingProxyType({"cells/l": 1.0}),
        "dimensionless": MappingProxyType({"1": 1.0}),
    }
)

#: Variable -> (canonical unit, unit family).
CANONICAL_UNITS: Final = MappingProxyType(
    {
        "pm25": ("ug/m3", "air_mass"),
        "pm10": ("ug/m3", "air_mass"),
        "so2": ("ug/m3", "air_mass"),
        "no2": ("ug/m3", "air_mass"),
        "o3": ("ug/m3", "air_mass"),
        "co": ("mg/m3", "air_mass"),
        "temp_air": ("degc", "temperature"),
        "dew_point": ("degc", "temperature"),
        "pressure": ("hpa", "pressure"),
        "rain": ("mm", "precipitation"),
        "wind_speed": ("m/s", "speed"),
        "wind_dir": ("deg", "angle"),
        "temp_water": ("degc", "temperature"),
        "ph": ("1", "dimensionless"),
        "do": ("mg/l", "water_mass"),
        "cond": ("us/cm", "conductivity"),
        "turb": ("ntu", "turbidity"),
        "codmn": ("mg/l", "water_mass"),
        "nh3n": ("mg/l", "water_mass"),
        "tp": ("mg/l", "water_mass"),
        "tn": ("mg/l", "water_mass"),
        "chla": ("mg/l", "water_mass"),
        "algae": ("cells/l", "cell_density"),
        "wq_class_published": ("1", "dimensionless"),
    }
)

_ALIASES: Final = MappingProxyType(
    {
        "ugm-3": "ug/m3",
        "mgm-3": "mg/m3",
        "ngm-3": "ng/m3",
        "°c": "degc",
        "c": "degc",
        "celsius": "degc",
        "ms-1": "m/s",
        "m/sec": "m/s",
        "kmh-1": "km/h",
        "degrees": "deg",
        "degree": "deg",
        "°": "deg",
        "us/cm": "us/cm",
        "mgl-1": "mg/l",
        "ugl-1": "ug/l",
        "cell/l": "cells/l",
        "": "1",
        "-": "1",
        "dimensionless": "1",
    }
)


def normalise_unit_name(unit: str) -> str:
    """Return the lower-case canonical spelling of a unit.

    ``µg/m³``, ``ug m-3`` and ``UG/M3`` all give ``"ug/m3"``; ``°C`` gives
    ``"degc"``.

    Parameters
    ----------
    unit : str
        A unit as declared.

    Returns
    -------
    str
        The normalised spelling (possibly still unknown).
    """
    key = unit.strip().replace("µ", "u").replace("μ", "u").replace("³", "3").replace("^", "")
    key = key.replace(" ", "").replace("·", "").lower()
    return _ALIASES.get(key, key)


def conversion_factor(variable: str, unit: str) -> float:
    """Return the factor from ``unit`` to the variable's canonical unit.

    Parameters
    ----------
    variable : str
        ecocast variable name, e.g. ``"co"``.
    unit : str
        Declared unit of the source, e.g. ``"ug/m3"``.

    Returns
    -------
    float
        Multiply source values by this to get canonical units.

    Raises
    ------
    forecasting.errors.UnknownStandardError
        For an unknown variable, or a unit outside the variable's family (the
        message lists the valid units).

    Examples
    --------
    >>> conversion_factor("co", "µg/m³")
    0.001
    >>> conversion_factor("chla", "ug/L")
    0.001
    """
    if variable not in CANONICAL_UNITS:
        raise UnknownStandardError("variable", variable, CANONICAL_UNITS)
    canonical, family = CANONICAL_UNITS[variable]
    sizes = _FAMILIES[family]
    key = normalise_unit_name(unit)
    if key not in sizes:
        raise UnknownStandardError(f"unit for {variable}", unit, sizes)
    return sizes[key] / sizes[canonical]


def parse_unit_declarations(
    declarations: Iterable[str] | Mapping[str, str],
    aliases: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Parse ``VAR=UNIT`` declarations (``--unit co=ug/m3``) and check them.

    Parameters
    ----------
    declarations : iterable of str or mapping
        ``"co=ug/m3"`` strings, or a ready ``{variable: unit}`` mapping.
    aliases : mapping, optional
        Source column names accepted for variables (``{"temp": "temp_air"}``).

    Returns
    -------
    dict
        ``{variable: unit}`` with every pair known to :func:`conversion_factor`.

    Raises
    ------
    forecasting.errors.InputDataError
        For a declaration without ``=``, or the same variable twice.
    forecasting.errors.UnknownStandardError
        For an unknown variable or unit.
    """
    if isinstance(declarations, Mapping):
        pairs = [(str(k), str(v)) for k, v in declarations.items()]
    else:
        pairs = []
        for text in declarations:
            variable, sep, unit = text.partition("=")
            if not sep or not variable.strip() or not unit.strip():
                raise InputDataError(
                    f"unit declaration {text!r} must look like VARIABLE=UNIT, e.g. co=ug/m3"
                )
            pairs.append((variable.strip().lower(), unit.strip()))
    result: dict[str, str] = {}
    for name, unit in pairs:
        variable = (aliases or {}).get(name.lower(), name.lower())
        if variable in result:
            raise InputDataError(
                f"unit of {variable!r} declared twice ({result[variable]!r}, {unit!r})"
            )
        conversion_factor(variable, unit)
        result[variable] = unit
    return result
