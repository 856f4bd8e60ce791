"""Forecaster and admin endpoints: tokens and roles, edit → publish → public, revise, audit.

The store is the seeded copy of conftest.py (real Beijing stations and observations, a
draft persistence run issued 2015-12-21 16:00 +08:00).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from forecasting.storage import Store
from serve.app import create_app

API = "/api/v1"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    return dict(error)


@pytest.fixture
def forecaster(api_store: Store) -> dict[str, str]:
    return _bearer(api_store.create_token("duty forecaster", "forecaster"))


@pytest.fixture
def admin(api_store: Store) -> dict[str, str]:
    return _bearer(api_store.create_token("ops admin", "admin"))


def test_review_needs_a_valid_token(api_client: TestClient, api_store: Store):
    path = f"{API}/review/runs"
    missing = api_client.get(path)
    assert _error(missing, 401)["code"] == "unauthorized"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert _error(api_client.get(path, headers=_bearer("not-a-token")), 401)
    assert _error(api_client.get(path, headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)
    token = api_store.create_token("retired forecaster", "forecaster")
    info = api_store.authenticate_token(token)
    assert info is not None
    api_store.revoke_token(info.id)
    assert _error(api_client.get(path, headers=_bearer(token)), 401)


def test_admin_endpoint_needs_the_admin_role(api_client: TestClient, forecaster, admin):
    body = {"name": "night shift", "role": "forecaster"}
    assert _error(api_client.post(f"{API}/admin/tokens", json=body), 401)
    forbidden = _error(api_client.post(f"{API}/admin/tokens", json=body, headers=forecaster), 403)
    assert forbidden["code"] == "forbidden"
    created = api_client.post(f"{API}/admin/tokens", json=body, headers=admin)
    assert created.status_code == 201
    token = created.json()
    assert (token["name"], token["role"]) == ("night shift", "forecaster")
    assert api_client.get(f"{API}/review/runs", headers=_bearer(token["token"])).status_code == 200
    bad_role = {"name": "x", "role": "superuser"}
    assert _error(api_client.post(f"{API}/admin/tokens", json=bad_role, headers=admin), 422)


def test_review_reads_drafts(api_client: TestClient, api_seed, forecaster):
    runs = api_client.get(f"{API}/review/runs", params={"status": "draft"}, headers=forecaster)
    assert runs.headers["cache-control"] == "no-store"
    assert [r["id"] for r in runs.json()] == [api_seed.run_id]
    run = api_client.get(f"{API}/review/runs/{api_seed.run_id}", headers=forecaster).json()
    assert (run["status"], run["version"], run["timezone"]) == ("draft", 0, "Asia/Shanghai")
    assert run["inputs"] == {"observations": "12 stations, 24 h before issue"}

    base = f"{API}/review/runs/{api_seed.run_id}/entities"
    hourly = api_client.get(f"{base}/Dongsi/hourly", headers=forecaster).json()
    assert len(hourly["items"]) == 6 * 80
    daily = api_client.get(
        f"{base}/Beijing/daily", params={"entity_kind": "city"}, headers=forecaster
    ).json()
    expected = api_seed.aqi.loc[api_seed.aqi["entity"] == "Beijing"].sort_values("day")
    for day, row in zip(daily["days"], expected.itertuples(), strict=True):
        assert (day["aqi"], day["model_aqi"]) == (row.aqi, row.aqi)
        assert (day["aqi_high"], day["model_aqi_high"]) == (row.aqi_high, row.aqi_high)
        assert day["edited"] is False
        assert day["edits"] == []
    assert _error(api_client.get(f"{base}/Beijing/daily", headers=forecaster), 404)  # a city
    assert _error(api_client.get(f"{API}/review/runs/999", headers=forecaster), 404)


def test_edit_publish_and_the_public_sees_it(api_client: TestClient, api_seed, forecaster):
    public = f"{API}/forecasts/latest/cities/Beijing/daily"
    assert _error(api_client.get(public), 404)  # remembered as "nothing published"
    day1 = api_seed.aqi.loc[(api_seed.aqi["entity"] == "Beijing") & (api_seed.aqi["day"] == 1)]
    row = day1.iloc[0]
    new_high = int(row["aqi_high"]) + 25
    edit = {
        "entity": "Beijing",
        "date": row["date"].isoformat(),
        "field": "aqi_high",
        "value": new_high,
        "reason": "stagnant conditions expected to last longer than modelled",
    }
    run_id = api_seed.run_id
    made = api_client.post(f"{API}/review/runs/{run_id}/edits", json=edit, headers=forecaster)
    assert made.status_code == 201, made.text
    info = made.json()
    assert (info["before"], info["after"], info["author"]) == (
        int(row["aqi_high"]),
        new_high,
        "duty forecaster",
    )
    assert info["entity_kind"] == "city"

    review = api_client.get(
        f"{API}/review/runs/{run_id}/entities/Beijing/daily",
        params={"entity_kind": "city"},
        headers=forecaster,
    ).json()
    first = review["days"][0]
    assert (first["aqi_high"], first["model_aqi_high"]) == (new_high, int(row["aqi_high"]))
    assert first["edited"] is True
    assert [e["reason"] for e in first["edits"]] == [edit["reason"]]

    published = api_client.post(f"{API}/review/runs/{run_id}/publish", headers=forecaster)
    assert published.status_code == 200
    assert (published.json()["status"], published.json()["version"]) == ("published", 1)
    seen = api_client.get(public)  # at once: publishing through the app clears its memory
    assert seen.status_code == 200
    assert seen.json()["days"][0]["aqi_high"] == new_high
    assert "model_aqi_high" not in seen.json()["days"][0]


def test_edits_are_validated(api_client: TestClient, api_seed, forecaster):
    path = f"{API}/review/runs/{api_seed.run_id}/edits"
    date = api_seed.aqi["date"].min().isoformat()
    good = {"entity": "Dongsi", "date": date, "field": "level", "value": 4, "reason": "why"}
    for change, status in (
        ({"reason": ""}, 422),
        ({"field": "aqi_colour"}, 422),
        ({"value": 9}, 422),  # level 1..6
        ({"entity": "Nowhere"}, 422),
        ({"date": "2015-13-40"}, 422),
        ({"extra": 1}, 422),
    ):
        error = _error(api_client.post(path, json={**good, **change}, headers=forecaster), status)
        assert error["message"]
    assert api_client.post(path, json=good, headers=forecaster).status_code == 201
    assert _error(api_client.post(path, content=b"{not json", headers=forecaster), 422)


def test_published_runs_are_immutable_and_revised_into_versions(
    api_client: TestClient, api_seed, forecaster
):
    run_id = api_seed.run_id
    assert api_client.post(f"{API}/review/runs/{run_id}/publish", headers=forecaster).is_success
    again = _error(api_client.post(f"{API}/review/runs/{run_id}/publish", headers=forecaster), 409)
    assert again["code"] == "conflict"
    date = api_seed.aqi["date"].min().isoformat()
    edit = {"entity": "Dongsi", "date": date, "field": "aqi", "value": 180, "reason": "late data"}
    assert _error(
        api_client.post(f"{API}/review/runs/{run_id}/edits", json=edit, headers=forecaster), 409
    )

    revised = api_client.post(f"{API}/review/runs/{run_id}/revise", headers=forecaster)
    assert revised.status_code == 201
    draft = revised.json()
    assert (draft["status"], draft["source_run_id"]) == ("draft", run_id)
    made = api_client.post(f"{API}/review/runs/{draft['id']}/edits", json=edit, headers=forecaster)
    assert made.status_code == 201
    publish = api_client.post(f"{API}/review/runs/{draft['id']}/publish", headers=forecaster)
    assert publish.is_success

    latest = api_client.get(f"{API}/forecasts/latest/stations/Dongsi/daily").json()
    assert (latest["run"]["id"], latest["run"]["version"]) == (draft["id"], 2)
    assert latest["days"][0]["aqi"] == 180
    versions = api_client.get(
        f"{API}/forecasts/runs", params={"issued_at": api_seed.issued_at.isoformat()}
    ).json()
    assert [(v["id"], v["version"], v["status"]) for v in versions] == [
        (run_id, 1, "superseded"),
        (draft["id"], 2, "published"),
    ]
    old = api_client.get(f"{API}/forecasts/runs/{run_id}").json()
    assert old["status"] == "superseded"


def test_audit_trail_records_who_what_and_values(api_client: TestClient, api_seed, forecaster):
    run_id = api_seed.run_id
    date = api_seed.aqi["date"].min().isoformat()
    before = int(
        api_seed.aqi.loc[
            (api_seed.aqi["entity"] == "Dongsi") & (api_seed.aqi["date"].astype(str) == date),
            "level",
        ].iloc[0]
    )
    edit = {"entity": "Dongsi", "date": date, "field": "level", "value": 6, "reason": "episode"}
    api_client.post(f"{API}/review/runs/{run_id}/edits", json=edit, headers=forecaster)
    api_client.post(f"{API}/review/runs/{run_id}/publish", headers=forecaster)
    audit = api_client.get(f"{API}/review/runs/{run_id}/audit", headers=forecaster).json()
    assert [a["action"] for a in audit] == ["create", "edit", "publish"]
    assert [a["actor"] for a in audit] == ["system", "duty forecaster", "duty forecaster"]
    assert audit[1]["before"]["value"] == before
    assert audit[1]["after"]["value"] == 6
    assert audit[1]["after"]["reason"] == "episode"
    times = pd.to_datetime([a["at"] for a in audit], utc=True, format="ISO8601")
    assert times.is_monotonic_increasing
    assert _error(api_client.get(f"{API}/review/runs/999/audit", headers=forecaster), 404)


def test_review_flow_on_each_backend(backend_store, api_settings):
    """Public reads, edit, publish, revise on SQLite and (when configured) PostgreSQL."""
    store, run_id = backend_store
    token = _bearer(store.create_token("duty forecaster", "forecaster"))
    with TestClient(create_app(api_settings, store=store)) as client:
        assert _error(client.get(f"{API}/forecasts/latest/stations/Dongsi/daily"), 404)
        daily = client.get(
            f"{API}/review/runs/{run_id}/entities/Dongsi/daily", headers=token
        ).json()
        first = daily["days"][0]
        edit = {
            "entity": "Dongsi",
            "date": first["date"],
            "field": "primary_pollutant",
            "value": "pm25+pm10",
            "reason": "coarse dust expected\nfrom the north-west",
        }
        made = client.post(f"{API}/review/runs/{run_id}/edits", json=edit, headers=token)
        assert made.status_code == 201, made.text
        nul = {**edit, "reason": "bad\x00byte"}
        bad = client.post(f"{API}/review/runs/{run_id}/edits", json=nul, headers=token)
        assert _error(bad, 422)
        assert client.post(f"{API}/review/runs/{run_id}/publish", headers=token).is_success
        public = client.get(f"{API}/forecasts/latest/stations/Dongsi/daily").json()
        assert public["days"][0]["primary_pollutant"] == "pm25+pm10"
        later = [d["primary_pollutant"] for d in public["days"][1:]]
        assert later == [d["primary_pollutant"] for d in daily["days"][1:]]
        hourly = client.get(f"{API}/forecasts/latest/cities/Beijing/hourly").json()
        assert len(hourly["items"]) == 6 * 80
        assert _error(client.get(f"{API}/forecasts/latest/stations/a%00b/hourly"), 422)
        observed = client.get(
            f"{API}/observations/Dongsi", params={"hours": 24, "end": "2015-12-21T16:00:00+08:00"}
        ).json()
        assert len(observed["items"]) == 24
        revised = client.post(f"{API}/review/runs/{run_id}/revise", headers=token).json()
        assert client.post(f"{API}/review/runs/{revised['id']}/publish", headers=token).is_success
        latest = client.get(f"{API}/forecasts/latest/stations/Dongsi/daily").json()
        assert (latest["run"]["id"], latest["run"]["version"]) == (revised["id"], 2)
