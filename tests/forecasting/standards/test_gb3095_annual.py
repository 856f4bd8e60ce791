"""Annual GB 3095 / HJ 663 statistics (forecasting.standards.gb3095_annual)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.standards.gb3095 import annual_statistics

COLUMNS = ["so2", "no2", "pm10", "pm25", "co", "o3_8h_max"]
# Removable days per month keeping >= 27 (February >= 25) in a non-leap year: 43 in all.
SPARE = {1: 4, 2: 3, 3: 4, 4: 3, 5: 4, 6: 3, 7: 4, 8: 4, 9: 3, 10: 4, 11: 3, 12: 4}


def year_of_days(station: str, year: int, drop: dict[int, int] | None = None) -> pd.DataFrame:
    """Daily rows for a year; ``drop[m]`` days at the end of month m are NaN (invalid)."""
    dates = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    values = np.arange(1, len(dates) + 1, dtype=float)
    frame = pd.DataFrame({"station": station, "date": dates.date})
    for month, n in (drop or {}).items():
        in_month = np.flatnonzero(dates.month == month)
        values[in_month[len(in_month) - n :]] = np.nan
    for c in COLUMNS:
        frame[c] = values
    return frame


def drop_days(n: int) -> dict[int, int]:
    out: dict[int, int] = {}
    for month, spare in SPARE.items():
        take = min(spare, n - sum(out.values()))
        out[month] = take
    assert sum(out.values()) == n
    return out


# GB 3095—2026 表4, 年平均: "每年至少有 324 个日平均浓度值；每月至少有 27 个日平均浓度值
# （二月至少有 25 个日平均浓度值）" — both edges of 324.
@pytest.mark.parametrize(("n_valid", "valid"), [(323, False), (324, True), (365, True)])
def test_annual_324_days(n_valid, valid):
    out = annual_statistics(year_of_days("A", 2025, drop_days(365 - n_valid)))
    row = out.iloc[0]
    assert row["n_days_pm25"] == n_valid
    assert row["pm25_valid"] == valid
    assert np.isnan(row["pm25_mean"]) != valid
    assert np.isnan(row["o3_8h_max_p90"]) != valid


# Same rule, monthly minimum: 27 days (both edges), February 25 days (both edges).
@pytest.mark.parametrize(
    ("month", "n_dropped", "valid"),
    [(4, 3, True), (4, 4, False), (2, 3, True), (2, 4, False), (12, 4, True), (12, 5, False)],
)
def test_annual_monthly_minimum(month, n_dropped, valid):
    out = annual_statistics(year_of_days("A", 2025, {month: n_dropped}))
    assert out["so2_valid"].iloc[0] == valid
    assert out["n_days_so2"].iloc[0] == 365 - n_dropped


def test_a_month_without_rows_is_invalid():
    frame = year_of_days("A", 2025)
    frame = frame[pd.to_datetime(frame["date"]).dt.month != 7]
    assert not annual_statistics(frame)["pm10_valid"].iloc[0]


# HJ 663 附录A percentile method as used in practice (UNVERIFIED against the text):
# k = 1 + (n − 1)·p/100, s = ⌊k⌋, M_p = X(s) + (X(s+1) − X(s))·(k − s).
# n = 365 values 1 … 365, p = 95: k = 1 + 364 × 0.95 = 346.8, M = 346 + 0.8 × 1 = 346.8.
# p = 98: k = 357.72 → 357.72; p = 90: k = 328.6 → 328.6.
def test_percentiles_hj663_linear_worked_example():
    row = annual_statistics(year_of_days("A", 2025)).iloc[0]
    assert row["pm25_p95"] == pytest.approx(346.8)
    assert row["co_p95"] == pytest.approx(346.8)
    assert row["so2_p98"] == pytest.approx(357.72)
    assert row["o3_8h_max_p90"] == pytest.approx(328.6)
    assert row["no2_mean"] == pytest.approx(183.0)
    assert "co_mean" not in row.index  # no annual mean item for CO or O3


def test_percentiles_match_numpy_linear_on_random_values():
    rng = np.random.default_rng(0)
    frame = year_of_days("A", 2024)  # leap year: 366 days
    frame["pm10"] = rng.gamma(2.0, 40.0, len(frame))
    frame.loc[frame.index[::50], "pm10"] = np.nan
    row = annual_statistics(frame).iloc[0]
    values = frame["pm10"].dropna().to_numpy()
    assert row["n_days_pm10"] == len(values)
    assert row["pm10_p95"] == pytest.approx(np.percentile(values, 95, method="linear"))
    assert row["pm10_mean"] == pytest.approx(values.mean())


def test_many_stations_and_years_in_one_frame():
    frame = pd.concat(
        [
            year_of_days("B", 2025, {6: 10}),
            year_of_days("A", 2025),
            year_of_days("A", 2026, drop_days(41)),
        ]
    ).sample(frac=1.0, random_state=2)
    out = annual_statistics(frame)
    assert list(zip(out["station"], out["year"], strict=True)) == [
        ("A", 2025), ("A", 2026), ("B", 2025)
    ]  # fmt: skip
    assert out["pm25_valid"].tolist() == [True, True, False]
    assert out.attrs["standard"] == "cn_mee_gb3095_2026"


def test_only_present_columns_are_assessed():
    frame = year_of_days("A", 2025)[["station", "date", "pm25"]]
    out = annual_statistics(frame)
    assert [c for c in out.columns if "pm10" in c or "o3" in c] == []
    assert {"pm25_mean", "pm25_p95", "n_days_pm25", "pm25_valid"} <= set(out.columns)


def test_errors_name_the_problem():
    frame = year_of_days("A", 2025)
    with pytest.raises(InputDataError, match="needs 'station', 'date'"):
        annual_statistics(frame.drop(columns="date"))
    with pytest.raises(InputDataError, match=r"two rows for station 'A' on 2025-01-01"):
        annual_statistics(pd.concat([frame, frame.iloc[:1]]))
