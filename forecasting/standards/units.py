"""Concentration units: mass concentration ↔ volume mixing ratio for SO2, NO2, O3 and CO.

ecocast keeps gases in mass concentration (µg m⁻³, CO in mg m⁻³). The US EPA AQI
indexes gases in mixing ratios (ppb, ppm), and some sources report them so. For an
ideal gas the two are related through the molar volume of air at a reference state,

    C = χ · M / V_m,   V_m = R · T / p,

where χ is the mixing ratio, M the molecular weight of the gas and V_m the molar
volume. With C in µg m⁻³, χ in ppb, M in g mol⁻¹ and V_m in L mol⁻¹ the relation holds
with no further factor (1 ppb of 1 m³ = 10⁻⁹ · 1000 L / V_m mol = 10⁻⁶ / V_m mol; times M g mol⁻¹
gives M / V_m µg).

The reference state is an argument, never a global. Two are provided:

* :data:`REFERENCE_STATE_25C`: 298.15 K and 1013.25 hPa, V_m = 24.465 L mol⁻¹. The US EPA
  reference conditions (25 °C, 1 atm), and China's reference state (参比状态) for gaseous
  pollutants since the 2018 amendment to GB 3095—2012.
* :data:`STANDARD_STATE_0C`: 273.15 K and 1013.25 hPa, V_m = 22.414 L mol⁻¹. China's
  standard state (标准状态) before that amendment. The switch date (2018-09-01) is
  UNVERIFIED, so :func:`china_reference_state` takes it as a required argument.

References
----------
.. [1] IUPAC Commission on Isotopic Abundances and Atomic Weights, "Standard atomic
   weights", abridged values (2021): H 1.008, C 12.011, N 14.007, O 15.999, S 32.06.
.. [2] BIPM, The International System of Units (SI), 9th ed., 2019: molar gas constant
   R = N_A · k = 8.314 462 618… J mol⁻¹ K⁻¹ (exact).
.. [3] U.S. EPA, 40 CFR 50.3, reference conditions 25 °C and 760 mm Hg (not re-read for
   ecocast; UNVERIFIED here).
.. [4] GB 3095—2012 and its 2018 amendment (修改单), reference state for SO2, NO2, CO,
   O3 of 298.15 K and 1013.25 hPa (shared/docs: UNVERIFIED date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

from forecasting.errors import InputDataError, UnknownStandardError

__all__ = [
    "GAS_CONSTANT",
    "MASS_UNITS",
    "MIXING_RATIO_UNITS",
    "MOLECULAR_WEIGHTS",
    "REFERENCE_STATE_25C",
    "STANDARD_STATE_0C",
    "ReferenceState",
    "china_reference_state",
    "convert_units",
    "normalise_unit",
    "ugm3_per_ppb",
]

GAS_CONSTANT: Final = 8.314462618
"""Molar gas constant R [J mol⁻¹ K⁻¹] (SI 2019, exact to the digits given)."""

_ATOMIC_WEIGHTS: Final = MappingProxyType(
    {"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999, "S": 32.06}
)

MOLECULAR_WEIGHTS: Final = MappingProxyType(
    {
        "so2": _ATOMIC_WEIGHTS["S"] + 2 * _ATOMIC_WEIGHTS["O"],  # 64.058
        "no2": _ATOMIC_WEIGHTS["N"] + 2 * _ATOMIC_WEIGHTS["O"],  # 46.005
        "o3": 3 * _ATOMIC_WEIGHTS["O"],  # 47.997
        "co": _ATOMIC_WEIGHTS["C"] + _ATOMIC_WEIGHTS["O"],  # 28.010
    }
)
"""Molecular weights of the convertible gases [g mol⁻¹], from IUPAC atomic weights [1]_."""

MASS_UNITS: Final = MappingProxyType({"ng/m3": 1e-3, "ug/m3": 1.0, "mg/m3": 1e3})
"""Mass-concentration units and their size in µg m⁻³."""

MIXING_RATIO_UNITS: Final = MappingProxyType({"ppb": 1.0, "ppm": 1e3})
"""Mixing-ratio units (by volume, i.e. mole fraction) and their size in ppb."""

_ALIASES: Final = MappingProxyType(
    {
        "ugm-3": "ug/m3",
        "mgm-3": "mg/m3",
        "ngm-3": "ng/m3",
        "ppbv": "ppb",
        "ppmv": "ppm",
    }
)


@dataclass(frozen=True)
class ReferenceState:
    """Temperature and pressure at which mass concentrations are expressed.

    Attributes
    ----------
    name : str
        Short label written into results, e.g. ``"298.15 K, 1013.25 hPa"``.
    temperature_k : float
        Temperature [K].
    pressure_hpa : float
        Pressure [hPa].
    """

    name: str
    temperature_k: float
    pressure_hpa: float

    def __post_init__(self) -> None:
        if not (self.temperature_k > 0 and self.pressure_hpa > 0):
            raise InputDataError(
                f"reference state {self.name!r}: temperature {self.temperature_k!r} K and "
                f"pressure {self.pressure_hpa!r} hPa must both be positive"
            )

    @property
    def molar_volume(self) -> float:
        """Molar volume of an ideal gas, V_m = R T / p [L mol⁻¹]."""
        return GAS_CONSTANT * self.temperature_k / (self.pressure_hpa * 100.0) * 1000.0


REFERENCE_STATE_25C: Final = ReferenceState("298.15 K, 1013.25 hPa", 298.15, 1013.25)
"""25 °C and 1 atm (V_m = 24.465 L mol⁻¹): US EPA; GB 3095 gases after the 2018 amendment."""

STANDARD_STATE_0C: Final = ReferenceState("273.15 K, 1013.25 hPa", 273.15, 1013.25)
"""0 °C and 1 atm (V_m = 22.414 L mol⁻¹): GB 3095 standard state before the 2018 amendment."""


def china_reference_state(day: dt.date, *, changed_on: dt.date) -> ReferenceState:
    """Return the reference state of Chinese gaseous concentrations on a given day.

    Parameters
    ----------
    day : datetime.date
        Day of the measurement (station local date).
    changed_on : datetime.date
        First day on which concentrations are reported at 298.15 K. The 2018 amendment
        to GB 3095—2012 is commonly dated 2018-09-01, but that date is UNVERIFIED, so
        the caller must state it; there is no default.

    Returns
    -------
    ReferenceState
        :data:`STANDARD_STATE_0C` before ``changed_on``, :data:`REFERENCE_STATE_25C` from it.

    References
    ----------
    .. [1] GB 3095—2012 修改单 (2018); see the module references.
    """
    return STANDARD_STATE_0C if day < changed_on else REFERENCE_STATE_25C


def normalise_unit(unit: str) -> str:
    """Return the canonical spelling of a concentration unit.

    Accepts ``µ``/``μ`` for ``u``, ``³`` or ``^3`` for ``3``, spaces, upper case and
    the spellings ``ug m-3``, ``ppbv``, ``ppmv``.

    Parameters
    ----------
    unit : str
        Unit as declared by a data source, e.g. ``"µg/m³"``.

    Returns
    -------
    str
        One of ``ng/m3``, ``ug/m3``, ``mg/m3``, ``ppb``, ``ppm``.

    Raises
    ------
    UnknownStandardError
        If the unit is not a known concentration unit; the message lists the valid ones.
    """
    key = str(unit).strip().replace("µ", "u").replace("μ", "u").replace("³", "3").replace("^", "")
    key = key.replace(" ", "").lower()
    key = _ALIASES.get(key, key)
    if key not in MASS_UNITS and key not in MIXING_RATIO_UNITS:
        raise UnknownStandardError("concentration unit", unit, [*MASS_UNITS, *MIXING_RATIO_UNITS])
    return key


def ugm3_per_ppb(pollutant: str, reference_state: ReferenceState = REFERENCE_STATE_25C) -> float:
    """Return the mass concentration of 1 ppb of a gas, M / V_m [µg m⁻³ ppb⁻¹].

    Parameters
    ----------
    pollutant : str
        ``"so2"``, ``"no2"``, ``"o3"`` or ``"co"`` (case-insensitive).
    reference_state : ReferenceState, optional
        Temperature and pressure of the mass concentration; default 298.15 K, 1013.25 hPa.

    Returns
    -------
    float
        Conversion factor [µg m⁻³ ppb⁻¹]; e.g. 2.6183 for SO2 at 298.15 K.

    Raises
    ------
    UnknownStandardError
        If the pollutant is not one of the gases with a molecular weight.

    Notes
    -----
    Ideal-gas relation C = χ · M / V_m with V_m = R · T / p (see the module docstring).

    References
    ----------
    .. [1] IUPAC standard atomic weights (2021, abridged); BIPM SI brochure (2019), R.
    """
    key = str(pollutant).lower()
    if key not in MOLECULAR_WEIGHTS:
        raise UnknownStandardError("gas for ppb/ppm conversion", pollutant, MOLECULAR_WEIGHTS)
    return MOLECULAR_WEIGHTS[key] / reference_state.molar_volume


def convert_units(
    values: npt.ArrayLike,
    from_unit: str,
    to_unit: str,
    pollutant: str | None = None,
    *,
    reference_state: ReferenceState = REFERENCE_STATE_25C,
) -> npt.NDArray[np.float64]:
    """Convert concentrations between ``ng/m3``, ``ug/m3``, ``mg/m3``, ``ppb`` and ``ppm``.

    Mass ↔ mass and ratio ↔ ratio conversions are pure scale factors and work for any
    pollutant (PM too). Mass ↔ ratio conversions need a gas with a molecular weight
    (SO2, NO2, O3, CO) and a reference state.

    Parameters
    ----------
    values : array_like
        Concentrations in ``from_unit``. NaN stays NaN.
    from_unit, to_unit : str
        Declared units; spellings are normalised by :func:`normalise_unit`.
    pollutant : str, optional
        Needed only for mass ↔ mixing-ratio conversions: ``so2``, ``no2``, ``o3``, ``co``.
    reference_state : ReferenceState, optional
        Temperature and pressure of the mass concentrations; default 298.15 K, 1013.25 hPa
        (V_m = 24.465 L mol⁻¹). Use :data:`STANDARD_STATE_0C` for Chinese data reported
        at 273.15 K.

    Returns
    -------
    ndarray of float
        Concentrations in ``to_unit``.

    Raises
    ------
    UnknownStandardError
        On an unknown unit (the message lists ``ng/m3, ppb, ppm, ug/m3, mg/m3``) or, for a
        mass ↔ ratio conversion, an unknown or missing gas.
    InputDataError
        If ``values`` is not numeric.

    Notes
    -----
    C [µg m⁻³] = χ [ppb] · M [g mol⁻¹] / V_m [L mol⁻¹], with V_m = R · T / p (ideal gas).

    References
    ----------
    .. [1] IUPAC standard atomic weights (2021, abridged); BIPM SI brochure (2019), R.

    Examples
    --------
    >>> round(float(convert_units(75, "ppb", "ug/m3", "so2")[()]), 1)
    196.4
    >>> float(convert_units(1.5, "mg/m3", "ug/m3")[()])
    1500.0
    """
    src, dst = normalise_unit(from_unit), normalise_unit(to_unit)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputDataError(
            f"cannot convert {from_unit!r} to {to_unit!r}: values are not numeric ({exc})"
        ) from exc
    if src == dst:
        return arr.copy()
    if src in MASS_UNITS and dst in MASS_UNITS:
        return arr * (MASS_UNITS[src] / MASS_UNITS[dst])
    if src in MIXING_RATIO_UNITS and dst in MIXING_RATIO_UNITS:
        return arr * (MIXING_RATIO_UNITS[src] / MIXING_RATIO_UNITS[dst])
    if pollutant is None:
        raise UnknownStandardError(
            f"gas for converting {src} to {dst}", pollutant, MOLECULAR_WEIGHTS
        )
    factor = ugm3_per_ppb(pollutant, reference_state)  # µg m⁻³ per ppb
    if src in MIXING_RATIO_UNITS:  # ratio -> mass
        return arr * (MIXING_RATIO_UNITS[src] * factor / MASS_UNITS[dst])
    return arr * (MASS_UNITS[src] / factor / MIXING_RATIO_UNITS[dst])  # mass -> ratio
