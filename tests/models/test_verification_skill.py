"""Skill scores, metric orientation, comparison with the references and metrics.json.

Skill score (Jolliffe & Stephenson 2012, §2.7): SS = (S − S_ref)/(S_perfect − S_ref),
i.e. 1 − S/S_ref for an error (perfect 0) and (S − S_ref)/(1 − S_ref) for an accuracy.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from models.verify_report import METRICS_FORMAT, metrics_json
from models.verify_skill import compare_to_baselines, metric_info, skill_score


@pytest.mark.parametrize(
    ("model", "reference", "perfect", "expected"),
    [
        (30.0, 40.0, 0.0, 0.25),  # MAE 30 vs 40: 1 − 30/40
        (50.0, 40.0, 0.0, -0.25),  # worse than the reference: negative
        (40.0, 40.0, 0.0, 0.0),  # no better
        (0.0, 40.0, 0.0, 1.0),  # perfect
        (0.875, 0.75, 1.0, 0.5),  # accuracy 87.5 % vs 75 %: (0.875 − 0.75)/(1 − 0.75)
        (0.75, 0.6, 0.8, 0.75),  # coverage: |0.75 − 0.8| = 0.05 vs |0.6 − 0.8| = 0.2
        (-0.1, 0.2, 0.0, 0.5),  # NMB: |−0.1| vs |0.2|
    ],
)
def test_skill_score_hand_values(model, reference, perfect, expected):
    assert skill_score(model, reference, perfect=perfect) == pytest.approx(expected)


def test_skill_score_undefined_against_a_perfect_reference_or_missing_value():
    assert math.isnan(skill_score(10.0, 0.0))
    assert math.isnan(skill_score(float("nan"), 10.0))
    got = skill_score(np.array([1.0, 2.0]), np.array([2.0, 2.0]))
    assert got.tolist() == [0.5, 0.0]


@pytest.mark.parametrize(
    ("name", "orientation", "perfect"),
    [
        ("mean_absolute_error", "lower", 0.0),
        ("normalized_mean_bias", "target", 0.0),
        ("pearson_r", "higher", 1.0),
        ("level_accuracy_score", "higher", 1.0),
        ("pinball_loss_q10", "lower", 0.0),
        ("interval_coverage_q10_q90", "target", 0.8),
        ("interval_coverage_q05_q95", "target", 0.9),
        ("probability_of_detection_score_level_ge3", "higher", 1.0),
        ("false_alarm_ratio_error_level_ge5", "lower", 0.0),
    ],
)
def test_metric_info_orientation_follows_the_name(name, orientation, perfect):
    info = metric_info(name)
    assert (info.name, info.orientation, info.perfect) == (name, orientation, perfect)


@pytest.mark.parametrize("name", ["mae", "pinball_loss_q1", "interval_coverage_q90_q10"])
def test_metric_info_unknown_lists_the_known(name):
    with pytest.raises(UnknownStandardError, match=r"unknown verification metric .* choose one"):
        metric_info(name)


def _table(values: dict[str, float], lead: int = 1, n: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variable": "pm25",
            "lead_h": lead,
            "metric": list(values),
            "value": list(values.values()),
            "n": n,
        }
    )


MODELS = {
    "gbm": _table({"mean_absolute_error": 6.0, "level_accuracy_score": 0.8}),
    "persistence": _table({"mean_absolute_error": 8.0, "level_accuracy_score": 0.6}),
    "climatology": _table({"mean_absolute_error": 12.0, "level_accuracy_score": 0.5}),
}


def test_compare_to_baselines_puts_each_figure_beside_the_references():
    out = compare_to_baselines(MODELS)
    gbm = out[out["model"] == "gbm"].set_index("metric")
    assert gbm.loc["mean_absolute_error", "persistence_value"] == 8.0
    assert gbm.loc["mean_absolute_error", "persistence_skill_score"] == pytest.approx(0.25)
    assert gbm.loc["mean_absolute_error", "climatology_skill_score"] == pytest.approx(0.5)
    assert gbm.loc["level_accuracy_score", "persistence_skill_score"] == pytest.approx(0.5)
    assert gbm.loc["level_accuracy_score", "climatology_skill_score"] == pytest.approx(0.6)
    assert gbm["persistence_n"].tolist() == [100, 100]
    persistence = out[out["model"] == "persistence"].set_index("metric")
    assert persistence.loc["mean_absolute_error", "persistence_skill_score"] == 0.0
    assert persistence.loc["mean_absolute_error", "climatology_skill_score"] == pytest.approx(
        1 - 8 / 12
    )


def test_compare_to_baselines_requires_every_reference_and_same_keys():
    with pytest.raises(InputDataError, match=r"no metrics for reference\(s\) \['climatology'\]"):
        compare_to_baselines({"gbm": MODELS["gbm"], "persistence": MODELS["persistence"]})
    other = MODELS["climatology"].rename(columns={"lead_h": "day"})
    with pytest.raises(InputDataError, match=r"have key columns"):
        compare_to_baselines({**MODELS, "climatology": other})
    doubled = pd.concat([MODELS["gbm"], MODELS["gbm"]])
    with pytest.raises(InputDataError, match=r"appears twice"):
        compare_to_baselines({**MODELS, "gbm": doubled})


def test_a_figure_missing_from_a_reference_has_no_skill():
    extra = pd.concat([MODELS["gbm"], _table({"mean_absolute_error": 5.0}, lead=2)])
    out = compare_to_baselines({**MODELS, "gbm": extra})
    row = out[(out["model"] == "gbm") & (out["lead_h"] == 2)].iloc[0]
    assert pd.isna(row["persistence_n"])
    assert math.isnan(row["persistence_skill_score"])


def test_metrics_json_structure_is_plain_json():
    daily = {
        name: pd.DataFrame(
            {
                "variable": ["aqi", "aqi"],
                "day": [1, 3],
                "metric": ["probability_of_detection_score_level_ge5"] * 2,
                "value": [0.5, float("nan")],
                "n": [4, 0],
            }
        )
        for name in MODELS
    }
    doc = metrics_json(
        MODELS,
        daily,
        model="gbm",
        weather="perfect prognosis",
        window={"start": "2015-03-01", "end": "2015-03-31"},
        provenance={"truth": ["cn_mee_hj633_2012"]},
    )
    text = json.dumps(doc, allow_nan=False)  # NaN must have become null
    assert json.loads(text) == doc
    assert doc["format"] == METRICS_FORMAT
    assert doc["weather"] == "perfect prognosis"
    assert doc["references"] == ["persistence", "climatology"]
    assert doc["provenance"] == {
        "verification_standard": "cn_mee_hj1130_2020",
        "truth": ["cn_mee_hj633_2012"],
    }
    mae = doc["hourly"]["pm25"]["1"]["mean_absolute_error"]
    assert mae == {
        "value": 6.0,
        "n": 100,
        "persistence": {"value": 8.0, "n": 100, "skill_score": pytest.approx(0.25)},
        "climatology": {"value": 12.0, "n": 100, "skill_score": pytest.approx(0.5)},
    }
    day3 = doc["daily"]["aqi"]["3"]["probability_of_detection_score_level_ge5"]
    assert day3["value"] is None
    assert day3["n"] == 0
    assert day3["persistence"]["skill_score"] is None
    assert doc["definitions"]["level_accuracy_score"]["orientation"] == "higher"
    assert set(doc["definitions"]) == {
        "mean_absolute_error",
        "level_accuracy_score",
        "probability_of_detection_score_level_ge5",
    }


def test_metrics_json_names_a_missing_model():
    with pytest.raises(InputDataError, match=r"hourly: no metrics for model 'lightgbm'"):
        metrics_json(MODELS, None, model="lightgbm", weather="forecast")
