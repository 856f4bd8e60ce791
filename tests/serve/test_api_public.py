"""Public endpoints of the HTTP API on a store seeded with real Beijing data (conftest.py).

Expected values come from the seeded frames, the real station file and the real
observation file, never from the API under test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from forecasting.air_table import read_air_table
from forecasting.aqi import hourly_aqi
from forecasting.config import Settings
from forecasting.storage import Store
from serve.app import create_app
from serve.deps import get_state

API = "/api/v1"
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "samples" / "beijing"

# HJ 633—2012 表2 (级别, 类别) and 附录A 表A.1 (RGB), as printed:
#   一级 优 (0,228,0); 二级 良 (255,255,0); 三级 轻度污染 (255,126,0);
#   四级 中度污染 (255,0,0); 五级 重度污染 (153,0,76); 六级 严重污染 (126,0,35).
HJ633_2012_TABLE2 = {
    1: ("优", (0, 228, 0)),
    2: ("良", (255, 255, 0)),
    3: ("轻度污染", (255, 126, 0)),
    4: ("中度污染", (255, 0, 0)),
    5: ("重度污染", (153, 0, 76)),
    6: ("严重污染", (126, 0, 35)),
}
# 环大气〔2024〕6号 预警分级 (cn_mee_warning_2024): 黄色、橙色、红色预警, least severe first.
WARNING_2024 = {1: ("黄色预警", "yellow"), 2: ("橙色预警", "orange"), 3: ("红色预警", "red")}


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02X}" for c in rgb)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    return dict(error)


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


# --- health, stations, cities ---------------------------------------------------------


def test_health_reports_revision_and_latest_issue(api_client, api_store: Store, api_seed):
    first = api_client.get(f"{API}/health")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert first.json() == {
        "status": "ok",
        "schema_revision": api_store.head_revision(),
        "latest_published_issued_at": None,
    }
    api_store.publish_run(api_seed.run_id, author="duty forecaster")
    later = api_client.get(f"{API}/health").json()
    assert _utc(later["latest_published_issued_at"]) == pd.Timestamp(api_seed.issued_at)


def test_stations_are_the_real_beijing_sites(api_client: TestClient):
    expected = pd.read_csv(SAMPLE / "stations.csv")
    response = api_client.get(f"{API}/stations")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    body = response.json()
    assert [s["station"] for s in body] == sorted(expected["station"])
    by_code = {s["station"]: s for s in body}
    for row in expected.itertuples():
        got = by_code[row.station]
        assert (got["latitude"], got["longitude"]) == (row.latitude, row.longitude)
        assert got["name_local"] == row.name_zh
        assert got["network"] == "air"
        assert got["city"] == "Beijing"
        assert got["timezone"] == "Asia/Shanghai"
    assert api_client.get(f"{API}/stations", params={"network": "water"}).json() == []
    error = _error(api_client.get(f"{API}/stations", params={"network": "sea"}), 422)
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["query", "network"]


def test_etag_gives_304_and_changes_with_the_body(api_client: TestClient):
    first = api_client.get(f"{API}/stations")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    again = api_client.get(f"{API}/stations", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = api_client.get(f"{API}/stations", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = api_client.get(f"{API}/stations", headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200
    assert other.content == first.content
    water = api_client.get(f"{API}/stations", params={"network": "water"})
    assert water.headers["etag"] != etag


def test_cities_group_the_stations(api_client: TestClient):
    expected = sorted(pd.read_csv(SAMPLE / "stations.csv")["station"])
    assert api_client.get(f"{API}/cities").json() == [{"city": "Beijing", "stations": expected}]


def test_geojson_points_and_day1_aqi_once_published(api_client: TestClient, api_store, api_seed):
    before = api_client.get(f"{API}/stations.geojson")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("application/geo+json")
    collection = before.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 12
    dongsi = next(f for f in collection["features"] if f["id"] == "Dongsi")
    assert dongsi["geometry"] == {"type": "Point", "coordinates": [116.417, 39.929]}
    assert dongsi["properties"]["aqi"] is None  # only a draft exists

    api_store.publish_run(api_seed.run_id, author="duty forecaster")
    api_client.app.state.api.forget_published()  # published behind the app's back
    after = api_client.get(f"{API}/stations.geojson").json()
    day1 = api_seed.aqi.loc[(api_seed.aqi["entity_kind"] == "station") & (api_seed.aqi["day"] == 1)]
    for feature in after["features"]:
        row = day1.loc[day1["entity"] == feature["id"]].iloc[0]
        props = feature["properties"]
        assert props["aqi"] == row["aqi"]
        assert props["level"] == row["level"]
        name, rgb = HJ633_2012_TABLE2[int(row["level"])]
        assert (props["level_name"], props["colour"]) == (name, _hex(rgb))
        assert props["forecast_date"] == row["date"].isoformat()
        assert props["run_id"] == api_seed.run_id


# --- forecasts --------------------------------------------------------------------------


def test_drafts_are_invisible_to_the_public(api_client: TestClient, api_seed):
    for path in (
        "/forecasts/latest/stations/Dongsi/hourly",
        "/forecasts/latest/stations/Dongsi/daily",
        "/forecasts/latest/cities/Beijing/daily",
        "/warnings/current",
        f"/forecasts/runs/{api_seed.run_id}",
    ):
        assert _error(api_client.get(API + path), 404)["code"] == "not_found"
    assert api_client.get(f"{API}/forecasts/runs").json() == []


def test_latest_station_hourly_is_the_published_run(api_client, api_seed, published_run):
    response = api_client.get(f"{API}/forecasts/latest/stations/Dongsi/hourly")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    body = response.json()
    assert body["entity"] == "Dongsi"
    assert body["entity_kind"] == "station"
    run = body["run"]
    assert (run["id"], run["version"], run["status"]) == (published_run, 1, "published")
    assert run["standard_edition"] == "hj633-2012"
    assert run["model_versions"] == {"all": "persistence-24h"}
    assert _utc(run["issued_at"]) == pd.Timestamp(api_seed.issued_at)
    expected = api_seed.hourly.loc[api_seed.hourly["entity"] == "Dongsi"]
    assert len(body["items"]) == len(expected) == 6 * 80
    got = pd.DataFrame(body["items"])
    got["valid_at"] = pd.to_datetime(got["valid_at"], utc=True, format="ISO8601")
    merged = expected.merge(got, on=["variable", "valid_at"], suffixes=("", "_api"))
    assert len(merged) == len(expected)
    for column in ("value", "q10", "q90"):
        np.testing.assert_allclose(merged[f"{column}_api"], merged[column], rtol=1e-12)
    assert (merged["lead_h_api"] == merged["lead_h"]).all()
    etag = response.headers["etag"]
    cached = api_client.get(
        f"{API}/forecasts/latest/stations/Dongsi/hourly", headers={"If-None-Match": etag}
    )
    assert cached.status_code == 304


def test_variables_filter_and_validation(api_client, published_run):
    path = f"{API}/forecasts/latest/stations/Dongsi/hourly"
    body = api_client.get(path, params={"variables": "o3,pm25"}).json()
    assert {i["variable"] for i in body["items"]} == {"pm25", "o3"}
    assert len(body["items"]) == 2 * 80
    error = _error(api_client.get(path, params={"variables": "pm25,benzene"}), 422)
    assert error["details"][0]["loc"] == ["query", "variables"]


def test_city_forecasts_are_the_station_mean(api_client, api_seed, published_run):
    body = api_client.get(f"{API}/forecasts/latest/cities/Beijing/hourly").json()
    assert body["entity_kind"] == "city"
    got = pd.DataFrame(body["items"])
    hourly = api_seed.hourly
    stations = hourly.loc[hourly["entity_kind"] == "station"]
    mean = stations.groupby(["variable", "lead_h"])["value"].mean()
    for item in got.itertuples():
        assert item.value == pytest.approx(mean[(item.variable, item.lead_h)], rel=1e-12)
    missing = _error(api_client.get(f"{API}/forecasts/latest/cities/Dongsi/hourly"), 404)
    assert "city 'Dongsi'" in missing["message"]


def test_daily_days_carry_level_texts_of_hj633_2012(api_client, api_seed, published_run):
    for kind, entity in (("stations", "Dongsi"), ("cities", "Beijing")):
        body = api_client.get(f"{API}/forecasts/latest/{kind}/{entity}/daily").json()
        expected = api_seed.aqi.loc[api_seed.aqi["entity"] == entity].sort_values("day")
        assert [d["day"] for d in body["days"]] == [1, 2, 3]
        for day, row in zip(body["days"], expected.itertuples(), strict=True):
            assert day["date"] == row.date.isoformat()
            assert (day["aqi"], day["aqi_low"], day["aqi_high"]) == (
                row.aqi,
                row.aqi_low,
                row.aqi_high,
            )
            assert day["primary_pollutant"] == row.primary_pollutant
            assert (day["warning_level"], day["warning_scheme"]) == (
                row.warning_level,
                "cn_mee_warning_2024",
            )
            name, rgb = HJ633_2012_TABLE2[row.level]
            assert (day["level"], day["level_name"], day["colour"]) == (row.level, name, _hex(rgb))
            assert day["health_effects"]
            assert day["advice"]
            assert set(day["values"]) == {
                "pm25",
                "pm10",
                "so2",
                "no2",
                "co",
                "o3_8h_max",
                "o3_1h_max",
            }
            band = day["values"]["pm25"]
            assert band["q10"] <= band["value"] <= band["q90"]


def test_as_of_selects_what_was_public_then(api_client, api_store, published_run):
    published_at = api_store.get_run(published_run).published_at
    path = f"{API}/forecasts/latest/stations/Dongsi/daily"
    before = (published_at - dt.timedelta(seconds=1)).isoformat()
    assert _error(api_client.get(path, params={"as_of": before}), 404)["code"] == "not_found"
    after = (published_at + dt.timedelta(seconds=1)).isoformat()
    assert api_client.get(path, params={"as_of": after}).json()["run"]["id"] == published_run
    naive = _error(api_client.get(path, params={"as_of": "2016-01-01T00:00:00"}), 422)
    assert "no UTC offset" in naive["message"]
    far = _error(api_client.get(path, params={"as_of": "9999-12-31T23:59:59-05:00"}), 422)
    assert "out of range" in far["message"]
    assert _error(api_client.get(path, params={"as_of": "yesterday"}), 422)["details"]


def test_unknown_station_is_404(api_client, published_run):
    error = _error(api_client.get(f"{API}/forecasts/latest/stations/Nowhere/hourly"), 404)
    assert "Nowhere" in error["message"]


def test_runs_list_published_versions_only(api_client, api_store, api_seed, published_run):
    listed = api_client.get(f"{API}/forecasts/runs").json()
    assert [r["id"] for r in listed] == [published_run]
    issued = api_seed.issued_at.isoformat()
    by_issue = api_client.get(f"{API}/forecasts/runs", params={"issued_at": issued}).json()
    assert [(r["id"], r["version"]) for r in by_issue] == [(published_run, 1)]
    draft = api_store.revise_run(published_run, author="duty forecaster")
    assert _error(api_client.get(f"{API}/forecasts/runs/{draft.id}"), 404)
    one = api_client.get(f"{API}/forecasts/runs/{published_run}").json()
    assert (one["id"], one["status"]) == (published_run, "published")
    assert _error(api_client.get(f"{API}/forecasts/runs/0"), 422)


def test_current_warnings_come_from_the_published_run(api_client, api_seed, published_run):
    warned = api_seed.aqi.loc[api_seed.aqi["warning_level"] > 0]
    assert not warned.empty, "the December 2015 episode should trigger a warning"
    body = api_client.get(f"{API}/warnings/current").json()
    got = {(w["entity"], w["date"]): w for w in body}
    assert len(got) == len(body) == len(warned)
    for row in warned.itertuples():
        item = got[(row.entity, row.date.isoformat())]
        assert item["entity_kind"] == row.entity_kind
        assert item["level"] == row.warning_level
        assert item["scheme"] == "cn_mee_warning_2024"
        assert (item["label_zh"], item["colour"]) == WARNING_2024[row.warning_level]
        assert item["run_id"] == published_run


# --- observations -----------------------------------------------------------------------


def test_observations_with_hourly_aqi_match_the_real_file(api_client: TestClient):
    end = "2015-12-21T16:00:00+08:00"
    response = api_client.get(f"{API}/observations/Dongsi", params={"hours": 48, "end": end})
    assert response.status_code == 200
    body = response.json()
    assert body["station"] == "Dongsi"
    assert _utc(body["end"]) == _utc(end)
    items = pd.DataFrame(body["items"])
    assert len(items) == 48
    items["valid_at"] = pd.to_datetime(items["valid_at"], utc=True, format="ISO8601")
    assert items["valid_at"].min() == _utc(end) - pd.Timedelta(hours=48)

    table = read_air_table(SAMPLE / "observations.csv.gz")
    table = table.loc[table["station"] == "Dongsi"]
    first = _utc(end) - pd.Timedelta(hours=48 + 23)  # 23 h of history for the 24-h means
    window = table.loc[(table["time"] >= first) & (table["time"] < _utc(end))]
    expected = hourly_aqi(window[["station", "time", "pm25", "pm10", "so2", "no2", "co", "o3"]])
    expected = window.merge(expected, on=["station", "time"])
    expected["valid_at"] = expected["time"].dt.tz_convert("UTC")
    merged = items.merge(expected, on="valid_at", suffixes=("_api", ""))
    assert len(merged) == 48
    for pollutant in ("pm25", "pm10", "so2", "no2", "co", "o3"):
        np.testing.assert_allclose(
            merged[f"{pollutant}_api"].astype(float), merged[pollutant], rtol=1e-5
        )
    assert (merged["aqi_api"] == merged["aqi"].astype("int64")).all()
    assert (merged["level_api"] == merged["level"].astype("int64")).all()
    assert (merged["primary_pollutant"] == merged["primary"].fillna("")).all()


def test_observations_errors(api_client: TestClient):
    assert _error(api_client.get(f"{API}/observations/Nowhere"), 404)
    assert _error(api_client.get(f"{API}/observations/Dongsi", params={"hours": 0}), 422)
    assert _error(api_client.get(f"{API}/observations/Dongsi", params={"hours": 10**6}), 422)
    recent = api_client.get(f"{API}/observations/Dongsi")  # default window ends now: no data
    assert recent.status_code == 200
    assert recent.json()["items"] == []


# --- errors, CORS, OpenAPI --------------------------------------------------------------


def test_unknown_path_and_wrong_method_use_the_error_shape(api_client: TestClient):
    assert _error(api_client.get(f"{API}/nothing-here"), 404)["code"] == "not_found"
    error = _error(api_client.post(f"{API}/stations"), 405)
    assert error["code"] == "method_not_allowed"


def test_unexpected_failure_is_a_500_in_the_error_shape(api_client: TestClient):
    class Broken:
        def read_stations(self, network=None):
            raise RuntimeError("disk on fire")

    real = api_client.app.state.api
    broken = type(real)(settings=real.settings, store=Broken())  # type: ignore[arg-type]
    api_client.app.dependency_overrides[get_state] = lambda: broken
    with TestClient(api_client.app, raise_server_exceptions=False) as client:
        error = _error(client.get(f"{API}/stations"), 500)
    assert error["code"] == "internal_error"
    assert "disk on fire" not in error["message"]


def test_cors_allows_only_the_configured_origin(api_client: TestClient):
    allowed = "https://air.example.org"
    simple = api_client.get(f"{API}/stations", headers={"Origin": allowed})
    assert simple.headers["access-control-allow-origin"] == allowed
    assert "etag" in simple.headers["access-control-expose-headers"].lower()
    preflight = api_client.options(
        f"{API}/review/runs",
        headers={
            "Origin": allowed,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == allowed
    other = api_client.get(f"{API}/stations", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_without_configured_origins(api_store: Store, tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings, store=api_store)) as client:
        response = client.get(f"{API}/stations", headers={"Origin": "https://air.example.org"})
        assert "access-control-allow-origin" not in response.headers
        assert client.get(f"{API}/_bench/constant").status_code == 404  # off by default


def test_openapi_documents_examples_and_the_error_shape(api_client: TestClient):
    schema = api_client.get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/health",
        "/api/v1/stations",
        "/api/v1/stations.geojson",
        "/api/v1/cities",
        "/api/v1/forecasts/latest/stations/{station}/hourly",
        "/api/v1/forecasts/latest/cities/{city}/daily",
        "/api/v1/forecasts/runs",
        "/api/v1/forecasts/runs/{run_id}",
        "/api/v1/warnings/current",
        "/api/v1/observations/{station}",
        "/api/v1/review/runs/{run_id}/edits",
        "/api/v1/admin/tokens",
    ):
        assert path in paths, path
    components = schema["components"]["schemas"]
    assert components["HourlyForecast"]["examples"]
    assert components["DailyForecast"]["examples"]
    hourly = paths["/api/v1/forecasts/latest/stations/{station}/hourly"]["get"]
    assert hourly["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
    assert "/api/v1/_bench/constant" not in paths
    assert json.dumps(schema)  # serialisable


def test_bench_constant_has_the_requested_size(api_client: TestClient):
    response = api_client.get(f"{API}/_bench/constant", params={"size": 5000})
    assert len(response.content) == 5000
    assert response.json()["padding"] == "x" * (5000 - 14)


def test_concurrent_requests_build_a_body_once(api_store, api_settings, published_run, monkeypatch):
    reads = []
    original = api_store.read_run_hourly

    def slow_read(*args, **kwargs):
        reads.append(args)
        time.sleep(0.05)  # keep the build in flight while the other requests arrive
        return original(*args, **kwargs)

    monkeypatch.setattr(api_store, "read_run_hourly", slow_read)
    app = create_app(api_settings, store=api_store)
    path = f"{API}/forecasts/latest/stations/Dongsi/hourly"

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(await asyncio.gather(*(client.get(path) for _ in range(16))))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 16
    assert len({r.content for r in responses}) == 1
    assert len(reads) == 1
