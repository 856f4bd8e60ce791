"""Tests of µg/m³ ↔ ppb/ppm conversion against hand calculations.

Formula (ideal gas): C [ug/m3] = chi [ppb] * M [g/mol] / V_m [L/mol], V_m = R * T / p.
R = 8.314462618 J/(mol K) (SI 2019). IUPAC 2021 abridged atomic weights H 1.008,
C 12.011, N 14.007, O 15.999, S 32.06, so M(SO2) = 64.058, M(NO2) = 46.005,
M(O3) = 47.997, M(CO) = 28.010 g/mol.
V_m(298.15 K, 1013.25 hPa) = 8.314462618 * 298.15 / 101325 m3/mol = 24.4654 L/mol.
V_m(273.15 K, 1013.25 hPa) = 8.314462618 * 273.15 / 101325 m3/mol = 22.4140 L/mol.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from forecasting.errors import ForecastingError, InputDataError, UnknownStandardError
from forecasting.standards.aqi_us_epa import load_us_epa_aqi
from forecasting.standards.units import (
    MOLECULAR_WEIGHTS,
    REFERENCE_STATE_25C,
    STANDARD_STATE_0C,
    ReferenceState,
    china_reference_state,
    convert_units,
    normalise_unit,
    ugm3_per_ppb,
)


def test_molar_volumes_by_ideal_gas_law():
    assert REFERENCE_STATE_25C.molar_volume == pytest.approx(24.4654, abs=1e-4)
    assert STANDARD_STATE_0C.molar_volume == pytest.approx(22.4140, abs=1e-4)


def test_molecular_weights_from_iupac_atomic_weights():
    assert dict(MOLECULAR_WEIGHTS) == pytest.approx(
        {"so2": 64.058, "no2": 46.005, "o3": 47.997, "co": 28.010}, abs=1e-9
    )


@pytest.mark.parametrize(
    ("value", "src", "dst", "gas", "expected"),
    [
        # 75 ppb SO2 * 64.058 / 24.4654 = 196.37 ug/m3 (the 1-h SO2 NAAQS, often quoted
        # as "about 196 ug/m3")
        (75, "ppb", "ug/m3", "so2", 196.373),
        # 100 ppb NO2 * 46.005 / 24.4654 = 188.04 ug/m3
        (100, "ppb", "ug/m3", "no2", 188.041),
        # 0.070 ppm O3 = 70 ppb * 47.997 / 24.4654 = 137.33 ug/m3
        (0.070, "ppm", "ug/m3", "o3", 137.328),
        # 9 ppm CO * 28.010 / 24.4654 = 10.304 mg/m3
        (9, "ppm", "mg/m3", "co", 10.3039),
        # 10 mg/m3 CO = 10 * 24.4654 / 28.010 = 8.7345 ppm
        (10, "mg/m3", "ppm", "co", 8.73452),
        # 200 ug/m3 NO2 = 200 * 24.4654 / 46.005 = 106.36 ppb
        (200, "ug/m3", "ppb", "no2", 106.360),
    ],
)
def test_convert_units_by_hand_at_25c(value, src, dst, gas, expected):
    assert float(convert_units([value], src, dst, gas)[0]) == pytest.approx(expected, abs=1e-3)


def test_convert_units_at_0c_state():
    # 1 ppb SO2 at 273.15 K: 64.058 / 22.4140 = 2.8579 ug/m3
    got = convert_units([1.0], "ppb", "ug/m3", "so2", reference_state=STANDARD_STATE_0C)
    assert got[0] == pytest.approx(2.8579, abs=1e-4)
    assert ugm3_per_ppb("SO2") == pytest.approx(64.058 / 24.4654, rel=1e-5)


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (1.5, "mg/m3", "ug/m3", 1500.0),
        (1500.0, "ug/m3", "mg/m3", 1.5),
        (2.0, "ug/m3", "ng/m3", 2000.0),
        (0.070, "ppm", "ppb", 70.0),
        (70.0, "ppb", "ppm", 0.070),
        (3.0, "ppb", "ppb", 3.0),
    ],
)
def test_convert_units_same_kind_needs_no_gas(value, src, dst, expected):
    assert float(convert_units([value], src, dst)[0]) == pytest.approx(expected, rel=1e-12)


def test_convert_units_keeps_nan_and_shape():
    got = convert_units(np.array([[1.0, np.nan]]), "ppb", "ug/m3", "o3")
    assert got.shape == (1, 2)
    assert np.isnan(got[0, 1])


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("µg/m³", "ug/m3"),
        ("μg/m3", "ug/m3"),
        ("UG/M3", "ug/m3"),
        ("ug m-3", "ug/m3"),
        ("mg/m^3", "mg/m3"),
        ("ppbv", "ppb"),
        (" PPM ", "ppm"),
    ],
)
def test_normalise_unit_spellings(spelling, canonical):
    assert normalise_unit(spelling) == canonical


def test_unknown_unit_names_the_valid_ones():
    with pytest.raises(UnknownStandardError, match=r"'g/L'.*mg/m3, ng/m3, ppb, ppm, ug/m3"):
        convert_units([1.0], "g/L", "ug/m3", "so2")
    with pytest.raises(KeyError):
        convert_units([1.0], "ug/m3", "ppt", "so2")


def test_mass_to_ratio_needs_a_known_gas():
    with pytest.raises(UnknownStandardError, match=r"'pm25'; choose one of: co, no2, o3, so2"):
        convert_units([1.0], "ug/m3", "ppb", "pm25")
    with pytest.raises(UnknownStandardError, match="None"):
        convert_units([1.0], "ug/m3", "ppb")


def test_non_numeric_values_are_input_errors():
    with pytest.raises(InputDataError, match="not numeric") as info:
        convert_units(["ten"], "ug/m3", "mg/m3")
    assert isinstance(info.value, ForecastingError)


def test_reference_state_must_be_physical():
    with pytest.raises(InputDataError, match="must both be positive"):
        ReferenceState("bad", -1.0, 1013.25)


def test_china_reference_state_switch_date_is_a_parameter():
    # The 2018-09-01 switch is UNVERIFIED: the caller states it.
    switch = dt.date(2018, 9, 1)
    assert china_reference_state(dt.date(2018, 8, 31), changed_on=switch) is STANDARD_STATE_0C
    assert china_reference_state(dt.date(2018, 9, 1), changed_on=switch) is REFERENCE_STATE_25C


def test_us_epa_data_file_uses_the_25c_state():
    state = load_us_epa_aqi().reference_state
    assert (state.temperature_k, state.pressure_hpa) == (298.15, 1013.25)
    assert state.molar_volume == pytest.approx(REFERENCE_STATE_25C.molar_volume)
