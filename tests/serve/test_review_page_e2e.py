"""End-to-end test of the forecaster review page in headless Chromium (Playwright).

The store is seeded with real data: the 12 Beijing stations and their hourly
observations from the bundled sample (``samples/beijing``, UCI Beijing Multi-Site
Air-Quality Data, CC BY 4.0), and a draft run made from those observations at
issue time 2015-12-21 16:00 (+08:00), during the December 2015 heavy-pollution
episode. The run's forecast is the 24-h seasonal-naive forecast (the last 24 observed
hours repeated), its q10/q90 the empirical 10 % and 90 % quantiles of that method's
errors over the 7 days before issue; its daily AQI, level and primary pollutant come
from :func:`forecasting.aqi.daily_aqi` (HJ 633—2012) and its warnings from
:func:`forecasting.standards.early_warning.assess_warnings`. The city entity is the
mean of the 12 stations.

The app runs under uvicorn on a free loopback port in a thread; Chromium is the Debian
package at /usr/bin/chromium (``scripts/ci_chromium.sh`` installs it), driven through
Playwright with that executable path. Screenshots go to ``tests/serve/artifacts/``
or ``$ECOCAST_SCREENSHOT_DIR``.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import uvicorn
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

from forecasting.air_table import read_air_table
from forecasting.aqi import daily_aqi
from forecasting.ingest import ingest_files, ingest_station_files
from forecasting.standards.aqi_hj633_standard import load_hj633
from forecasting.standards.early_warning import assess_warnings, load_warning_scheme
from forecasting.storage import Store
from serve.app import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "samples" / "beijing"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("ECOCAST_SCREENSHOT_DIR", Path(__file__).parent / "artifacts"))

TZ = "Asia/Shanghai"
ISSUED_AT = pd.Timestamp("2015-12-21 16:00", tz=TZ)
LEADS = 80  # 17:00 on the issue day to 00:00 after day 3
HISTORY_DAYS = 9  # observations stored before the issue time
CITY = "Beijing"
STATION = "Dongsi"
POLLUTANTS = ["pm25", "pm10", "so2", "no2", "co", "o3"]
DAILY_VARIABLES = ["pm25", "pm10", "so2", "no2", "co", "o3_8h_max", "o3_1h_max"]
EDIT_DELTA = 25


# --------------------------------------------------------------------------- run frames


def _persistence(history: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """24-h seasonal-naive forecast with empirical 10/90 % error quantiles per entity."""
    value: list[pd.DataFrame] = []
    q10: list[pd.DataFrame] = []
    q90: list[pd.DataFrame] = []
    for entity, group in history.groupby("station", sort=True):
        frame = group.set_index("time").sort_index()[POLLUTANTS].ffill()
        errors = (frame - frame.shift(24)).iloc[-24 * 7 :]
        base = frame.iloc[-24:].to_numpy()[np.arange(LEADS) % 24]
        low = np.minimum(base, np.maximum(base + errors.quantile(0.1).to_numpy(), 0.0))
        high = np.maximum(base, base + errors.quantile(0.9).to_numpy())
        times = ISSUED_AT + pd.to_timedelta(np.arange(1, LEADS + 1), unit="h")
        for out, data in ((value, base), (q10, low), (q90, high)):
            block = pd.DataFrame(data, columns=POLLUTANTS)
            block.insert(0, "time", times)
            block.insert(0, "station", entity)
            out.append(block)
    return tuple(pd.concat(parts, ignore_index=True) for parts in (value, q10, q90))


def _daily(forecast: pd.DataFrame, history: pd.DataFrame, dates: list[Any]) -> pd.DataFrame:
    """Daily AQI of the forecast days, with 48 h of observations before for moving means."""
    recent = history[history["time"] > ISSUED_AT - pd.Timedelta(hours=48)]
    daily = daily_aqi(pd.concat([recent[forecast.columns], forecast], ignore_index=True))
    return daily[daily["date"].isin(dates)].reset_index(drop=True)


def _hourly_frame(value: pd.DataFrame, q10: pd.DataFrame, q90: pd.DataFrame) -> pd.DataFrame:
    keys = ["station", "time"]
    long = [
        f.melt(id_vars=keys, var_name="variable", value_name=name)
        for f, name in ((value, "value"), (q10, "q10"), (q90, "q90"))
    ]
    frame = long[0].merge(long[1], on=[*keys, "variable"]).merge(long[2], on=[*keys, "variable"])
    frame["valid_at"] = frame["time"].dt.tz_convert(UTC)
    frame["lead_h"] = ((frame["time"] - ISSUED_AT) / pd.Timedelta(hours=1)).astype(int)
    frame = frame.rename(columns={"station": "entity"}).drop(columns="time")
    frame["entity_kind"] = np.where(frame["entity"] == CITY, "city", "station")
    return frame[["entity", "entity_kind", "variable", "valid_at", "lead_h", "value", "q10", "q90"]]


def _daily_frames(
    value: pd.DataFrame, q10: pd.DataFrame, q90: pd.DataFrame, dates: list[Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store's ``daily`` and ``aqi`` frames from the three daily AQI tables."""
    keys = ["station", "date"]
    rows = value.merge(q10, on=keys, suffixes=("", "_q10")).merge(
        q90, on=keys, suffixes=("", "_q90")
    )
    rows["date"] = rows["date"].astype(object)  # datetime.date
    rows["day"] = rows["date"].map({d: i + 1 for i, d in enumerate(dates)}).astype(int)
    rows["entity_kind"] = np.where(rows["station"] == CITY, "city", "station")
    daily = pd.concat(
        [
            pd.DataFrame(
                {
                    "entity": rows["station"],
                    "entity_kind": rows["entity_kind"],
                    "date": rows["date"],
                    "day": rows["day"],
                    "variable": var,
                    "value": rows[var].astype(float),
                    "q10": np.fmin(rows[f"{var}_q10"], rows[var]).astype(float),
                    "q90": np.fmax(rows[f"{var}_q90"], rows[var]).astype(float),
                }
            )
            for var in DAILY_VARIABLES
        ],
        ignore_index=True,
    )
    aqi = rows["aqi"].astype(int)
    warnings = assess_warnings(
        pd.DataFrame(
            {
                "entity": rows["station"],
                "date": rows["date"],
                "aqi": aqi,
                "primary": rows["primary"],
            }
        )
    )
    episode = rows[["station", "date"]].merge(
        warnings.rename(columns={"entity": "station"}), on="station", how="left"
    )
    dates_ts = pd.to_datetime(episode["date"].astype(str))
    in_episode = (dates_ts >= episode["start_date"]) & (dates_ts <= episode["end_date"])
    summary = pd.DataFrame(
        {
            "entity": rows["station"],
            "entity_kind": rows["entity_kind"],
            "date": rows["date"],
            "day": rows["day"],
            "aqi": aqi,
            "aqi_low": np.minimum(rows["aqi_q10"].astype(int), aqi),
            "aqi_high": np.maximum(rows["aqi_q90"].astype(int), aqi),
            "level": rows["level"].astype(int),
            "primary_pollutant": rows["primary"].fillna("").astype(str),
            "warning_level": np.where(in_episode, episode["level"], 0).astype(int),
            "warning_scheme": warnings["scheme"].iloc[0],
        }
    )
    return daily, summary


