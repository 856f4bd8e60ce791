"""Tests of the comprehensive trophic level index TLI(Σ).

Quoted from 环办〔2011〕22号 as transcribed in shared/docs/standards.md §6.1 (coefficients
secondary: six public implementations agree; grade boundaries UNVERIFIED configuration).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.tables import read_standard
from forecasting.standards.trophic import (
    load_trophic_table,
    tli,
    tli_single,
    tli_weights,
    trophic_grade,
    trophic_state,
)

# standards.md §6.1 table:  j | r_ij | r_ij² | W_j
#   Chl-a | 1 | 1 | 0.2663;  TP | 0.84 | 0.7056 | 0.1879;  TN | 0.82 | 0.6724 | 0.1790;
#   SD | −0.83 | 0.6889 | 0.1834;  CODMn | 0.83 | 0.6889 | 0.1834;  Σ r² = 3.7558.
PRINTED = {
    "chla": (1.0, 1.0, 0.2663),
    "tp": (0.84, 0.7056, 0.1879),
    "tn": (0.82, 0.6724, 0.1790),
    "sd": (-0.83, 0.6889, 0.1834),
    "codmn": (0.83, 0.6889, 0.1834),
}


@pytest.mark.parametrize(("name", "printed"), PRINTED.items())
def test_r_and_weights_as_printed(name: str, printed: tuple[float, float, float]) -> None:
    r, r_squared, weight = printed
    p = load_trophic_table().parameter(name)
    assert (p.r, p.r_squared) == (r, r_squared)
    assert round(tli_weights(PRINTED)[name], 4) == weight


def test_weights_sum_and_tn_r_squared() -> None:
    t = load_trophic_table()
    assert sum(p.r_squared for p in t.parameters.values()) == pytest.approx(3.7558, abs=1e-12)
    assert t.parameter("tn").r_squared == 0.6724  # 0.82², not the 0.6726 seen in some codes
    assert sum(tli_weights(PRINTED).values()) == pytest.approx(1.0)


def test_weights_renormalised_without_transparency() -> None:
    # No SD (CNEMC automatic stations): Σ r² = 1 + 0.7056 + 0.6724 + 0.6889 = 3.0669.
    w = tli_weights(["chla", "tp", "tn", "codmn"])
    assert w["chla"] == pytest.approx(1 / 3.0669)
    assert w["tp"] == pytest.approx(0.7056 / 3.0669)
    assert "sd" not in w


# TLI(chla) = 10(2.5 + 1.086 ln chla); TLI(TP) = 10(9.436 + 1.624 ln TP);
# TLI(TN) = 10(5.453 + 1.694 ln TN); TLI(SD) = 10(5.118 − 1.94 ln SD);
# TLI(CODMn) = 10(0.109 + 2.661 ln CODMn)   [standards.md §6.1]
@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("chla", 1.0, 25.0),  # ln 1 = 0: 10·2.5
        ("tp", 1.0, 94.36),
        ("tn", 1.0, 54.53),
        ("sd", 1.0, 51.18),
        ("codmn", 1.0, 1.09),
        ("chla", 10.0, 50.0061),  # 10(2.5 + 1.086·2.302585) = 10·5.000607
        ("tp", 0.05, 45.7093),  # 10(9.436 + 1.624·(−2.995732)) = 10·4.570931
        ("sd", 0.5, 64.6271),  # 10(5.118 − 1.94·(−0.693147)) = 10·6.462706
        ("codmn", 4.0, 37.9793),  # 10(0.109 + 2.661·1.386294) = 10·3.797929
    ],
)
def test_tli_single_hand_computation(parameter: str, value: float, expected: float) -> None:
    assert tli_single([value], parameter)[0] == pytest.approx(expected, abs=5e-5)


def test_tli_single_units_chla_ug_per_l() -> None:
    # CNEMC publishes chl-a in mg/L: 0.01 mg/L = 10 µg/L = 10 mg/m³ → TLI 50.0061.
    cnemc_mg_per_l = np.array([0.01])
    assert tli_single(cnemc_mg_per_l * 1000, "chla")[0] == pytest.approx(50.0061, abs=5e-5)


def test_tli_single_zero_missing_and_bad() -> None:
    got = tli_single([0.0, np.nan, 1.0], "tp")
    assert np.isnan(got[:2]).all()
    assert got[2] == pytest.approx(94.36)
    with pytest.raises(InputDataError, match=r"tp: value -0\.1 at position 0"):
        tli_single([-0.1], "tp")
    with pytest.raises(UnknownStandardError, match=r"TLI parameter 'secchi'; choose one of"):
        tli_single([1.0], "secchi")


def test_tli_sum_against_printed_weights() -> None:
    # Σ W_j·TLI(j) with the printed W: 0.2663·50.0061 + 0.1879·45.7093 + 0.1790·54.53
    # + 0.1834·64.6271 + 0.1834·37.9793 = 50.4843 (printed weights are rounded to 4 dp).
    got = tli(chla=10.0, tp=0.05, tn=1.0, sd=0.5, codmn=4.0)
    assert float(got) == pytest.approx(50.4843, abs=0.01)
    assert float(got) == pytest.approx(50.4846, abs=1e-4)  # unrounded r²/Σ r²


def test_tli_renormalises_over_present_parameters() -> None:
    # Without SD: (1·50.0061 + 0.7056·45.7093 + 0.6724·54.53 + 0.6889·37.9793)/3.0669 = 47.3079.
    four = tli(chla=10.0, tp=0.05, tn=1.0, codmn=4.0)
    assert float(four) == pytest.approx(47.3079, abs=1e-4)
    # Row-wise: a NaN SD in one row renormalises that row only.
    rows = tli(chla=[10.0, 10.0], tp=0.05, tn=1.0, sd=[0.5, np.nan], codmn=4.0)
    assert rows.tolist() == pytest.approx([50.4846, 47.3079], abs=1e-4)
    strict = tli(chla=[10.0, 10.0], tp=0.05, tn=1.0, sd=[0.5, np.nan], codmn=4.0, renormalise=False)
    assert strict[0] == pytest.approx(50.4846, abs=1e-4)
    assert np.isnan(strict[1])
    assert np.isnan(tli(chla=[np.nan], tp=[np.nan])).all()
    with pytest.raises(InputDataError, match="give at least one of chla"):
        tli()


# Grades (UNVERIFIED boundaries, standards.md §6.1): TLI < 30 贫营养; 30 ≤ TLI ≤ 50 中营养;
# 50 < TLI ≤ 60 轻度富营养; 60 < TLI ≤ 70 中度富营养; TLI > 70 重度富营养.
@pytest.mark.parametrize(
    ("value", "grade", "name_zh", "state_zh"),
    [
        (float(np.nextafter(30.0, 0)), 1, "贫营养", "贫营养"),
        (30.0, 2, "中营养", "中营养"),
        (50.0, 2, "中营养", "中营养"),
        (float(np.nextafter(50.0, 99)), 3, "轻度富营养", "富营养"),
        (60.0, 3, "轻度富营养", "富营养"),
        (float(np.nextafter(60.0, 99)), 4, "中度富营养", "富营养"),
        (70.0, 4, "中度富营养", "富营养"),
        (float(np.nextafter(70.0, 99)), 5, "重度富营养", "富营养"),
        (-5.0, 1, "贫营养", "贫营养"),
    ],
)
def test_trophic_grade_boundaries(value: float, grade: int, name_zh: str, state_zh: str) -> None:
    got = trophic_grade([value])
    assert (got["grade"].iloc[0], got["grade_zh"].iloc[0], got["state_zh"].iloc[0]) == (
        grade,
        name_zh,
        state_zh,
    )


def test_trophic_grade_names_missing_and_index() -> None:
    got = trophic_grade(pd.Series([20.0, np.nan, 75.0], index=["a", "b", "c"]))
    assert got.index.tolist() == ["a", "b", "c"]
    assert got["grade"].tolist() == [1, pd.NA, 5]
    assert got["grade_en"].tolist()[::2] == ["oligotrophic", "hypereutrophic"]
    assert got.attrs["standard_id"] == "cn_trophic_tli"


def test_trophic_state_frame() -> None:
    frame = pd.DataFrame(
        {"chla": [10.0, np.nan], "tp": [0.05, 0.05], "tn": [1.0, 1.0], "codmn": [4.0, 4.0]},
        index=[10, 11],
    )
    got = trophic_state(frame)
    assert got["tli"].tolist()[0] == pytest.approx(47.3079, abs=1e-4)
    assert got["n_parameters"].tolist() == [4, 3]
    assert got["grade_zh"].tolist()[0] == "中营养"
    assert got.attrs["standard_id"] == "cn_trophic_tli"
    with pytest.raises(InputDataError, match="none of the columns"):
        trophic_state(pd.DataFrame({"do": [1.0]}))


@pytest.mark.parametrize("name", ["chla", "tp", "tn", "codmn", "sd"])
def test_tli_single_monotone(name: str) -> None:
    values = np.geomspace(1e-3, 1e3, 200)
    steps = np.diff(tli_single(values, name))
    assert (steps < 0).all() if name == "sd" else (steps > 0).all()


def test_data_file_citation() -> None:
    citation, raw = read_standard("cn_trophic_tli")
    assert citation.status == "secondary"
    assert "UNVERIFIED" in citation.notes
    assert raw["index"]["scale"] == 10
    assert [g.upper for g in load_trophic_table().grades] == [30, 50, 60, 70, None]
    assert math.isclose(load_trophic_table().parameter("sd").b, -1.94)
