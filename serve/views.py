"""Turn the store's runs and frames into the API's response models.

Pure functions: a :class:`~forecasting.storage.issuance.RunInfo` or a frame of
:meth:`~forecasting.storage.Store.read_run_hourly`,
:meth:`~forecasting.storage.Store.read_run_daily` or
:meth:`~forecasting.storage.Store.read_run_aqi` in, pydantic models out. Missing
values (NaN) become ``null``; the AQI level texts come from :mod:`serve.levels`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import pandas as pd

from forecasting.storage.issuance import RunInfo
from serve.levels import aqi_level_text, warning_label
from serve.schemas import (
    Band,
    DailyDay,
    Edit,
    HourlyItem,
    ReviewDay,
    RunDetail,
    RunPublic,
    WarningItem,
)

__all__ = [
    "daily_days",
    "hourly_items",
    "of_kind",
    "review_days",
    "run_detail",
    "run_public",
    "warning_items",
]


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def _date(value: Any) -> dt.date:
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def run_public(run: RunInfo) -> RunPublic:
    """Return the public view of a run."""
    return RunPublic(
        id=run.id,
        kind=run.kind,
        issued_at=run.issued_at,
        version=run.version,
        status=run.status,
        published_at=run.published_at,
        standard_edition=run.standard_edition,
        degraded=run.degraded,
        degraded_reasons=list(run.degraded_reasons),
        model_versions=dict(run.model_versions),
        data_cutoff=run.data_cutoff,
    )


def run_detail(run: RunInfo) -> RunDetail:
    """Return the forecaster's view of a run (with inputs and provenance)."""
    return RunDetail(
        **run_public(run).model_dump(),
        created_at=run.created_at,
        published_by=run.published_by,
        source_run_id=run.source_run_id,
        timezone=run.timezone,
        inputs=dict(run.inputs),
    )


def of_kind(frame: pd.DataFrame, entity_kind: str) -> pd.DataFrame:
    """Return the rows of ``frame`` whose ``entity_kind`` is ``entity_kind``."""
    return frame.loc[frame["entity_kind"] == entity_kind]


def hourly_items(hourly: pd.DataFrame) -> list[HourlyItem]:
    """Return hourly items, sorted by variable and valid time.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Rows of one entity: ``variable``, ``valid_at``, ``lead_h``, ``value``,
        ``q10``, ``q90`` [µg/m³; CO mg/m³].
    """
    ordered = hourly.sort_values(["variable", "valid_at"], kind="stable")
    return [
        HourlyItem(
            variable=str(variable),
            valid_at=valid_at,
            lead_h=int(lead_h),
            value=_num(value),
            q10=_num(q10),
            q90=_num(q90),
        )
        for variable, valid_at, lead_h, value, q10, q90 in zip(
            ordered["variable"],
            ordered["valid_at"],
            ordered["lead_h"],
            ordered["value"],
            ordered["q10"],
            ordered["q90"],
            strict=True,
        )
    ]


def _bands(daily: pd.DataFrame) -> dict[dt.date, dict[str, Band]]:
    bands: dict[dt.date, dict[str, Band]] = {}
    for date, variable, value, q10, q90 in zip(
        daily["date"], daily["variable"], daily["value"], daily["q10"], daily["q90"], strict=True
    ):
        bands.setdefault(_date(date), {})[str(variable)] = Band(
            value=_num(value), q10=_num(q10), q90=_num(q90)
        )
    return bands


def _day_fields(row: Mapping[Hashable, Any], values: dict[str, Band]) -> dict[str, Any]:
    date = _date(row["date"])
    level = _int(row["level"])
    text = aqi_level_text(level, date)
    return {
        "date": date,
        "day": int(row["day"]),
        "aqi": _int(row["aqi"]),
        "aqi_low": _int(row["aqi_low"]),
        "aqi_high": _int(row["aqi_high"]),
        "level": level,
        "level_name": text.name if text else None,
        "level_name_en": text.name_en if text else None,
        "colour": text.colour if text else None,
        "primary_pollutant": str(row["primary_pollutant"] or ""),
        "health_effects": text.health_effects if text else None,
        "advice": text.advice if text else None,
        "warning_level": _int(row["warning_level"]) or 0,
        "warning_scheme": str(row["warning_scheme"]),
        "values": values,
    }


def daily_days(aqi: pd.DataFrame, daily: pd.DataFrame) -> list[DailyDay]:
    """Return the days of one entity, sorted by date.

    Parameters
    ----------
    aqi : pandas.DataFrame
        The entity's rows of :meth:`~forecasting.storage.Store.read_run_aqi`.
    daily : pandas.DataFrame
        The entity's rows of :meth:`~forecasting.storage.Store.read_run_daily`.
    """
    bands = _bands(daily)
    rows = aqi.sort_values("date", kind="stable").to_dict("records")
    return [DailyDay(**_day_fields(row, bands.get(_date(row["date"]), {}))) for row in rows]


def review_days(
    aqi: pd.DataFrame, daily: pd.DataFrame, edits: Iterable[Edit] = ()
) -> list[ReviewDay]:
    """Return the days of one entity with the model's values and the edits beside them."""
    bands = _bands(daily)
    by_date: dict[dt.date, list[Edit]] = {}
    for edit in edits:
        by_date.setdefault(edit.date, []).append(edit)
    days = []
    for row in aqi.sort_values("date", kind="stable").to_dict("records"):
        date = _date(row["date"])
        days.append(
            ReviewDay(
                **_day_fields(row, bands.get(date, {})),
                model_aqi=_int(row.get("model_aqi")),
                model_aqi_low=_int(row.get("model_aqi_low")),
                model_aqi_high=_int(row.get("model_aqi_high")),
                model_level=_int(row.get("model_level")),
                model_primary_pollutant=row.get("model_primary_pollutant"),
                edited=bool(row.get("edited", False)),
                edits=by_date.get(date, []),
            )
        )
    return days


def warning_items(aqi: pd.DataFrame, run_id: int) -> list[WarningItem]:
    """Return the warnings (warning level ≥ 1) of a run's AQI frame, by entity and date."""
    warned = aqi.loc[aqi["warning_level"].fillna(0).astype("int64") > 0]
    warned = warned.sort_values(["entity_kind", "entity", "date"], kind="stable")
    items = []
    for row in warned.to_dict("records"):
        level = int(row["warning_level"])
        label = warning_label(str(row["warning_scheme"]), level)
        items.append(
            WarningItem(
                entity=str(row["entity"]),
                entity_kind=row["entity_kind"],
                date=_date(row["date"]),
                level=level,
                scheme=str(row["warning_scheme"]),
                label=label.label,
                label_zh=label.label_zh,
                colour=label.colour,
                run_id=run_id,
            )
        )
    return items
