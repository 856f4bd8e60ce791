"""Forecast runs in the store: draft, edit, publish, revise, as-of view, audit, atomicity, speed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError, RunNotFoundError, RunStateError
from forecasting.storage import (
    AQI_DTYPES,
    DAILY_DTYPES,
    HOURLY_DTYPES,
    Store,
    create_store_engine,
    issuance_versions,
)
from forecasting.storage import issuance as issuance_module
from forecasting.storage.migrate import current_revision, head_revision, upgrade
from forecasting.storage.schema import (
    audit_log,
    forecast_aqi,
    forecast_daily,
    forecast_edits,
    forecast_runs,
    forecasts,
    metadata,
    publications,
)

ISSUED = datetime(2026, 11, 23, 8, tzinfo=UTC)  # 16:00 in Beijing, the default issue hour
DAYS = (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))  # days 1-3, local
HOURLY_VARIABLES = ("pm25", "pm10", "so2", "no2", "co", "o3")
DAILY_VARIABLES = ("pm25", "pm10", "so2", "no2", "co", "o3_8h_max", "o3_1h_max")
BEIJING = (
    "Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng",
    "Huairou", "Nongzhanguan", "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong",
)  # fmt: skip
#: AQI per day: 45 (level 1, no primary pollutant), 128 (level 3), 210 (level 5).
DAY_AQI = (45, 128, 210)


def make_frames(
    stations: tuple[str, ...] = ("Dongsi", "Aotizhongxin"),
    cities: tuple[str, ...] = ("Beijing",),
    leads: int = 80,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hourly, daily and AQI frames of a run issued at ISSUED (synthetic values)."""
    rng = np.random.default_rng(seed)
    entities = [(s, "station") for s in stations] + [(c, "city") for c in cities]
    names = np.array([e for e, _ in entities], dtype=object)
    kinds = np.array([k for _, k in entities], dtype=object)
    per = len(HOURLY_VARIABLES) * leads
    lead = np.tile(np.arange(1, leads + 1), len(entities) * len(HOURLY_VARIABLES))
    value = rng.uniform(5.0, 150.0, len(lead)).round(1)
    hourly = pd.DataFrame(
        {
            "entity": np.repeat(names, per),
            "entity_kind": np.repeat(kinds, per),
            "variable": np.tile(np.repeat(HOURLY_VARIABLES, leads), len(entities)),
            "valid_at": ISSUED + pd.to_timedelta(lead, unit="h"),
            "lead_h": lead,
            "value": value,
            "q10": (value * 0.6).round(1),
            "q90": (value * 1.5).round(1),
        }
    )
    per_day = len(DAILY_VARIABLES)
    daily_value = rng.uniform(5.0, 150.0, len(entities) * 3 * per_day).round(1)
    daily = pd.DataFrame(
        {
            "entity": np.repeat(names, 3 * per_day),
            "entity_kind": np.repeat(kinds, 3 * per_day),
            "date": np.tile(np.repeat(np.array(DAYS, dtype=object), per_day), len(entities)),
            "day": np.tile(np.repeat([1, 2, 3], per_day), len(entities)),
            "variable": np.tile(DAILY_VARIABLES, 3 * len(entities)),
            "value": daily_value,
            "q10": (daily_value * 0.6).round(1),
            "q90": (daily_value * 1.5).round(1),
        }
    )
    aqi_values = np.tile(DAY_AQI, len(entities))
    aqi = pd.DataFrame(
        {
            "entity": np.repeat(names, 3),
            "entity_kind": np.repeat(kinds, 3),
            "date": np.tile(np.array(DAYS, dtype=object), len(entities)),
            "day": np.tile([1, 2, 3], len(entities)),
            "aqi": aqi_values,
            "aqi_low": aqi_values - 10,
            "aqi_high": aqi_values + 20,
            "level": np.tile([1, 3, 5], len(entities)),
            "primary_pollutant": np.tile(["", "pm25", "pm25+pm10"], len(entities)),
            "warning_level": np.tile([0, 0, 2], len(entities)),
            "warning_scheme": "cn_mee_warning_2024",
        }
    )
    return hourly, daily, aqi


