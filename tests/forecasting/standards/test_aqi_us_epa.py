"""Tests of the US EPA AQI (EPA-454/B-24-002, May 2024) against its published table.

Source: U.S. EPA, "Technical Assistance Document for the Reporting of Daily Air Quality -
the Air Quality Index (AQI)", EPA-454/B-24-002, May 2024 (the TAD), as transcribed in
shared/docs/standards.md §4 (source S4). Table 6 "Breakpoints for the AQI" is on p. 14;
Tables 1-2 (categories, colours) on pp. 3-4; section IV (truncation, Equation 1,
rounding) on pp. 13-16.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import (
    ForecastingError,
    InputDataError,
    StandardTableError,
    UnknownStandardError,
)
from forecasting.standards import aqi_us_epa_table
from forecasting.standards.aqi_us_epa import (
    US_EPA_INDICATORS,
    aqi_us_epa,
    aqi_us_epa_o3,
    aqi_us_epa_so2,
    daily_aqi_us_epa,
    load_us_epa_aqi,
    truncate_us_epa,
    us_epa_category,
)
from forecasting.standards.nowcast_us_epa import nowcast_us_epa
from forecasting.standards.tables import read_standard
from forecasting.standards.units import STANDARD_STATE_0C

# EPA-454/B-24-002, Table 6 "Breakpoints for the AQI", p. 14, as printed:
# AQI     | O3 8h ppm   | O3 1h ppm   | PM2.5 24h   | PM10 24h | CO 8h ppm | SO2 1h ppb  | NO2 ppb
# 0-50    | 0.000-0.054 | -           | 0.0-9.0     | 0-54     | 0.0-4.4   | 0-35        | 0-53
# 51-100  | 0.055-0.070 | -           | 9.1-35.4    | 55-154   | 4.5-9.4   | 36-75       | 54-100
# 101-150 | 0.071-0.085 | 0.125-0.164 | 35.5-55.4   | 155-254  | 9.5-12.4  | 76-185      | 101-360
# 151-200 | 0.086-0.105 | 0.165-0.204 | 55.5-125.4  | 255-354  | 12.5-15.4 | 186-304 (3) | 361-649
# 201-300 | 0.106-0.200 | 0.205-0.404 | 125.5-225.4 | 355-424  | 15.5-30.4 | 305-604 (3) | 650-1249
# 301+    | 0.201- (2)  | 0.405+      | 225.5+      | 425+     | 30.5+     | 605+ (3)    | 1250+
# Footnote 4 (p. 14): "AQI 500 corresponds to: O3 1-h 0.604 ppm; PM2.5 325.4 ug/m3; PM10
# 604 ug/m3; CO 50.4 ppm; SO2 1-h 1004 ppb; NO2 2049 ppb" -> upper bounds of the 301+ rows.
# Footnote 3: SO2 AQI >= 200 is computed from 24-h SO2 -> rows 305-604 and 605+ are so2_24h.
TABLE6 = [
    # (indicator, conc_lo, conc_hi, index_lo, index_hi)
    ("o3_8h", 0.000, 0.054, 0, 50),
    ("o3_8h", 0.055, 0.070, 51, 100),
    ("o3_8h", 0.071, 0.085, 101, 150),
    ("o3_8h", 0.086, 0.105, 151, 200),
    ("o3_8h", 0.106, 0.200, 201, 300),
    ("o3_1h", 0.125, 0.164, 101, 150),
    ("o3_1h", 0.165, 0.204, 151, 200),
    ("o3_1h", 0.205, 0.404, 201, 300),
    ("o3_1h", 0.405, 0.604, 301, 500),
    ("pm25_24h", 0.0, 9.0, 0, 50),
    ("pm25_24h", 9.1, 35.4, 51, 100),
    ("pm25_24h", 35.5, 55.4, 101, 150),
    ("pm25_24h", 55.5, 125.4, 151, 200),
    ("pm25_24h", 125.5, 225.4, 201, 300),
    ("pm25_24h", 225.5, 325.4, 301, 500),
    ("pm10_24h", 0, 54, 0, 50),
    ("pm10_24h", 55, 154, 51, 100),
    ("pm10_24h", 155, 254, 101, 150),
    ("pm10_24h", 255, 354, 151, 200),
    ("pm10_24h", 355, 424, 201, 300),
    ("pm10_24h", 425, 604, 301, 500),
    ("co_8h", 0.0, 4.4, 0, 50),
    ("co_8h", 4.5, 9.4, 51, 100),
    ("co_8h", 9.5, 12.4, 101, 150),
    ("co_8h", 12.5, 15.4, 151, 200),
    ("co_8h", 15.5, 30.4, 201, 300),
    ("co_8h", 30.5, 50.4, 301, 500),
    ("so2_1h", 0, 35, 0, 50),
    ("so2_1h", 36, 75, 51, 100),
    ("so2_1h", 76, 185, 101, 150),
    ("so2_1h", 186, 304, 151, 200),
    ("so2_24h", 305, 604, 201, 300),
    ("so2_24h", 605, 1004, 301, 500),
    ("no2_1h", 0, 53, 0, 50),
    ("no2_1h", 54, 100, 51, 100),
    ("no2_1h", 101, 360, 101, 150),
    ("no2_1h", 361, 649, 151, 200),
    ("no2_1h", 650, 1249, 201, 300),
    ("no2_1h", 1250, 2049, 301, 500),
]
# Section IV: truncate O3 to 3 decimals (ppm), PM2.5 to 1 decimal, PM10 to an integer,
# CO to 1 decimal, SO2 and NO2 to integers (ppb).
DECIMALS = {"o3_8h": 3, "o3_1h": 3, "pm25_24h": 1, "pm10_24h": 0, "co_8h": 1}
DECIMALS |= {"so2_1h": 0, "so2_24h": 0, "no2_1h": 0}
ROW_IDS = [f"{r[0]}-{r[1]}-{r[2]}" for r in TABLE6]


def one(value: float, indicator: str) -> float:
    return float(aqi_us_epa([value], indicator)[0])


@pytest.mark.parametrize(("indicator", "c_lo", "c_hi", "i_lo", "i_hi"), TABLE6, ids=ROW_IDS)
def test_aqi_us_epa_2024_table6_both_edges(indicator, c_lo, c_hi, i_lo, i_hi):
    assert one(c_lo, indicator) == i_lo
    assert one(c_hi, indicator) == i_hi


@pytest.mark.parametrize(("indicator", "c_lo", "c_hi", "i_lo", "i_hi"), TABLE6, ids=ROW_IDS)
def test_aqi_us_epa_2024_table6_edges_after_truncation(indicator, c_lo, c_hi, i_lo, i_hi):
    # Just below the next printed breakpoint, truncation returns the row's upper edge;
    # half a step above the lower edge truncates back to it.
    step = 10.0 ** -DECIMALS[indicator]
    assert one(c_hi + 0.9 * step, indicator) == i_hi
    assert one(c_lo + 0.5 * step, indicator) == i_lo


def test_aqi_us_epa_2024_table6_pm25_edges_quoted_in_the_brief():
    # Table 6: PM2.5 "0.0-9.0" -> 0-50, "9.1-35.4" -> 51-100; 9.05 truncates to 9.0.
    assert aqi_us_epa([9.0, 9.05, 9.09, 9.1], "pm25_24h").tolist() == [50, 50, 50, 51]


def test_aqi_us_epa_2024_every_truncated_value_matches_exact_equation1():
    # Section IV, Equation 1: I_p = (I_Hi - I_Lo)/(BP_Hi - BP_Lo) * (C_p - BP_Lo) + I_Lo on
    # the truncated C_p, rounded to the nearest integer (ecocast: halves round up).
    # Exact rational arithmetic over every truncated concentration of every row.
    for indicator, c_lo, c_hi, i_lo, i_hi in TABLE6:
        d = DECIMALS[indicator]
        lo, hi = Fraction(str(c_lo)), Fraction(str(c_hi))
        n = int((hi - lo) * 10**d) + 1
        grid = [lo + Fraction(k, 10**d) for k in range(n)]
        exact = [(i_hi - i_lo) / (hi - lo) * (c - lo) + i_lo for c in grid]
        expected = [int(e + Fraction(1, 2)) for e in exact]  # floor(x + 1/2)
        got = aqi_us_epa([float(c) for c in grid], indicator)
        assert got.tolist() == expected, indicator


@pytest.mark.parametrize(
    ("indicator", "conc", "expected"),
    [
        # Equation 1 by hand, Table 6 row 35.5-55.4 -> 101-150:
        # 49/19.9 * (35.9 - 35.5) + 101 = 101.985 -> 102
        ("pm25_24h", 35.9, 102),
        # Row 0.071-0.085 -> 101-150: 49/0.014 * (0.080 - 0.071) + 101 = 132.5 -> 133
        # (half-up; banker's rounding would give 132)
        ("o3_8h", 0.080, 133),
        # Row 0.071-0.085: 49/0.014 * 0.001 + 101 = 104.5 -> 105
        ("o3_8h", 0.072, 105),
        # Row 0.0-4.4 -> 0-50: 50/4.4 * 1.1 = 12.5 -> 13 (banker's: 12)
        ("co_8h", 1.1, 13),
        # Row 0.125-0.164 -> 101-150: 49/0.039 * 0.005 + 101 = 107.28 -> 107
        ("o3_1h", 0.130, 107),
        # Truncation first: 0.0809 ppm -> 0.080 -> 133 (not 0.081 -> 136)
        ("o3_8h", 0.0809, 133),
    ],
)
def test_aqi_us_epa_2024_equation1_and_rounding_by_hand(indicator, conc, expected):
    assert one(conc, indicator) == expected


@pytest.mark.parametrize(
    ("indicator", "aqi500_conc"),
    # Footnote 4, p. 14: "AQI 500 corresponds to: O3 1-h 0.604 ppm; PM2.5 325.4 ug/m3;
    # PM10 604 ug/m3; CO 50.4 ppm; SO2 1-h 1004 ppb; NO2 2049 ppb"
    [
        ("o3_1h", 0.604),
        ("pm25_24h", 325.4),
        ("pm10_24h", 604),
        ("co_8h", 50.4),
        ("so2_24h", 1004),
        ("no2_1h", 2049),
    ],
)
def test_aqi_us_epa_2024_footnote4_aqi500_anchors(indicator, aqi500_conc):
    assert one(aqi500_conc, indicator) == 500
    assert one(aqi500_conc, indicator) < one(aqi500_conc * 1.2, indicator)


@pytest.mark.parametrize(
    ("indicator", "conc", "expected"),
    [
        # Footnote 4: "Above 500, extrapolate Equation 1 using the 301-500 segment".
        # PM2.5: 199/99.9 * (400 - 225.5) + 301 = 648.60 -> 649
        ("pm25_24h", 400.0, 649),
        # PM2.5: 199/99.9 * (325.5 - 225.5) + 301 = 500.20 -> 500
        ("pm25_24h", 325.5, 500),
        # PM10: 199/179 * (700 - 425) + 301 = 606.73 -> 607
        ("pm10_24h", 700, 607),
        # O3 1-h: 199/0.199 * (0.700 - 0.405) + 301 = 596
        ("o3_1h", 0.700, 596),
        # NO2: 199/799 * (2500 - 1250) + 301 = 612.33 -> 612
        ("no2_1h", 2500, 612),
    ],
)
def test_aqi_us_epa_2024_extrapolation_above_500(indicator, conc, expected):
    assert one(conc, indicator) == expected


@pytest.mark.parametrize(
    ("indicator", "conc"),
    [
        ("o3_8h", 0.201),  # footnote 2: 8-h O3 does not define AQI >= 301
        ("o3_1h", 0.124),  # Table 6 prints "-" below 0.125 ppm
        ("so2_1h", 305),  # footnote 3: 1-h SO2 does not define AQI >= 200
        ("so2_24h", 304),  # no 24-h breakpoints below 305 ppb
    ],
)
def test_aqi_us_epa_2024_undefined_cells_are_nan(indicator, conc):
    assert np.isnan(one(conc, indicator))


def test_aqi_us_epa_2024_o3_8h_truncates_to_0200_before_footnote2():
    assert one(0.2009, "o3_8h") == 300


@pytest.mark.parametrize(
    ("o3_8h", "o3_1h", "expected"),
    [
        # Footnote 1: report the higher of the 8-h and 1-h indices.
        (0.080, 0.130, 133),  # 8-h 133 vs 1-h 107
        (0.060, 0.170, 157),  # 8-h 66; 1-h 49/0.039*0.005+151 = 157.28 -> 157
        (0.080, 0.100, 133),  # 1-h below 0.125: no 1-h index
        # Footnote 2: 8-h above 0.200 -> use 1-h: 0.405 ppm -> 301
        (0.250, 0.405, 301),
        (0.250, np.nan, np.nan),  # ecocast: no value to report
        (np.nan, 0.205, 201),
    ],
)
def test_aqi_us_epa_2024_o3_footnotes_1_and_2(o3_8h, o3_1h, expected):
    got = float(aqi_us_epa_o3([o3_8h], [o3_1h])[0])
    assert got == expected or (np.isnan(expected) and np.isnan(got))


@pytest.mark.parametrize(
    ("so2_1h", "so2_24h", "expected"),
    [
        # Footnote 3: "1-h SO2 does not define AQI >= 200; AQI >= 200 is computed from
        # 24-h SO2. Special rule: if the daily max 1-h SO2 is >= 305 ppb but the 24-h SO2
        # is below 305 ppb, set I_Lo = I_Hi = 200, which fixes the AQI at 200."
        (304, 100, 200),  # 1-h row 186-304 -> 151-200
        (305, 304, 200),  # special rule
        (800, 100, 200),  # special rule
        (305, 305, 201),  # 24-h row 305-604 -> 201-300
        (700, 604, 300),
        (np.nan, 400, 232),  # 99/299 * (400 - 305) + 201 = 232.45 -> 232
        (305, np.nan, 200),  # ecocast: 24-h missing -> 200 (lower bound)
        (50, np.nan, 69),  # row 36-75 -> 51-100: 49/39 * (50 - 36) + 51 = 68.59 -> 69
    ],
)
def test_aqi_us_epa_2024_so2_footnote3(so2_1h, so2_24h, expected):
    assert float(aqi_us_epa_so2([so2_1h], [so2_24h])[0]) == expected


def test_aqi_us_epa_accepts_series_scalars_and_nan():
    s = pd.Series([9.1, None], dtype="Float64")
    assert aqi_us_epa(s, "pm25_24h")[0] == 51
    assert np.isnan(aqi_us_epa(s, "pm25_24h")[1])
    assert aqi_us_epa(9.1, "pm25_24h").shape == ()


def test_aqi_us_epa_unknown_indicator_lists_the_valid_ones():
    with pytest.raises(UnknownStandardError, match=r"'pm25'.*no2_1h.*pm25_24h") as info:
        aqi_us_epa([10.0], "pm25")  # type: ignore[arg-type]
    assert isinstance(info.value, ForecastingError)


@pytest.mark.parametrize("bad", [[-1.0], [np.inf]])
def test_aqi_us_epa_rejects_impossible_concentrations(bad):
    with pytest.raises(InputDataError, match=r"'pm10_24h'.*position 0.*>= 0"):
        aqi_us_epa(bad, "pm10_24h")


def test_aqi_us_epa_rejects_text():
    with pytest.raises(InputDataError, match="not numeric"):
        aqi_us_epa(["high"], "pm10_24h")


def test_truncate_us_epa_survives_binary_rounding():
    assert truncate_us_epa([0.07 - 1e-12, 0.0709, 9.05], 3).tolist() == [0.070, 0.070, 9.05]
    assert truncate_us_epa([0.29], 2).tolist() == [0.29]


# Table 1 (p. 3) and Table 2 (p. 4): AQI range, descriptor, colour, RGB, CMYK.
# 0-50 Good Green 0,228,0 40,0,100,0 | 51-100 Moderate Yellow 255,255,0 0,0,100,0
# 101-150 Unhealthy for Sensitive Groups Orange 255,126,0 0,52,100,0
# 151-200 Unhealthy Red 255,0,0 0,100,100,0 | 201-300 Very Unhealthy Purple 143,63,151 5,58,0,41
# 301+ Hazardous Maroon 126,0,35 30,100,100,30
TABLES_1_2 = [
    (1, 0, 50, "Good", "Green", (0, 228, 0), (40, 0, 100, 0)),
    (2, 51, 100, "Moderate", "Yellow", (255, 255, 0), (0, 0, 100, 0)),
    (3, 101, 150, "Unhealthy for Sensitive Groups", "Orange", (255, 126, 0), (0, 52, 100, 0)),
    (4, 151, 200, "Unhealthy", "Red", (255, 0, 0), (0, 100, 100, 0)),
    (5, 201, 300, "Very Unhealthy", "Purple", (143, 63, 151), (5, 58, 0, 41)),
    (6, 301, 500, "Hazardous", "Maroon", (126, 0, 35), (30, 100, 100, 30)),
]


@pytest.mark.parametrize(("level", "lo", "hi", "name", "colour", "rgb", "cmyk"), TABLES_1_2)
def test_us_epa_category_2024_tables1_2_both_edges(level, lo, hi, name, colour, rgb, cmyk):
    got = us_epa_category([lo, hi])
    assert got["category"].tolist() == [level, level]
    assert got["descriptor"].tolist() == [name, name]
    assert got["colour"].tolist() == [colour, colour]
    assert got["hex"].tolist() == ["#{:02X}{:02X}{:02X}".format(*rgb)] * 2
    cat = load_us_epa_aqi().categories[level - 1]
    assert (cat.rgb, cat.cmyk) == (rgb, cmyk)


def test_us_epa_category_above_500_and_missing():
    got = us_epa_category([650.0, np.nan])
    assert got["category"].iloc[0] == 6
    assert got["category"].isna().iloc[1]
    assert pd.isna(got["descriptor"].iloc[1])


def test_us_epa_category_rejects_negative_aqi():
    with pytest.raises(InputDataError, match="AQI values"):
        us_epa_category([-3])


def test_load_us_epa_aqi_citation_and_cache():
    std = load_us_epa_aqi()
    assert std is load_us_epa_aqi("us_epa_aqi_2024")
    assert std.source.id == "us_epa_aqi_2024"
    assert std.source.document == "EPA-454/B-24-002"
    assert std.scheme == "us-epa-2024"
    assert set(std.indicators) == set(US_EPA_INDICATORS)
    assert std.reference_state.molar_volume == pytest.approx(24.465, abs=5e-4)


def test_load_us_epa_aqi_unknown_id():
    with pytest.raises(UnknownStandardError, match="us_epa_aqi_2024"):
        load_us_epa_aqi("us_epa_aqi_1999")


READER = "forecasting.standards.aqi_us_epa_table.read_standard"


@pytest.mark.parametrize(
    ("block", "key", "value", "message"),
    [
        ("footnote4_aqi_500", "pm25_24h", 500.4, r"'pm25_24h' ends at 325.4"),
        ("so2_rule", "threshold_ppb", 300, "threshold_ppb 300"),
        ("unit_conversion", "molar_volume_l_per_mol", 24.45, "molar_volume"),
    ],
)
def test_load_us_epa_aqi_fails_loudly_on_inconsistent_file(monkeypatch, block, key, value, message):
    citation, raw = read_standard("us_epa_aqi_2024")
    broken = {**raw, block: {**raw[block], key: value}}
    monkeypatch.setattr(READER, lambda _id: (citation, broken))
    with pytest.raises(StandardTableError, match=message):
        aqi_us_epa_table._load.__wrapped__("us_epa_aqi_2024")


def test_load_us_epa_aqi_rejects_hex_that_differs_from_rgb(monkeypatch):
    citation, raw = read_standard("us_epa_aqi_2024")
    cats = [dict(c) for c in raw["category"]]
    cats[4]["hex"] = "#99004C"  # China's 紫色, not the TAD's purple 143,63,151
    broken = {**raw, "category": cats}
    monkeypatch.setattr(READER, lambda _id: (citation, broken))
    with pytest.raises(StandardTableError, match=r"\[\[category\]\] 5: hex #99004C"):
        aqi_us_epa_table._load.__wrapped__("us_epa_aqi_2024")


# ---- daily_aqi_us_epa: canonical ecocast units in, ppm/ppb inside -------------------
# Conversions by hand at 298.15 K, 1013.25 hPa (V_m = 8.314462618*298.15/101325 m3/mol
# = 24.4654 L/mol): ppb = ug/m3 * V_m / M, M(O3) = 47.997, M(SO2) = 64.058, M(CO) = 28.010.
#   O3 157.0 ug/m3 -> 157.0 * 24.4654 / 47.997 = 80.03 ppb = 0.080 ppm -> 133
#   SO2 800 ug/m3 -> 800 * 24.4654 / 64.058 = 305.5 ppb -> 305 (footnote 3 threshold)
#   SO2 100 ug/m3 -> 38.2 ppb
#   CO 5.0 mg/m3 -> 5.0 * 24.4654 / 28.010 = 4.367 ppm -> 4.3 -> 50/4.4*4.3 = 48.86 -> 49


def _daily() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": ["A", "A", "B", "B", "C"],
            "date": pd.to_datetime(["2024-07-01", "2024-07-02"] * 2 + ["2024-07-01"]),
            "pm25": [35.9, 5.0, np.nan, 35.9, np.nan],
            "o3_8h_max": [157.0, 40.0, np.nan, np.nan, np.nan],
            "co_8h_max": [0.5, 5.0, np.nan, np.nan, np.nan],
            "so2_1h_max": [np.nan, np.nan, 800.0, np.nan, np.nan],
            "so2": [np.nan, np.nan, 100.0, np.nan, np.nan],
            "no2_1h_max": [np.nan, np.nan, np.nan, np.nan, np.nan],
        },
        index=[10, 11, 12, 13, 14],
    )


def test_daily_aqi_us_epa_values_primary_and_categories():
    out = daily_aqi_us_epa(_daily())
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    assert out["aqi"].tolist()[:4] == [133, 49, 200, 102]
    assert out["aqi"].isna().iloc[4]
    assert out["iaqi_o3_8h"].iloc[0] == 133
    assert out["iaqi_pm25_24h"].iloc[0] == 102
    assert out["iaqi_co_8h"].iloc[1] == 49
    # Footnote 3 special rule: 1-h >= 305 ppb, 24-h < 305 ppb -> 200
    assert out["iaqi_so2_1h"].iloc[2] == 200
    assert out["iaqi_so2_24h"].isna().iloc[2]
    assert out["primary"].tolist()[:4] == ["o3", "", "so2", "pm25"]
    assert pd.isna(out["primary"].iloc[4])
    assert out["category"].tolist()[:4] == [3, 1, 4, 3]
    assert out["descriptor"].iloc[0] == "Unhealthy for Sensitive Groups"
    assert (out["scheme"] == "us-epa-2024").all()
    assert out.attrs["standard_id"] == "us_epa_aqi_2024"
    assert str(out["aqi"].dtype) == "Int64"
    assert out["station"].tolist() == ["A", "A", "B", "B", "C"]
    assert out["date"].iloc[0] == pd.Timestamp("2024-07-01")


def test_daily_aqi_us_epa_ties_join_pollutants_in_order():
    # PM2.5 35.9 -> 102. NO2 199.5 ug/m3 -> 199.5 * 24.4654 / 46.005 = 106.09 ppb -> 106;
    # row 101-360 -> 101-150: 49/259 * (106 - 101) + 101 = 101.95 -> 102. A tie.
    frame = pd.DataFrame(
        {"station": ["A"], "date": [dt.date(2024, 7, 1)], "pm25": [35.9], "no2_1h_max": [199.5]}
    )
    out = daily_aqi_us_epa(frame)
    assert out["iaqi_no2_1h"].iloc[0] == 102
    assert out["primary"].iloc[0] == "pm25+no2"


def test_daily_aqi_us_epa_reference_state_is_an_argument():
    # At 273.15 K (V_m = 22.414 L/mol): O3 157.0 ug/m3 -> 157.0 * 22.414 / 47.997 = 73.3 ppb
    # -> 0.073 ppm -> 49/0.014 * 0.002 + 101 = 108
    frame = _daily().iloc[[0]]
    out = daily_aqi_us_epa(frame[["station", "date", "o3_8h_max"]], STANDARD_STATE_0C)
    assert out["aqi"].iloc[0] == 108
    assert out.attrs["reference_state"] == "273.15 K, 1013.25 hPa"


def test_daily_aqi_us_epa_missing_key_column():
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['date'\]"):
        daily_aqi_us_epa(pd.DataFrame({"station": ["A"], "pm25": [1.0]}))


@pytest.mark.parametrize(("value", "shown"), [(-2.0, "-2.0"), ("n/a", "'n/a'")])
def test_daily_aqi_us_epa_bad_value_names_column_and_row(value, shown):
    frame = _daily()
    frame["pm10"] = pd.Series([1.0, 2.0, value, 3.0, 4.0], index=frame.index, dtype=object)
    with pytest.raises(InputDataError, match=rf"column 'pm10', row 12: value {shown}"):
        daily_aqi_us_epa(frame)


# ---- NowCast ------------------------------------------------------------------------
# EPA "PM NowCast" fact sheet (nepis P100X0J6): weight factor w = 1 - (max - min)/max,
# at least 0.5; NowCast = sum(w^k * c_k) / sum(w^k), k = hours ago (0 = latest hour).


def _hours(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-07-01 00:00", periods=n, freq="h", tz="UTC")


def test_nowcast_us_epa_hand_computed_12_hours():
    # Oldest -> newest: 50 80 75 90 82 53 64 74 21 10 16 13 (ug/m3).
    # max 90, min 10: w = 1 - 80/90 = 0.11 < 0.5 -> 0.5.
    # num = 13 + 16/2 + 10/4 + 21/8 + 74/16 + 64/32 + 53/64 + 82/128 + 90/256 + 75/512
    #       + 80/1024 + 50/2048 = 34.8193359375
    # den = sum(0.5^k, k=0..11) = 1.99951171875 -> NowCast = 17.41393...
    # AQI: truncate 17.4, row 9.1-35.4 -> 51-100: 49/26.3*(17.4-9.1)+51 = 66.46 -> 66.
    hourly = pd.Series([50, 80, 75, 90, 82, 53, 64, 74, 21, 10, 16, 13.0], index=_hours(12))
    got = nowcast_us_epa(hourly)
    assert got.iloc[-1] == pytest.approx(34.8193359375 / 1.99951171875, rel=1e-12)
    assert aqi_us_epa(got.iloc[[-1]], "pm25_24h").tolist() == [66]


def test_nowcast_us_epa_weight_between_half_and_one():
    # [8, 10]: w = 8/10 = 0.8 -> (10 + 0.8 * 8) / (1 + 0.8) = 9.1111
    got = nowcast_us_epa(pd.Series([8.0, 10.0], index=_hours(2)))
    assert got.iloc[1] == pytest.approx(16.4 / 1.8)


def test_nowcast_us_epa_missing_hours_and_completeness():
    # [20, NaN, 10]: valid hours 2 h ago (20) and now (10); w = 10/20 = 0.5;
    # (10 + 0.25 * 20) / (1 + 0.25) = 12.0. Two of the latest three hours are valid.
    # A final hour with two of the latest three missing -> NaN.
    got = nowcast_us_epa(pd.Series([20.0, np.nan, 10.0, np.nan, np.nan], index=_hours(5)))
    assert got.iloc[2] == pytest.approx(12.0)
    assert np.isnan(got.iloc[0])  # only one valid hour among the latest three
    assert np.isnan(got.iloc[4])


def test_nowcast_us_epa_frame_constant_and_zero():
    frame = pd.DataFrame({"A": [7.0] * 14, "B": [0.0] * 14}, index=_hours(14))
    got = nowcast_us_epa(frame)
    assert got.columns.tolist() == ["A", "B"]
    assert got["A"].iloc[1:].tolist() == pytest.approx([7.0] * 13)
    assert got["B"].iloc[1:].tolist() == [0.0] * 13


def test_nowcast_us_epa_needs_consecutive_hours():
    index = _hours(4).delete(2)
    with pytest.raises(InputDataError, match="consecutive hours; row 2"):
        nowcast_us_epa(pd.Series([1.0, 2.0, 3.0], index=index))


def test_nowcast_us_epa_rejects_negative_values():
    with pytest.raises(InputDataError, match=r"column 'A'.*-1.0"):
        nowcast_us_epa(pd.DataFrame({"A": [1.0, -1.0]}, index=_hours(2)))
