"""The ``metrics.json`` document of a backtest: every figure beside persistence and climatology.

:func:`metrics_json` nests the tidy tables of :func:`~models.verification.verify_hourly`
and :func:`~models.verification.verify_daily` by variable and lead (or day) and puts,
beside each figure of the model, the same figure of every reference forecast with the
skill against it (:func:`~models.verify_skill.compare_to_baselines`). The result is
plain JSON: NaN becomes ``null``, counts are integers.

Structure (``format = "ecocast-metrics/1"``)::

    {
      "format": "ecocast-metrics/1",
      "model": "lightgbm",
      "references": ["persistence", "climatology"],
      "weather": "perfect prognosis",
      "window": {"start": "2015-03-01", "end": "2016-02-29"},      # or null
      "provenance": {"verification_standard": "cn_mee_hj1130_2020", ...},
      "definitions": {"mean_absolute_error": {"orientation": "lower", "perfect": 0.0,
                                              "units": "variable", "description": "..."}, ...},
      "hourly": {"pm25": {"1": {"mean_absolute_error": {
                    "value": 12.3, "n": 4380,
                    "persistence": {"value": 15.0, "n": 4380, "skill_score": 0.18},
                    "climatology": {"value": 30.1, "n": 4380, "skill_score": 0.59}},
                  ...}, ...}, ...},
      "daily":  {"pm25": {"1": {...}, "2": {...}, "3": {...}},
                 "aqi":  {"1": {"level_accuracy_score": {...},
                                "probability_of_detection_score_level_ge3": {...}, ...}}}
    }

Leads (``"1"`` … ``"72"`` [h]) and days (``"1"`` … ``"3"``) are string keys, as JSON
requires. ``hourly`` or ``daily`` is absent when the caller passes none.

References
----------
.. [1] shared/docs/product.md, "Backtest contract": ``DIR/metrics.json``, "the verification
   metrics above per variable and lead".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from forecasting.errors import InputDataError
from models.verify_skill import DEFAULT_REFERENCES, compare_to_baselines, metric_info
from models.verify_standard import Hj1130Verification, load_hj1130

__all__ = ["METRICS_FORMAT", "metrics_json"]

METRICS_FORMAT = "ecocast-metrics/1"
"""Value of the ``format`` key; bump when the structure changes."""


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def _count(value: Any) -> int | None:
    return None if value is None or value is pd.NA or pd.isna(value) else int(value)


def _key(value: Any) -> str:
    return (
        str(int(value))
        if isinstance(value, int | float) and float(value).is_integer()
        else str(value)
    )


def _nest(table: pd.DataFrame, references: Sequence[str]) -> dict[str, Any]:
    columns = [str(c) for c in table.columns]
    keys = [c for c in columns[: columns.index("metric")] if c != "model"]
    tree: dict[str, Any] = {}
    for row in table.to_dict("records"):
        node = tree
        for k in keys:
            node = node.setdefault(_key(row[k]), {})
        entry: dict[str, Any] = {"value": _number(row["value"]), "n": _count(row["n"])}
        for ref in references:
            entry[ref] = {
                "value": _number(row[f"{ref}_value"]),
                "n": _count(row[f"{ref}_n"]),
                "skill_score": _number(row[f"{ref}_skill_score"]),
            }
        node[str(row["metric"])] = entry
    return tree


def metrics_json(
    hourly: Mapping[str, pd.DataFrame] | None,
    daily: Mapping[str, pd.DataFrame] | None,
    *,
    model: str,
    weather: str,
    references: Sequence[str] = DEFAULT_REFERENCES,
    window: Mapping[str, str] | None = None,
    provenance: Mapping[str, Any] | None = None,
    rules: Hj1130Verification | None = None,
) -> dict[str, Any]:
    """Build the ``metrics.json`` document of a backtest (module docstring).

    Parameters
    ----------
    hourly : mapping of str to pandas.DataFrame, optional
        Model name → :func:`~models.verification.verify_hourly` table, for ``model`` and
        every reference; None to leave ``hourly`` out.
    daily : mapping of str to pandas.DataFrame, optional
        Model name → :func:`~models.verification.verify_daily` table; None to leave
        ``daily`` out.
    model : str
        The verified model (a key of the mappings).
    weather : str
        How meteorology entered the backtest, e.g. ``"perfect prognosis"`` (observed
        weather in place of forecasts) or ``"forecast"``; reported as given.
    references : sequence of str, default ("persistence", "climatology")
        Reference forecasts shown beside every figure.
    window : mapping of str to str, optional
        Backtest window, e.g. ``{"start": "2015-03-01", "end": "2016-02-29"}``.
    provenance : mapping, optional
        Anything else to record (standard ids of the truth, data files, run id);
        JSON-serialisable.
    rules : Hj1130Verification, optional
        The HJ 1130 rules used (their id is recorded); default
        :func:`~models.verify_standard.load_hj1130`.

    Returns
    -------
    dict
        JSON-serialisable (``json.dumps(..., allow_nan=False)`` succeeds).

    Raises
    ------
    InputDataError
        If ``model`` or a reference has no table (via
        :func:`~models.verify_skill.compare_to_baselines`).

    References
    ----------
    .. [1] shared/docs/product.md, backtest contract and capability 6.
    """
    doc: dict[str, Any] = {
        "format": METRICS_FORMAT,
        "model": model,
        "references": list(references),
        "weather": weather,
        "window": dict(window) if window is not None else None,
        "provenance": {
            "verification_standard": (rules or load_hj1130()).source.id,
            **dict(provenance or {}),
        },
    }
    names: set[str] = set()
    for section, tables in (("hourly", hourly), ("daily", daily)):
        if tables is None:
            continue
        if model not in tables:
            raise InputDataError(f"{section}: no metrics for model {model!r}; have {list(tables)}")
        compared = compare_to_baselines(tables, references)
        mine = compared[compared["model"] == model].drop(columns="model")
        names.update(str(m) for m in mine["metric"].unique())
        doc[section] = _nest(mine, references)
    doc["definitions"] = {
        name: {
            "orientation": info.orientation,
            "perfect": info.perfect,
            "units": info.units,
            "description": info.description,
        }
        for name in sorted(names)
        for info in [metric_info(name)]
    }
    return doc