def run_kwargs(**overrides: object) -> dict[str, object]:
    hourly, daily, aqi = make_frames()
    kwargs: dict[str, object] = {
        "hourly": hourly,
        "daily": daily,
        "aqi": aqi,
        "model_versions": {"pm25": "lgbm-direct@champion:7", "o3": "sarimax@champion:3"},
        "standard_edition": "hj633-2026",
        "data_cutoff": ISSUED - timedelta(hours=1),
        "degraded": False,
        "degraded_reasons": [],
        "inputs": {"observations": {"stations": 12, "latest": "2026-11-23T07:00+00:00"}},
        "timezone": "Asia/Shanghai",
        "actor": "scheduler",
    }
    kwargs.update(overrides)
    return kwargs


class Clock:
    """A settable clock for the store's time stamps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 8, 5, tzinfo=UTC))


@pytest.fixture
def runs(store_url: str, clock: Clock) -> Iterator[Store]:
    """A migrated, empty store (each backend) whose clock the test moves."""
    opened = Store.open(store_url, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def count(store: Store, table: object) -> int:
    with store.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


# --- schema -----------------------------------------------------------------------------


def test_migration_0003_takes_the_schema_to_the_code(database_url: str):
    engine = create_store_engine(database_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision() == "0003"
        assert "forecast_aqi" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_upgrading_from_0002_keeps_forecast_rows_as_stations(database_url: str):
    engine = create_store_engine(database_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO forecast_runs (id, issued_at, kind, model_versions, standard_edition,"
                " data_cutoff, created_at) VALUES (1, '2026-01-01 08:00:00', 'air', '{}',"
                " 'hj633-2026', '2026-01-01 07:00:00', '2026-01-01 08:00:00')"
            )
            connection.exec_driver_sql(
                "INSERT INTO forecasts (run_id, entity, variable, valid_at, lead_h, value)"
                " VALUES (1, 'Dongsi', 'pm25', '2026-01-01 09:00:00', 1, 42.5)"
            )
        upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                select(forecasts.c.entity, forecasts.c.entity_kind, forecasts.c.value)
            ).one()
        assert tuple(row) == ("Dongsi", "station", 42.5)
    finally:
        engine.dispose()


# --- create and read --------------------------------------------------------------------


def test_create_run_stores_a_draft_with_its_frames(runs: Store, clock: Clock):
    kwargs = run_kwargs()
    run = runs.create_run("air", ISSUED, **kwargs)
    assert (run.status, run.version, run.kind, run.issued_at) == ("draft", 0, "air", ISSUED)
    assert run.model_versions == kwargs["model_versions"]
    assert run.inputs == kwargs["inputs"]
    assert (run.standard_edition, run.timezone, run.horizon_h) == (
        "hj633-2026",
        "Asia/Shanghai",
        80,
    )
    assert (run.created_at, run.created_by, run.published_at, run.source_run_id) == (
        clock.now, "scheduler", None, None,
    )  # fmt: skip
    assert runs.get_run(run.id) == run

    hourly = runs.read_run_hourly(run.id)
    assert hourly.dtypes.astype(str).to_dict() == HOURLY_DTYPES
    expected = kwargs["hourly"].sort_values(["entity", "variable", "valid_at"], ignore_index=True)
    pd.testing.assert_frame_equal(hourly, expected, check_dtype=False)
    assert hourly["valid_at"].iloc[0] == ISSUED + timedelta(hours=1)

    daily = runs.read_run_daily(run.id)
    assert daily.dtypes.astype(str).to_dict() == DAILY_DTYPES
    assert len(daily) == 3 * 3 * 7
    assert set(daily["date"]) == set(DAYS)
    assert isinstance(daily["date"].iloc[0], date)

    aqi = runs.read_run_aqi(run.id)
    assert aqi.dtypes.astype(str).to_dict() == AQI_DTYPES
    beijing = aqi[aqi["entity"] == "Beijing"]
    assert beijing["entity_kind"].tolist() == ["city"] * 3
    assert beijing["aqi"].tolist() == list(DAY_AQI)
    assert beijing["primary_pollutant"].tolist() == ["", "pm25", "pm25+pm10"]
    assert (aqi["model_aqi_low"] == aqi["aqi_low"]).all()
    assert not aqi["edited"].any()

    audit = runs.read_audit(object=f"run:{run.id}")
    assert audit[["actor", "action"]].values.tolist() == [["scheduler", "create"]]
    assert audit["after"].iloc[0]["rows"] == {"hourly": 3 * 6 * 80, "daily": 63, "aqi": 9}


def test_reads_filter_by_entity_and_variable(runs: Store):
    run = runs.create_run("air", ISSUED, **run_kwargs())
    one = runs.read_run_hourly(run.id, entity="Dongsi", variables=["pm25", "o3"])
    assert set(one["entity"]) == {"Dongsi"}
    assert one["variable"].unique().tolist() == ["o3", "pm25"]
    assert one["lead_h"].tolist() == list(range(1, 81)) * 2
    assert len(runs.read_run_daily(run.id, entity="Beijing")) == 21
    assert runs.read_run_aqi(run.id, entity=["Dongsi", "Beijing"])["entity"].tolist() == [
        "Beijing", "Beijing", "Beijing", "Dongsi", "Dongsi", "Dongsi",
    ]  # fmt: skip
    nothing = runs.read_run_hourly(run.id, entity="Nowhere")
    assert nothing.empty
    assert nothing.dtypes.astype(str).to_dict() == HOURLY_DTYPES
    assert runs.read_run_aqi(run.id, entity="Nowhere").dtypes.astype(str).to_dict() == AQI_DTYPES


def test_missing_values_are_stored_as_nan(runs: Store):
    kwargs = run_kwargs()
    hourly = kwargs["hourly"].copy()
    hourly.loc[0, ["value", "q10", "q90"]] = np.nan
    kwargs["hourly"] = hourly
    run = runs.create_run("air", ISSUED, **kwargs)
    read = runs.read_run_hourly(
        run.id, entity=hourly.loc[0, "entity"], variables=hourly.loc[0, "variable"]
    )
    assert (
        read.loc[read["lead_h"] == hourly.loc[0, "lead_h"], ["value", "q10", "q90"]]
        .isna()
        .all(axis=None)
    )


def test_a_degraded_run_keeps_its_reasons(runs: Store):
    reasons = ["met forecast 2026-11-23T00Z missing; used persistence baseline"]
    run = runs.create_run(
        "air",
        ISSUED,
        **run_kwargs(degraded=True, degraded_reasons=reasons),
    )
    assert runs.get_run(run.id).degraded is True
    assert runs.get_run(run.id).degraded_reasons == tuple(reasons)


def test_unknown_runs_raise_run_not_found(runs: Store):
    for call in (
        lambda: runs.get_run(99),
        lambda: runs.read_run_hourly(99),
        lambda: runs.read_run_daily(99),
        lambda: runs.read_run_aqi(99),
        lambda: runs.list_edits(99),
        lambda: runs.publish_run(99, author="li"),
        lambda: runs.revise_run(99, author="li"),
        lambda: runs.edit_run(
            99, entity="Dongsi", date=DAYS[0], field="level", value=2, reason="x", author="li"
        ),
    ):
        with pytest.raises(RunNotFoundError, match="forecast run 99 does not exist"):
            call()


# --- the review workflow ----------------------------------------------------------------


def test_create_edit_publish_revise_publish_and_as_of(runs: Store, clock: Clock):
    draft = runs.create_run("air", ISSUED, **run_kwargs())
    assert runs.latest_published() is None  # drafts are never public

    clock.advance(minutes=10)
    edit = runs.edit_run(
        draft.id,
        entity="Beijing",
        date="2026-11-25",
        field="aqi_high",
        value=160,
        reason="dust transport from the north-west not in the model",
        author="forecaster.li",
    )
    assert (edit.before, edit.after, edit.entity_kind, edit.date) == (148, 160, "city", DAYS[1])
    runs.edit_run(
        draft.id, entity="Beijing", date=DAYS[1], field="level", value=4,
        reason="range now reaches level 4", author="forecaster.li",
    )  # fmt: skip
    edited = runs.read_run_aqi(draft.id, entity="Beijing").set_index("date")
    assert (edited.loc[DAYS[1], "aqi_high"], edited.loc[DAYS[1], "model_aqi_high"]) == (160, 148)
    assert (edited.loc[DAYS[1], "level"], edited.loc[DAYS[1], "model_level"]) == (4, 3)
    assert edited["edited"].tolist() == [False, True, False]
    assert [e.field for e in runs.list_edits(draft.id)] == ["aqi_high", "level"]

    clock.advance(minutes=5)
    first_published_at = clock.now
    v1 = runs.publish_run(draft.id, author="forecaster.wang")
    assert (v1.status, v1.version, v1.published_at, v1.published_by) == (
        "published", 1, first_published_at, "forecaster.wang",
    )  # fmt: skip
    assert runs.latest_published() == v1

    # published runs are immutable
    with pytest.raises(RunStateError, match="published .* cannot be edited; revise it"):
        runs.edit_run(
            v1.id, entity="Beijing", date=DAYS[1], field="level", value=5, reason="x",
            author="forecaster.li",
        )  # fmt: skip
    with pytest.raises(RunStateError, match="only a draft can be published"):
        runs.publish_run(v1.id, author="forecaster.wang")

    clock.advance(hours=2)
    revision = runs.revise_run(v1.id, author="forecaster.li")
    assert (revision.status, revision.version, revision.source_run_id) == ("draft", 0, v1.id)
    assert (revision.issued_at, revision.model_versions) == (v1.issued_at, v1.model_versions)
    copied = runs.read_run_aqi(revision.id)
    pd.testing.assert_frame_equal(copied, runs.read_run_aqi(v1.id))  # edits and model values kept
    pd.testing.assert_frame_equal(runs.read_run_hourly(revision.id), runs.read_run_hourly(v1.id))
    pd.testing.assert_frame_equal(runs.read_run_daily(revision.id), runs.read_run_daily(v1.id))
    runs.edit_run(
        revision.id, entity="Dongsi", date=DAYS[2], field="primary_pollutant", value="pm25",
        reason="PM10 share overestimated", author="forecaster.li",
    )  # fmt: skip

    clock.advance(minutes=30)
    second_published_at = clock.now
    v2 = runs.publish_run(revision.id, author="forecaster.wang")
    assert (v2.status, v2.version) == ("published", 2)
    old = runs.get_run(v1.id)
    assert (old.status, old.version, old.superseded_at) == ("superseded", 1, second_published_at)
    assert runs.read_run_aqi(v1.id, entity="Dongsi")["primary_pollutant"].iloc[2] == "pm25+pm10"

    # the public view honours publication time
    assert runs.latest_published() == v2
    assert runs.latest_published(as_of=second_published_at) == v2
    assert runs.latest_published(as_of=second_published_at - timedelta(seconds=1)) == old
    assert runs.latest_published(as_of=first_published_at) == old
    assert runs.latest_published(as_of=first_published_at - timedelta(seconds=1)) is None
    assert runs.latest_published(as_of="2026-11-23T16:30+08:00") == old  # 08:30 UTC
    assert [r.id for r in runs.published_for_issue("air", ISSUED)] == [v1.id, v2.id]
    assert [r.id for r in runs.list_runs(status="superseded")] == [v1.id]

    audit = runs.read_audit(object=f"run:{v1.id}")
    assert audit["action"].tolist() == ["create", "edit", "edit", "publish", "supersede"]
    assert audit["actor"].tolist() == [
        "scheduler", "forecaster.li", "forecaster.li", "forecaster.wang", "forecaster.wang",
    ]  # fmt: skip
    first_edit = audit.iloc[1]
    assert first_edit["before"] == {
        "entity": "Beijing", "date": "2026-11-25", "field": "aqi_high", "value": 148,
    }  # fmt: skip
    assert first_edit["after"]["value"] == 160
    assert first_edit["after"]["reason"] == "dust transport from the north-west not in the model"
    assert first_edit["at"] == first_published_at - timedelta(minutes=5)
    assert audit.iloc[3]["after"] == {"status": "published", "version": 1, "superseded": []}
    assert runs.read_audit(object=f"run:{v2.id}")["action"].tolist() == [
        "revise",
        "edit",
        "publish",
    ]
    with runs.engine.connect() as connection:
        rows = connection.execute(
            select(publications.c.run_id, publications.c.version).order_by(publications.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [(v1.id, 1), (v2.id, 2)]


def test_latest_published_takes_the_latest_issue_time(runs: Store, clock: Clock):
    yesterday = ISSUED - timedelta(days=1)
    early = runs.create_run("air", yesterday, **run_kwargs(data_cutoff=yesterday))
    late = runs.create_run("air", ISSUED, **run_kwargs())
    clock.advance(minutes=1)
    runs.publish_run(late.id, author="li")
    clock.advance(minutes=1)
    runs.publish_run(early.id, author="li")  # a late publication of an older issue
    assert runs.latest_published().id == late.id
    assert runs.get_run(early.id).status == "published"  # other issues are not superseded
    assert runs.latest_published("water") is None
    assert [r.id for r in runs.list_runs()] == [late.id, early.id]
    assert [r.id for r in runs.list_runs(limit=1)] == [late.id]


def test_only_the_current_published_version_can_be_revised(runs: Store):
    draft = runs.create_run("air", ISSUED, **run_kwargs())
    with pytest.raises(RunStateError, match="draft; only the published version can be revised"):
        runs.revise_run(draft.id, author="li")
    v1 = runs.publish_run(draft.id, author="li")
    runs.publish_run(runs.revise_run(v1.id, author="li").id, author="li")
    with pytest.raises(RunStateError, match="superseded; only the published version"):
        runs.revise_run(v1.id, author="li")


# --- atomicity ----------------------------------------------------------------------------


def test_a_failing_insert_leaves_no_run(runs: Store, monkeypatch: pytest.MonkeyPatch):
    real = issuance_module.bulk_insert

    def fail_on_daily(connection, table, columns, arrays):
        if table == "forecast_daily":
            raise RuntimeError("disk full")
        real(connection, table, columns, arrays)

    monkeypatch.setattr(issuance_module, "bulk_insert", fail_on_daily)
    with pytest.raises(RuntimeError, match="disk full"):
        runs.create_run("air", ISSUED, **run_kwargs())
    for table in (forecast_runs, forecasts, forecast_daily, forecast_aqi, audit_log):
        assert count(runs, table) == 0, table.name


def test_a_failing_publish_changes_nothing(runs: Store, monkeypatch: pytest.MonkeyPatch):
    v1 = runs.publish_run(runs.create_run("air", ISSUED, **run_kwargs()).id, author="li")
    draft = runs.revise_run(v1.id, author="li")
    real = issuance_versions.write_audit

    def fail_on_publish(connection, **entry):
        if entry["action"] == "publish":
            raise RuntimeError("connection lost")
        return real(connection, **entry)

    monkeypatch.setattr(issuance_versions, "write_audit", fail_on_publish)
    with pytest.raises(RuntimeError, match="connection lost"):
        runs.publish_run(draft.id, author="li")
    assert runs.get_run(v1.id).status == "published"
    assert runs.get_run(draft.id).status == "draft"
    assert count(runs, publications) == 1
    assert runs.latest_published() == runs.get_run(v1.id)


def test_a_refused_edit_writes_nothing(runs: Store):
    run = runs.create_run("air", ISSUED, **run_kwargs())
    with pytest.raises(InputDataError):
        runs.edit_run(
            run.id, entity="Dongsi", date=DAYS[0], field="aqi_low", value=90, reason="x",
            author="li",
        )  # fmt: skip
    assert count(runs, forecast_edits) == 0
    assert runs.read_audit()["action"].tolist() == ["create"]


# --- validation ---------------------------------------------------------------------------


def _with(frame_name: str, change):
    kwargs = run_kwargs()
    frame = kwargs[frame_name].copy()
    kwargs[frame_name] = change(frame)
    return kwargs


def _set(column: str, row: int, value: object):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame

    return change


@pytest.mark.parametrize(
    ("frame_name", "change", "message"),
    [
        ("hourly", lambda f: f.drop(columns="q90"), r"hourly frame lacks column\(s\) q90"),
        (
            "hourly",
            _set("variable", 5, "PM2.5"),
            r"hourly frame: unknown variable 'PM2.5' at rows 5; choose from: pm25",
        ),
        (
            "hourly",
            _set("entity_kind", 2, "county"),
            r"hourly frame: unknown entity_kind 'county' at rows 2",
        ),
        (
            "hourly",
            _set("entity", 3, ""),
            r"hourly frame: column 'entity' must hold non-empty text",
        ),
        (
            "hourly",
            lambda f: f.assign(valid_at=f["valid_at"].dt.tz_localize(None)),
            r"column 'valid_at' has dtype datetime64.*timezone-aware",
        ),
        (
            "hourly",
            _set("lead_h", 7, 1.5),
            r"hourly frame: column 'lead_h' must hold integers 0..1000; got 1.5 at rows 7",
        ),
        (
            "hourly",
            _set("value", 4, -3.0),
            r"hourly frame: column 'value' must be finite and >= 0 .* at rows 4",
        ),
        ("hourly", _set("value", 4, np.inf), r"column 'value' must be finite"),
        ("hourly", _set("q10", 9, 1000.0), r"hourly frame: q10 > q90 .* at rows 9"),
        (
            "hourly",
            _set("value", 1, "high"),
            r"hourly frame: column 'value' is not numeric at rows 1 \(e.g. 'high'\)",
        ),
        (
            "hourly",
            lambda f: pd.concat([f, f.iloc[[10]]], ignore_index=True),
            r"hourly frame: \(entity, variable, valid_at\) repeats, "
            r"e\.g\. \('Dongsi', 'pm25', '2026-11-23T19:00:00\+00:00'\) at rows 10, 1440",
        ),
        (
            "daily",
            _set("variable", 0, "o3"),
            r"daily frame: unknown variable 'o3' .* o3_8h_max, o3_1h_max",
        ),
        ("daily", _set("day", 0, 4), r"daily frame: column 'day' must hold integers 1..3; got 4"),
        (
            "daily",
            _set("date", 0, datetime(2026, 11, 24, tzinfo=UTC)),
            r"daily frame: column 'date' must hold datetime.date values",
        ),
        (
            "daily",
            _set("entity_kind", 0, "city"),
            r"entity 'Dongsi' is a 'station' in the hourly frame and a 'city' in the daily frame",
        ),
        (
            "aqi",
            _set("day", 0, 2),
            r"date 2026-11-24 is day 1 in the daily frame and day 2 in the aqi frame",
        ),
        (
            "aqi",
            _set("aqi_low", 1, 500),
            r"aqi frame: aqi_low > aqi_high \(e\.g\. 500 > 148\) at rows 1",
        ),
        (
            "aqi",
            _set("level", 2, 7),
            r"aqi frame: column 'level' must hold integers 1..6; got 7 at rows 2",
        ),
        ("aqi", _set("warning_level", 2, 5), r"column 'warning_level' must hold integers 0..4"),
        (
            "aqi",
            _set("primary_pollutant", 1, "PM2.5"),
            r"aqi frame, rows 1: primary_pollutant 'PM2.5' is not '' or pollutants joined by '\+'",
        ),
        (
            "aqi",
            _set("primary_pollutant", 1, "pm25+pm25"),
            r"primary_pollutant 'pm25\+pm25' is not",
        ),
        (
            "aqi",
            _set("primary_pollutant", 1, None),
            r"aqi frame: column 'primary_pollutant' is missing at rows 1",
        ),
        (
            "aqi",
            lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True),
            r"aqi frame: \(entity, date\) repeats",
        ),
    ],
)
def test_invalid_frames_are_refused_with_where_and_what(runs: Store, frame_name, change, message):
    with pytest.raises(InputDataError, match=message):
        runs.create_run("air", ISSUED, **_with(frame_name, change))
    assert count(runs, forecast_runs) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "soil"}, r"unknown kind 'soil'; choose one of: air, water"),
        ({"issued_at": "2026-11-23T16:00"}, r"issued_at='2026-11-23T16:00' has no time zone"),
        ({"data_cutoff": ISSUED + timedelta(hours=1)}, r"data_cutoff .* is after issued_at"),
        ({"degraded": True}, r"a degraded run needs degraded_reasons"),
        ({"degraded_reasons": "stale"}, r"degraded_reasons must be a list of text"),
        ({"timezone": "Beijing"}, r"timezone 'Beijing' is not an IANA time zone"),
        (
            {"inputs": {"latest": datetime(2026, 1, 1, tzinfo=UTC)}},
            r"inputs is not JSON-serialisable",
        ),
        ({"model_versions": {"pm25": float("nan")}}, r"model_versions is not JSON-serialisable"),
        ({"standard_edition": ""}, r"standard_edition must be a standards table id"),
        ({"actor": " "}, r"actor must be a non-empty name"),
    ],
)
def test_invalid_run_metadata_is_refused(runs: Store, overrides, message):
    overrides = dict(overrides)  # the parameter is shared between backends
    kind = overrides.pop("kind", "air")
    issued = overrides.pop("issued_at", ISSUED)
    with pytest.raises(InputDataError, match=message):
        runs.create_run(kind, issued, **run_kwargs(**overrides))
    assert count(runs, forecast_runs) == 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"field": "value"}, r"field 'value' cannot be edited; choose one of: aqi, aqi_low"),
        ({"field": "level", "value": 7}, r"level must be an integer 1..6; got 7"),
        ({"field": "level", "value": True}, r"level must be an integer 1..6; got True"),
        ({"field": "aqi_high", "value": 12.5}, r"aqi_high must be an integer 0..500; got 12.5"),
        ({"field": "aqi_high", "value": 501}, r"aqi_high must be an integer 0..500"),
        ({"field": "aqi_high", "value": "150"}, r"aqi_high must be an integer 0..500; got '150'"),
        (
            {"field": "aqi_low", "value": 66},
            r"Dongsi on 2026-11-24: aqi_low 66 would exceed aqi_high 65",
        ),
        ({"field": "primary_pollutant", "value": "dust"}, r"primary_pollutant 'dust' is not '' or"),
        ({"reason": "  "}, r"an edit needs a reason"),
        ({"author": ""}, r"author must be a non-empty name"),
        ({"date": "24/11/2026"}, r"date must be a date or 'YYYY-MM-DD' text"),
        (
            {"date": "2026-11-30"},
            r"no AQI forecast for 'Dongsi' on 2026-11-30; "
            r"its dates are: 2026-11-24, 2026-11-25, 2026-11-26",
        ),
        ({"entity": "Haidian"}, r"forecast run \d+ has no AQI forecast for entity 'Haidian'"),
    ],
)
def test_invalid_edits_are_refused(runs: Store, edit, message):
    run = runs.create_run("air", ISSUED, **run_kwargs())
    arguments = {
        "entity": "Dongsi", "date": DAYS[0], "field": "aqi_high", "value": 80,
        "reason": "local fireworks", "author": "li",
    }  # fmt: skip
    arguments.update(edit)
    with pytest.raises(InputDataError, match=message):
        runs.edit_run(run.id, **arguments)
    assert runs.read_run_aqi(run.id)["edited"].sum() == 0


def test_run_id_and_limits_are_checked(runs: Store):
    with pytest.raises(InputDataError, match="run id must be an integer; got '1'"):
        runs.get_run("1")
    with pytest.raises(InputDataError, match="unknown status 'open'"):
        runs.list_runs(status="open")
    with pytest.raises(InputDataError, match="limit must be an integer 1..1000"):
        runs.list_runs(limit=0)
    with pytest.raises(InputDataError, match="audit limit must be an integer"):
        runs.read_audit(limit=-1)
    with pytest.raises(InputDataError, match="as_of='yesterday' is not a time"):
        runs.latest_published(as_of="yesterday")


# --- speed (SQLite, the embedded default) -----------------------------------------------


@pytest.fixture
def sqlite_runs(tmp_path) -> Iterator[Store]:
    opened = Store.open(sqlite_url_for_path(tmp_path / "speed.sqlite"))
    try:
        yield opened
    finally:
        opened.close()


def test_reading_one_station_of_the_latest_run_uses_the_primary_key(sqlite_runs: Store):
    """The public API reads one station of the latest published run per request.

    The read is a range scan of the primary key (checked in the query plan), so
    it stays fast at any run size; the time per request is measured by
    ``benchmarks/serve_load.py``, not here.
    """
    hourly, daily, aqi = make_frames(stations=BEIJING)
    kwargs = run_kwargs(hourly=hourly, daily=daily, aqi=aqi)
    run = sqlite_runs.publish_run(sqlite_runs.create_run("air", ISSUED, **kwargs).id, author="li")
    for station in BEIJING:
        latest = sqlite_runs.latest_published()
        assert latest is not None
        frame = sqlite_runs.read_run_hourly(latest.id, entity=station)
        assert len(frame) == 6 * 80
        assert set(frame["entity"]) == {station}
    assert latest == run
    with sqlite_runs.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT variable, valid_at, value FROM forecasts"
            " WHERE run_id = ? AND entity = ? ORDER BY entity, variable, valid_at",
            (run.id, "Dongsi"),
        ).all()
    assert "USING PRIMARY KEY (run_id=? AND entity=?)" in plan[0][-1]
    assert len(plan) == 1  # no separate sort


def test_a_run_of_2000_stations_is_stored_whole(sqlite_runs: Store):
    """A national-size run (960,000 hourly values) goes in by bulk insert; its speed is
    reported by ``benchmarks/issue_network.py``."""
    stations = tuple(f"S{i:04d}" for i in range(2000))
    hourly, daily, aqi = make_frames(stations=stations, cities=())
    assert len(hourly) == 960_000
    run = sqlite_runs.create_run("air", ISSUED, **run_kwargs(hourly=hourly, daily=daily, aqi=aqi))
    assert count(sqlite_runs, forecasts) == 960_000
    one = sqlite_runs.read_run_hourly(run.id, entity="S1234", variables="co")
    expected = hourly[(hourly["entity"] == "S1234") & (hourly["variable"] == "co")]
    np.testing.assert_array_equal(one["value"].to_numpy(), expected["value"].to_numpy())
