"""Declared units and their conversion to canonical units."""

from __future__ import annotations

import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.ingest.units import conversion_factor, normalise_unit_name, parse_unit_declarations


# shared/data/README.md: the UCI "co" column is µg/m³ — "UCI values = mg/m³ × 1000 (for example
# 300 means 0.3 mg/m³)"; ecocast keeps CO in mg/m³.
@pytest.mark.parametrize(
    ("variable", "unit", "factor"),
    [
        ("co", "ug/m3", 0.001),
        ("co", "µg/m³", 0.001),
        ("co", "mg/m3", 1.0),
        ("pm25", "mg/m3", 1000.0),
        ("pm25", "ug m-3", 1.0),
        ("chla", "ug/L", 0.001),
        ("chla", "mg/L", 1.0),
        ("pressure", "kPa", 10.0),
        ("wind_speed", "km/h", 1 / 3.6),
        ("cond", "mS/cm", 1000.0),
        ("temp_air", "°C", 1.0),
    ],
)
def test_conversion_factors(variable: str, unit: str, factor: float) -> None:
    assert conversion_factor(variable, unit) == pytest.approx(factor, rel=1e-12)


def test_uci_co_example() -> None:
    assert 300 * conversion_factor("co", "ug/m3") == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("variable", "unit", "message"),
    [
        ("co", "ppm", r"unknown unit for co 'ppm'; choose one of: mg/m3, ng/m3, ug/m3"),
        ("do", "ug/m3", r"unknown unit for do 'ug/m3'; choose one of: g/l, mg/l, ug/l"),
        ("pm2.5", "ug/m3", r"unknown variable 'pm2\.5'; choose one of: .*pm25"),
    ],
)
def test_unknown_units_list_the_valid_ones(variable: str, unit: str, message: str) -> None:
    with pytest.raises(UnknownStandardError, match=message):
        conversion_factor(variable, unit)


def test_normalised_spellings() -> None:
    assert normalise_unit_name(" µg / m³ ") == "ug/m3"
    assert normalise_unit_name("UG/M3") == "ug/m3"
    assert normalise_unit_name("m s-1") == "m/s"


def test_declarations() -> None:
    got = parse_unit_declarations(["co=ug/m3", "TEMP=degC"], {"temp": "temp_air"})
    assert got == {"co": "ug/m3", "temp_air": "degC"}
    assert parse_unit_declarations({"chla": "ug/L"}) == {"chla": "ug/L"}


@pytest.mark.parametrize(
    ("declarations", "error", "message"),
    [
        (["co"], InputDataError, r"unit declaration 'co' must look like VARIABLE=UNIT"),
        (["=ug/m3"], InputDataError, "must look like VARIABLE=UNIT"),
        (["co=ug/m3", "co=mg/m3"], InputDataError, r"unit of 'co' declared twice"),
        (["co=furlongs"], UnknownStandardError, r"unknown unit for co 'furlongs'"),
    ],
)
def test_bad_declarations(declarations: list[str], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_unit_declarations(declarations)
