"""The daily air issuance on the bundled real sample: leads, days, cities, AQI, warnings, fallbacks.

One store per module: three months of the bundled Beijing sample (12 stations,
2015-11-01 … 2016-01-31 local, every row of those months as it is) ingested once through
``ingest_into_scratch``, and a tiny DirectGBM per target (PM2.5 and O3, 30 rounds, 40 days
of training before the issue) fitted once. The runs are issued at 16:00 local, the
product's issue hour, and read back from the store.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting.cli.issuance import PyfuncPredictor
from forecasting.errors import ForecastingError, InputDataError
from forecasting.pipeline.air_models import observation_span, training_set
from forecasting.pipeline.experiment import ExperimentConfig
from forecasting.pipeline.inputs import RunInputs, ingest_into_scratch, load_inputs
from forecasting.pipeline.issue_air import IssueResult, Predictor, issue_air_run, leads_to_day3
from forecasting.storage import Store
from models.gbm import DirectGBM
from models.pyfunc import EstimatorPythonModel

pytestmark = pytest.mark.slow  # the module's store and models take 25-45 s together
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "samples" / "beijing"
TZ = "Asia/Shanghai"
FIRST, END = pd.Timestamp("2015-11-01", tz=TZ), pd.Timestamp("2016-02-01", tz=TZ)
AT = pd.Timestamp("2015-12-20T16:00+08:00")
STALE_AT = pd.Timestamp("2016-06-01T16:00+08:00")  # four months after the last observation
TARGETS = ("pm25", "o3")
STATIONS = 12
LEADS = 80  # 16:00 on 12-20 … 23:00 on 12-23 local
DAYS = {1: date(2015, 12, 21), 2: date(2015, 12, 22), 3: date(2015, 12, 23)}
SCHEME_2024 = "cn_mee_warning_2024"

# HJ 633—2012 表1, IAQI breakpoints [µg/m³] (shared/docs/standards.md §1.1, PRIMARY [S1]):
# | IAQI      | 0 | 50  | 100 | 150 | 200 | 300 | 400  | 500  |
# | O3 1h     | 0 | 160 | 200 | 300 | 400 | 800 | 1000 | 1200 |
# | O3 8h     | 0 | 100 | 160 | 215 | 265 | 800 | (3)  | (3)  |
# | PM2.5 24h | 0 | 35  | 75  | 115 | 150 | 250 | 350  | 500  |
# (3) O3 8-h above 800 µg/m³: no IAQI of its own; the 1-h IAQI is reported.
# The 2012 daily AQI takes PM2.5 24-h, O3 daily max 8-h and O3 daily max 1-h (§1.6), and
# IAQI and AQI are rounded up ("全部进位取整数", §1.3).
IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS_2012 = {
    "pm25": (0, 35, 75, 115, 150, 250, 350, 500),
    "o3_8h_max": (0, 100, 160, 215, 265, 800),
    "o3_1h_max": (0, 160, 200, 300, 400, 800, 1000, 1200),
}
# HJ 633 表2 (2012) / 表1 (2026), levels (standards.md §1.4):
# | AQI  | 0–50 (2012) / 1–50 (2026) | 51–100 | 101–150 | 151–200 | 201–300 | >300 |
# | 级别 | 一级 | 二级 | 三级 | 四级 | 五级 | 六级 |
LEVEL_UPPER_AQI = (50, 100, 150, 200, 300)


def _iaqi(concentration: float, indicator: str) -> float:
    if not math.isfinite(concentration) or (indicator == "o3_8h_max" and concentration > 800):
        return math.nan  # note (3): O3 8-h above 800 is reported through the 1-h IAQI
    breakpoints = BREAKPOINTS_2012[indicator]
    return float(np.interp(concentration, breakpoints, IAQI[: len(breakpoints)]))


def _aqi_2012(values: dict[str, float]) -> tuple[int, set[str]]:
    """AQI and the pollutants with the highest IAQI, by the quoted 2012 table."""
    iaqi = {name: _iaqi(values[name], name) for name in BREAKPOINTS_2012}
    top = max(v for v in iaqi.values() if math.isfinite(v))
    pollutants = {"o3" if k.startswith("o3") else k for k, v in iaqi.items() if v == top}
    return math.ceil(top), pollutants


def _level(aqi: int) -> int:
    return 1 + sum(aqi > upper for upper in LEVEL_UPPER_AQI)


def _runs_above(aqi: list[int], threshold: int) -> list[list[int]]:
    runs: list[list[int]] = []
    current: list[int] = []
    for value in aqi:
        if value > threshold:
            current.append(value)
        elif current:
            runs.append(current)
            current = []
    return [*runs, current] if current else runs


def _warning_2024(aqi: list[int]) -> int:
    """Level of 环大气〔2024〕6号 for consecutive forecast days (standards.md §3.1).

    | Yellow (1) | 预测日AQI>200 或 日AQI>150 持续48小时及以上 |
    | Orange (2) | 预测日AQI>200 持续48小时 或 日AQI>150 持续72小时及以上 |
    | Red (3)    | 预测日AQI>200 持续72小时 且 日AQI>300 持续24小时及以上 |
    """
    over200 = max((len(r) for r in _runs_above(aqi, 200)), default=0)
    over150 = max((len(r) for r in _runs_above(aqi, 150)), default=0)
    if any(len(r) >= 3 and max(r) > 300 for r in _runs_above(aqi, 200)):
        return 3
    if over200 >= 2 or over150 >= 3:
        return 2
    if over200 >= 1 or over150 >= 2:
        return 1
    return 0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("issue-store")
    raw = pd.read_csv(SAMPLE / "observations.csv.gz", dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(raw["time"], utc=True)
    keep = ((stamps >= FIRST) & (stamps < END)).to_numpy()
    observations = folder / "observations.csv.gz"
    with gzip.open(observations, "wt", encoding="utf-8", newline="") as handle:
        raw.loc[keep].to_csv(handle, index=False)
    opened = ingest_into_scratch([observations], SAMPLE / "stations.csv", folder / "work")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def experiment() -> ExperimentConfig:
    return ExperimentConfig.model_validate(
        {
            "name": "issue_tiny",
            "targets": list(TARGETS),
            "training": {"history_days": 40},
            "timezone": TZ,
        }
    )


@pytest.fixture(scope="module")
def inputs(experiment: ExperimentConfig) -> RunInputs:
    return load_inputs([], [], emissions=experiment.features.emissions)


@pytest.fixture(scope="module")
def models(store: Store, experiment: ExperimentConfig, inputs: RunInputs) -> dict[str, DirectGBM]:
    # num_threads = 1: LightGBM's OpenMP threads spin against other jobs on a busy machine.
    data = training_set(store, experiment, AT.tz_convert("UTC"), inputs)
    return {
        target: DirectGBM(
            target,
            n_estimators=30,
            num_threads=1,
            refit=False,
            lead_groups=(6, 24, 72),
            random_state=0,
        ).fit(data.X, data.y[target])
        for target in TARGETS
    }


def _loader(
    models: dict[str, DirectGBM], missing: tuple[str, ...] = ()
) -> Callable[[str], tuple[Predictor, str]]:
    def load(target: str) -> tuple[Predictor, str]:
        if target in missing:
            raise ForecastingError(f"no registered model ecocast-air-{target}")
        return models[target], f"tiny-{target}-v1"

    return load


@pytest.fixture(scope="module")
def issued(
    store: Store, experiment: ExperimentConfig, inputs: RunInputs, models: dict[str, DirectGBM]
) -> IssueResult:
    return issue_air_run(store, experiment, AT, load_model=_loader(models), inputs=inputs)


@pytest.fixture(scope="module")
def hourly(store: Store, issued: IssueResult) -> pd.DataFrame:
    return store.read_run_hourly(issued.run.id)


@pytest.fixture(scope="module")
def aqi(store: Store, issued: IssueResult) -> pd.DataFrame:
    return store.read_run_aqi(issued.run.id)


@pytest.fixture(scope="module")
def daily(store: Store, issued: IssueResult) -> pd.DataFrame:
    return store.read_run_daily(issued.run.id)


def _assert_complete(hourly: pd.DataFrame, stations: int = STATIONS) -> None:
    """Every station, lead and variable has a value, a q10 and a q90 (no gap)."""
    rows = hourly.loc[hourly["entity_kind"] == "station"]
    counts = rows.groupby(["entity", "variable"])["lead_h"].agg(["count", "min", "max"])
    assert len(counts) == stations * len(TARGETS)
    assert (counts["count"] == LEADS).all()
    assert (counts["min"] == 1).all()
    assert (counts["max"] == LEADS).all()
    assert hourly[["value", "q10", "q90"]].notna().all().all()
    assert (hourly["q10"] <= hourly["value"]).all()
    assert (hourly["value"] <= hourly["q90"]).all()


@pytest.mark.parametrize(
    ("issued_at", "leads"),
    [
        ("2026-11-23T16:00+08:00", 80),
        ("2026-11-23T00:00+08:00", 72),
        ("2026-11-23T23:00+08:00", 73),
        ("2026-11-23T16:00+00:00", 72),  # 00:00 local on the 24th: day 1 is the 24th
    ],
)
def test_leads_reach_the_end_of_day_3(issued_at: str, leads: int) -> None:
    assert leads_to_day3(pd.Timestamp(issued_at), TZ) == leads


def test_hourly_leads_run_from_the_issue_hour_to_day_3(
    issued: IssueResult, hourly: pd.DataFrame
) -> None:
    assert issued.run.horizon_h == LEADS
    assert issued.hourly_rows == len(hourly) == (STATIONS + 1) * len(TARGETS) * LEADS
    _assert_complete(hourly)
    local = hourly["valid_at"].dt.tz_convert(TZ)
    first = local[hourly["lead_h"] == 1]
    last = local[hourly["lead_h"] == LEADS]
    assert set(first) == {pd.Timestamp("2015-12-20 16:00", tz=TZ)}
    assert set(last) == {pd.Timestamp("2015-12-23 23:00", tz=TZ)}
    # a stamp labels the start of its hour: lead h is the hour starting h - 1 hours after T
    offset = hourly["valid_at"] - AT.tz_convert("UTC")
    assert (offset == pd.to_timedelta(hourly["lead_h"] - 1, unit="h")).all()


def test_daily_days_are_the_three_days_after_the_issue_date(
    daily: pd.DataFrame, aqi: pd.DataFrame
) -> None:
    for frame in (daily, aqi):
        assert dict(zip(frame["day"], frame["date"], strict=True)) == DAYS
    assert set(daily["variable"]) == {"pm25", "o3_8h_max", "o3_1h_max"}
    per_entity = aqi.groupby("entity")["day"].apply(sorted)
    assert len(per_entity) == STATIONS + 1
    assert all(days == [1, 2, 3] for days in per_entity)


def test_city_rows_are_the_means_of_their_stations(
    store: Store, hourly: pd.DataFrame, daily: pd.DataFrame
) -> None:
    stations = store.read_stations("air")
    assert set(stations["city"]) == {"Beijing"}
    city = hourly.loc[hourly["entity_kind"] == "city"]
    assert set(city["entity"]) == {"Beijing"}
    assert len(city) == len(TARGETS) * LEADS
    members = hourly.loc[hourly["entity"].isin(stations["station"])]
    assert members["entity"].nunique() == STATIONS
    means = members.groupby(["variable", "valid_at"])[["value", "q10", "q90"]].mean()
    joined = city.set_index(["variable", "valid_at"])[["value", "q10", "q90"]].merge(
        means, left_index=True, right_index=True, suffixes=("", "_mean"), validate="1:1"
    )
    assert len(joined) == len(city)
    for column in ("value", "q10", "q90"):
        np.testing.assert_allclose(joined[column], joined[f"{column}_mean"], rtol=1e-12)
    # 24-h means are linear: the city's daily PM2.5 is the mean of its stations' daily PM2.5
    pm25 = daily.loc[daily["variable"] == "pm25"]
    city_day = pm25.loc[pm25["entity"] == "Beijing"].set_index("date")["value"]
    station_days = pm25.loc[pm25["entity_kind"] == "station"].groupby("date")["value"].mean()
    np.testing.assert_allclose(city_day.sort_index(), station_days.sort_index(), rtol=1e-9)


def test_aqi_range_level_and_primary_follow_hj633_2012(
    issued: IssueResult, daily: pd.DataFrame, aqi: pd.DataFrame
) -> None:
    assert issued.run.standard_edition == "hj633-2012"
    assert len(aqi) == (STATIONS + 1) * 3
    assert (aqi["aqi_low"] <= aqi["aqi"]).all()
    assert (aqi["aqi"] <= aqi["aqi_high"]).all()
    assert (aqi["aqi_low"] < aqi["aqi_high"]).any()
    assert [_level(a) for a in aqi["aqi"]] == aqi["level"].tolist()
    wide = {
        column: daily.pivot_table(
            index=["entity", "date"], columns="variable", values=column, aggfunc="first"
        )
        for column in ("value", "q10", "q90")
    }

    def aqi_of(column: str, entity: Any, day: Any) -> tuple[int, set[str]]:
        values = wide[column].loc[(entity, day)]
        return _aqi_2012({str(k): float(v) for k, v in values.items()})

    rows = zip(
        aqi["entity"],
        aqi["date"],
        aqi["aqi"],
        aqi["aqi_low"],
        aqi["aqi_high"],
        aqi["primary_pollutant"],
        strict=True,
    )
    for entity, day, value, low, high, primary in rows:
        expected, pollutants = aqi_of("value", entity, day)
        assert value == expected, (entity, day)
        assert low == aqi_of("q10", entity, day)[0], (entity, day)
        assert high == aqi_of("q90", entity, day)[0], (entity, day)
        if value <= 50:
            assert primary == ""
        else:
            assert set(str(primary).split("+")) == pollutants


def test_warnings_follow_the_national_2024_scheme(aqi: pd.DataFrame) -> None:
    assert set(aqi["warning_scheme"]) == {SCHEME_2024}
    for entity, days in aqi.sort_values("date").groupby("entity"):
        expected = _warning_2024(days["aqi"].tolist())
        levels = days["warning_level"].tolist()
        assert max(levels) == expected, entity
        assert set(levels) <= {0, expected}, entity
        # a warning is shown on the days of its episode, each of them above AQI 150
        assert (days.loc[days["warning_level"] > 0, "aqi"] > 150).all(), entity
    # 2015-12-20 … 23 was Beijing's heavy episode (its first red alert, 12-19 … 22):
    # the forecast must see one, or the checks above are empty.
    assert (aqi["warning_level"] > 0).any()


def test_run_is_a_complete_draft_with_its_provenance(store: Store, issued: IssueResult) -> None:
    run = store.get_run(issued.run.id)
    assert run.status == "draft"
    assert run.version == 0
    assert run.kind == "air"
    assert pd.Timestamp(run.issued_at) == AT
    assert not run.degraded
    assert run.degraded_reasons == ()
    assert run.model_versions == {"pm25": "tiny-pm25-v1", "o3": "tiny-o3-v1"}
    assert run.timezone == TZ
    # the data cut-off is the last hour before the issue, which the store holds
    assert pd.Timestamp(run.data_cutoff) == AT - pd.Timedelta(hours=1)
    assert run.inputs["leads"] == LEADS
    assert run.inputs["pm25_stations_with_history"] == 1.0


def test_a_target_without_a_model_falls_back_to_persistence(
    store: Store, experiment: ExperimentConfig, inputs: RunInputs, models: dict[str, DirectGBM]
) -> None:
    result = issue_air_run(
        store, experiment, AT, load_model=_loader(models, missing=("o3",)), inputs=inputs
    )
    run = result.run
    assert run.degraded
    assert len(run.degraded_reasons) == 1
    assert "o3" in run.degraded_reasons[0]
    assert "persistence" in run.degraded_reasons[0]
    assert run.model_versions == {"pm25": "tiny-pm25-v1", "o3": "persistence"}
    _assert_complete(store.read_run_hourly(run.id))


def test_stale_observations_degrade_the_run_but_never_leave_a_gap(
    store: Store, experiment: ExperimentConfig, inputs: RunInputs, models: dict[str, DirectGBM]
) -> None:
    # O3 has no model either: persistence has no recent value to persist and must still
    # give a forecast (the climatology of its last weeks), not an error.
    span = observation_span(store)
    assert span is not None
    result = issue_air_run(
        store, experiment, STALE_AT, load_model=_loader(models, missing=("o3",)), inputs=inputs
    )
    run = result.run
    assert run.degraded
    assert any(r.startswith("no fresh observations") for r in run.degraded_reasons)
    assert any("o3" in r and "persistence" in r for r in run.degraded_reasons)
    assert pd.Timestamp(run.data_cutoff) == span[1]
    hourly = store.read_run_hourly(run.id)
    _assert_complete(hourly)
    assert store.read_run_aqi(run.id)["aqi"].notna().all()


def test_a_naive_issue_time_is_refused(
    store: Store, experiment: ExperimentConfig, inputs: RunInputs, models: dict[str, DirectGBM]
) -> None:
    with pytest.raises(InputDataError, match="has no zone"):
        issue_air_run(
            store,
            experiment,
            pd.Timestamp("2015-12-20 16:00"),
            load_model=_loader(models),
            inputs=inputs,
        )


class _PyfuncLike:
    """Stands in for mlflow.pyfunc.PyFuncModel: refuses timezone-aware columns, as its
    schema enforcement does, and calls the logged wrapper's predict."""

    def __init__(self, python_model: EstimatorPythonModel) -> None:
        self.python_model = python_model

    def predict(self, data: pd.DataFrame) -> Any:
        aware = [c for c in data.columns if isinstance(data[c].dtype, pd.DatetimeTZDtype)]
        if aware:
            raise AssertionError(f"timezone-aware columns reached the pyfunc boundary: {aware}")
        return self.python_model.predict(None, data)


def test_issue_with_loaded_pyfunc_models(
    store: Store,
    experiment: ExperimentConfig,
    inputs: RunInputs,
    models: dict[str, DirectGBM],
    hourly: pd.DataFrame,
) -> None:
    wrapped = {
        target: PyfuncPredictor(
            _PyfuncLike(EstimatorPythonModel(model, utc_columns=("issued_at", "valid_at")))
        )
        for target, model in models.items()
    }

    def load(target: str) -> tuple[Predictor, str]:
        return wrapped[target], f"pyfunc-{target}"

    # Its speed (target 10 s for the 12 stations) is reported by benchmarks/issue_network.py.
    result = issue_air_run(store, experiment, AT, load_model=load, inputs=inputs)
    assert result.seconds > 0
    again = store.read_run_hourly(result.run.id)
    np.testing.assert_allclose(again["value"], hourly["value"], rtol=1e-12)
