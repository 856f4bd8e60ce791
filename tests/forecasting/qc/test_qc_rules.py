"""The packaged QC rules: the thresholds the data README documents, and loader errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.qc.rules import default_qc_rules, read_qc_rules

RULES = default_qc_rules()


# shared/data/README.md, "Ceiling and suspect values": "pm25 and pm10 reach 999 (1 and 3 rows).
# co reaches 10,000 (43 rows). so2 reaches 500 (3 rows)." CO is stored in mg/m3 (10,000 µg/m3 = 10).
@pytest.mark.parametrize(
    ("variable", "ceiling"), [("pm25", 999.0), ("pm10", 999.0), ("co", 10.0), ("so2", 500.0)]
)
def test_ceilings_from_the_data_readme(variable: str, ceiling: float) -> None:
    assert RULES.variable(variable).ceilings == (ceiling,)


# shared/data/README.md, "Censored values (4-hourly)": "NH3-N is exactly 0.025 mg/L in 27.6 %
# of rows, TP 0.005 mg/L in 4.6 %, CODMn 0.25 mg/L in 0.5 %: detection-limit floors".
@pytest.mark.parametrize(("variable", "limit"), [("nh3n", 0.025), ("tp", 0.005), ("codmn", 0.25)])
def test_detection_limits_from_the_data_readme(variable: str, limit: float) -> None:
    assert RULES.variable(variable).detection_limit == limit


def test_o3_bound_lies_below_the_dongsi_run() -> None:
    # README: "o3 is between 1,026 and 1,071 µg/m³ at Dongsi ... (16 rows, physically implausible)".
    assert RULES.variable("o3").upper < 1026.0


def test_so2_stuck_threshold_catches_the_204_hour_run() -> None:
    # README: "runs of identical so2 values up to 204 h (value 2 ... Gucheng, Aug 2015)";
    # 204 hourly values span 203 h between first and last stamp.
    assert RULES.variable("so2").stuck_hours <= 203.0


def test_every_variable_has_a_domain_with_series_settings() -> None:
    for rule in RULES.variables.values():
        assert rule.domain in RULES.domains
        assert rule.lower < rule.upper


def test_unknown_variable_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownStandardError, match=r"unknown QC variable 'pm2\.5'; choose one of: .*pm25"
    ):
        RULES.variable("pm2.5")


def test_default_rules_are_loaded_once() -> None:
    assert read_qc_rules() is default_qc_rules()


_VALID = """
[about]
version = "test"
[domain.air]
max_gap_hours = 3.0
[domain.water]
max_gap_hours = 72.0
[spike]
window = 5
min_periods = 3
k = 4.0
[consistency]
pm25_gt_pm10_tolerance = 1.0
[variable.pm25]
domain = "air"
unit = "ug/m3"
range = [0.0, 500.0]
"""


def test_custom_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(_VALID, encoding="utf-8")
    rules = read_qc_rules(path)
    assert rules.source == "rules.toml@test"
    assert rules.variable("pm25").upper == 500.0
    assert rules.spike.window == 5
    assert rules.pm25_gt_pm10_tolerance == 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("range = [0.0, 500.0]", "range = [500.0, 0.0]"), r"\[variable.pm25\]: range"),
        (('unit = "ug/m3"', 'unit = "ug/m3"\nceiling = 3'), r"unknown key\(s\) \['ceiling'\]"),
        (('domain = "air"', 'domain = "sea"'), r"domain 'sea' must be 'air' or 'water'"),
        (("window = 5", "window = 4"), r"\[spike\]: window must be odd"),
        (("[domain.water]\nmax_gap_hours = 72.0", ""), r"missing table \[domain.water\]"),
        (("k = 4.0", 'k = "four"'), r"\[spike\] k: 'four' is not a number"),
    ],
)
def test_invalid_rules_name_the_file_and_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(_VALID.replace(*change), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"bad\.toml.*" + message):
        read_qc_rules(path)


def test_unreadable_rules_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="cannot read QC rules"):
        read_qc_rules(tmp_path / "missing.toml")