def build_run_frames(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Hourly, daily and AQI frames of a draft run for every station and the city."""
    city = history.groupby("time", as_index=False)[POLLUTANTS].mean()
    city.insert(0, "station", CITY)
    history = pd.concat([history, city], ignore_index=True)
    value, q10, q90 = _persistence(history)
    dates = [(ISSUED_AT + pd.Timedelta(days=d)).date() for d in (1, 2, 3)]
    daily_tables = [_daily(f, history, dates) for f in (value, q10, q90)]
    q10_cols = daily_tables[1][["station", "date", "aqi", *DAILY_VARIABLES]]
    q90_cols = daily_tables[2][["station", "date", "aqi", *DAILY_VARIABLES]]
    daily, aqi = _daily_frames(daily_tables[0], q10_cols, q90_cols, dates)
    return {"hourly": _hourly_frame(value, q10, q90), "daily": daily, "aqi": aqi}


# --------------------------------------------------------------------------- fixtures


def _slice_sample(destination: Path) -> None:
    """Copy the sample's rows of the HISTORY_DAYS before the issue time, unchanged."""
    start = (ISSUED_AT - pd.Timedelta(days=HISTORY_DAYS)).isoformat()
    end = ISSUED_AT.isoformat()
    with gzip.open(SAMPLE_DIR / "observations.csv.gz", "rt", encoding="utf-8") as src:
        header = src.readline()
        kept = [line for line in src if start <= line.split(",", 2)[1] <= end]
    destination.write_text(header + "".join(kept), encoding="utf-8")


@dataclass(frozen=True)
class Seeded:
    store: Store
    run_id: Any
    token: str
    history: pd.DataFrame


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    store = Store.open(f"sqlite:///{tmp_path / 'ecocast.sqlite'}")
    ingest_station_files(store, [SAMPLE_DIR / "stations.csv"])
    sample = tmp_path / "beijing_slice.csv"
    _slice_sample(sample)
    ingest_files(store, [sample], "air", data_dir=tmp_path)
    history = read_air_table(sample)[["station", "time", *POLLUTANTS]]
    frames = build_run_frames(history)
    run = store.create_run(
        "air",
        ISSUED_AT.to_pydatetime(),
        hourly=frames["hourly"],
        daily=frames["daily"],
        aqi=frames["aqi"],
        model_versions=dict.fromkeys(POLLUTANTS, "seasonal-naive-24h"),
        standard_edition=load_hj633("hj633-2012").source.id,
        data_cutoff=ISSUED_AT.to_pydatetime(),
        degraded=False,
        degraded_reasons=[],
        inputs={"observations": "samples/beijing/observations.csv.gz"},
        timezone=TZ,
        actor="e2e-test",
    )
    token = store.create_token("e2e forecaster", "forecaster")
    try:
        yield Seeded(store=store, run_id=run.id, token=token, history=history)
    finally:
        store.close()


@pytest.fixture
def server(seeded: Seeded) -> Iterator[str]:
    app = create_app(store=seeded.store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


# --------------------------------------------------------------------------- the test


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(f"console error: {message.text}")


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _trace(page: Page, name: str) -> dict[str, Any]:
    traces = page.evaluate(
        "() => document.getElementById('fan-chart').data.map("
        "t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y), fill: t.fill || ''}))"
    )
    found = [t for t in traces if t["name"] == name]
    assert len(found) == 1, f"trace {name!r} not in {[t['name'] for t in traces]}"
    result: dict[str, Any] = found[0]
    return result


def _local(ts: pd.Series) -> list[str]:
    return list(pd.to_datetime(ts, utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m-%d %H:%M"))


def _check_chart(page: Page, seeded: Seeded, entity: str) -> None:
    hourly = seeded.store.read_run_hourly(seeded.run_id, entity=entity, variables=["pm25"])
    hourly = hourly.sort_values("valid_at")
    median, band = _trace(page, "forecast (median)"), _trace(page, "q10–q90")
    assert median["x"] == _local(hourly["valid_at"])
    np.testing.assert_allclose(median["y"], hourly["value"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(band["y"], hourly["q90"].to_numpy(), rtol=1e-9)
    assert band["fill"] == "tonexty"
    assert page.locator("#fan-chart .main-svg").count() >= 1  # plotly drew it


def _check_observed(page: Page, seeded: Seeded, stations: list[str]) -> None:
    """The observed trace: the last 7 days before issue (station mean for a city)."""
    observed = _trace(page, "observed")
    obs = seeded.history[seeded.history["station"].isin(stations)]
    window = obs[obs["time"] > ISSUED_AT - pd.Timedelta(hours=168)]
    expected = window.groupby("time")["pm25"].mean()
    got = pd.Series(observed["y"], index=observed["x"], dtype=float)
    assert len(got) >= 160, f"only {len(got)} observed hours drawn"
    aligned = expected.set_axis(_local(expected.index.to_series())).reindex(got.index)
    both = got.notna() & aligned.notna()
    assert both.sum() >= 150
    np.testing.assert_allclose(got[both], aligned[both], rtol=1e-6)


def _check_table(page: Page, seeded: Seeded, entity: str) -> pd.DataFrame:
    aqi = seeded.store.read_run_aqi(seeded.run_id, entity=entity).sort_values("day")
    levels = {lvl.level: lvl for lvl in load_hj633("hj633-2012").levels}
    rows = page.locator("#daily-table tbody tr")
    assert rows.count() == 3
    names = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O3", "no2": "NO2", "": "—"}
    for i, rec in enumerate(aqi.to_dict("records")):
        row = rows.nth(i)
        cells = {f: row.locator(f"td[data-field={f}]") for f in ("aqi", "aqi_low", "aqi_high")}
        for field, cell in cells.items():
            assert cell.inner_text() == str(int(rec[field]))
        level = row.locator("td[data-field=level]")
        info = levels[int(rec["level"])]
        assert level.inner_text() == f"{info.level} · {info.category} ({info.category_en})"
        r, g, b = info.rgb
        assert level.evaluate("e => getComputedStyle(e).backgroundColor") == f"rgb({r}, {g}, {b})"
        primary = str(rec["primary_pollutant"])
        shown = row.locator("td[data-field=primary_pollutant]").inner_text()
        assert shown == names.get(primary, primary)
        assert row.locator("td[data-field=changes]").inner_text() == "—"
    banner = page.locator("#warning-banner")
    warned = aqi[aqi["warning_level"] > 0]
    assert banner.is_visible() == (not warned.empty)
    if not warned.empty:
        top = warned.sort_values("warning_level").iloc[-1]
        scheme = load_warning_scheme(str(top["warning_scheme"]))
        label = scheme.levels[int(top["warning_level"]) - 1]
        assert f"{label.name_en} ({label.name_zh})" in banner.inner_text()
        for day in warned["date"]:
            assert str(day) in banner.inner_text()
    return aqi


def test_review_page_edit_and_publish(seeded: Seeded, server: str) -> None:
    assert CHROMIUM.is_file(), "install Chromium first: bash scripts/ci_chromium.sh"
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("console", lambda m: _console(m, problems))
            page.goto(f"{server}/review")
            page.fill("#token-input", seeded.token)
            page.click("#token-save")
            stored_token = page.evaluate("() => sessionStorage.getItem('ecocast.review.token')")
            assert stored_token == seeded.token
            assert page.evaluate("() => localStorage.length") == 0
            page.wait_for_function(
                "id => Array.from(document.querySelectorAll('#run-select option'))"
                ".some(o => o.value === String(id))",
                arg=seeded.run_id,
            )
            page.select_option("#run-select", str(seeded.run_id))

            # A station: chart with the run's numbers over the observations, table, banner.
            page.select_option("#entity-select", f"station:{STATION}")
            page.wait_for_selector("body[data-state=ready]")
            _check_chart(page, seeded, STATION)
            _check_observed(page, seeded, [STATION])
            aqi = _check_table(page, seeded, STATION)
            assert (aqi["warning_level"] > 0).any(), "fixture should carry a warning"
            _shot(page, "review_station.png")

            # The city: the mean of its stations' observations.
            page.select_option("#entity-select", f"city:{CITY}")
            page.wait_for_function(
                "() => document.body.dataset.state === 'ready' && "
                f"document.getElementById('chart-caption').textContent.includes('{CITY}')"
            )
            _check_chart(page, seeded, CITY)
            _check_observed(page, seeded, sorted(seeded.history["station"].unique()))
            _check_table(page, seeded, CITY)
            _shot(page, "review_city.png")

            # An edit with a reason shows its difference from the model.
            page.select_option("#entity-select", f"station:{STATION}")
            page.wait_for_function(
                "() => document.body.dataset.state === 'ready' && "
                f"document.getElementById('chart-caption').textContent.includes('{STATION}')"
            )
            day1 = aqi.iloc[0]
            edited = int(day1["aqi_high"]) + EDIT_DELTA
            page.select_option("#edit-date", str(day1["date"]))
            page.select_option("#edit-field", "aqi_high")
            page.fill("#edit-value", str(edited))
            page.fill("#edit-reason", "transport from the south-west is underestimated")
            page.click("#edit-submit")
            page.wait_for_selector("#edit-result.ok")
            cell = page.locator("#daily-table tbody tr").nth(0).locator("td[data-field=aqi_high]")
            assert cell.inner_text() == f"{edited} (+{EDIT_DELTA})"
            assert "edited" in (cell.get_attribute("class") or "")
            changes = page.locator("#daily-table tbody tr").nth(0).locator("td[data-field=changes]")
            assert changes.inner_text() == (
                f"AQI high {edited} (model {int(day1['aqi_high'])}, +{EDIT_DELTA})"
            )
            stored = seeded.store.read_run_aqi(seeded.run_id, entity=STATION).sort_values("day")
            assert int(stored.iloc[0]["aqi_high"]) == edited
            assert int(stored.iloc[0]["model_aqi_high"]) == int(day1["aqi_high"])
            _shot(page, "review_edited.png")

            # Publish, then the public endpoint serves the edited value.
            page.click("#publish-button")
            page.wait_for_selector("#publish-result.ok")
            page.wait_for_selector("body[data-state=ready]")
            assert "version 1" in page.inner_text("#publish-result")
            assert page.get_attribute("#run-info", "data-status") == "published"
            _shot(page, "review_published.png")
        finally:
            browser.close()

    assert problems == []
    assert requests, "the page made no requests"
    outside = [url for url in requests if not url.startswith(server + "/")]
    assert outside == [], f"requests outside the app: {outside}"
    assert f"{server}/static/plotly.min.js" in requests

    public = _get_json(f"{server}/api/v1/forecasts/latest/stations/{STATION}/daily")
    assert public["run"]["id"] == seeded.run_id
    assert public["run"]["version"] == 1
    first = min(public["days"], key=lambda d: d["day"])
    assert first["date"] == str(day1["date"])
    assert first["aqi_high"] == edited
    assert first["aqi"] == int(day1["aqi"])
