"""Seed a store for the server benchmark: real Beijing stations and data, a published run.

Stations and a slice of hourly observations (2015-12-12 to 2015-12-24, local) of the
bundled sample ``samples/beijing`` (UCI Beijing Multi-Site Air-Quality Data, CC BY 4.0)
are ingested; a run issued 2015-12-21 16:00 +08:00 is made by persistence of the
observations read back (each of the 80 hourly leads repeats the value 24 h earlier,
q10/q90 a ×0.7/×1.4 band), with daily values and HJ 633 AQI from
:func:`models.verify_truth.daily_values`, a city "Beijing" as the station mean, and no
warnings; it is stored with ``Store.create_run`` and published.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.config import sqlite_url_for_path
from forecasting.ingest import ingest_files, ingest_station_files
from forecasting.qc.flags import EXCLUDE_DEFAULT
from forecasting.storage import Store
from models.verify_truth import DAILY_VARIABLES, HOURLY_VARIABLES, daily_values

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "samples" / "beijing"
TZ = "Asia/Shanghai"
ISSUED_AT = pd.Timestamp("2015-12-21 16:00", tz=TZ)
LEADS = 80
CITY = "Beijing"


def _slice(folder: Path) -> Path:
    raw = pd.read_csv(SAMPLE_DIR / "observations.csv.gz", dtype=str, keep_default_na=False)
    day = raw["time"].str.slice(0, 10)
    path = folder / "observations.csv"
    raw.loc[(day >= "2015-12-12") & (day < "2015-12-25")].to_csv(path, index=False)
    return path


def _hourly(store: Store) -> pd.DataFrame:
    issued = ISSUED_AT.tz_convert("UTC")
    wide = store.read_observations_wide(
        list(HOURLY_VARIABLES),
        None,
        issued - pd.Timedelta(hours=24),
        issued,
        exclude_flags=int(EXCLUDE_DEFAULT),
    )
    stamps = issued + pd.to_timedelta(np.arange(LEADS), unit="h")
    blocks = []
    for station, group in wide.groupby("station", sort=True):
        day = group.set_index("valid_at").reindex(stamps[:24] - pd.Timedelta(hours=24))
        values = day[list(HOURLY_VARIABLES)].ffill().bfill().to_numpy()[np.arange(LEADS) % 24]
        block = pd.DataFrame(values, columns=list(HOURLY_VARIABLES))
        block.insert(0, "valid_at", stamps)
        block.insert(0, "entity", str(station))
        blocks.append(block.assign(entity_kind="station"))
    stations = pd.concat(blocks, ignore_index=True)
    city = stations.groupby("valid_at", as_index=False)[list(HOURLY_VARIABLES)].mean()
    both = pd.concat([stations, city.assign(entity=CITY, entity_kind="city")], ignore_index=True)
    long = both.melt(id_vars=["entity", "entity_kind", "valid_at"], var_name="variable")
    long["lead_h"] = ((long["valid_at"] - issued) / pd.Timedelta(hours=1)).astype("int64") + 1
    long["q10"], long["q90"] = long["value"] * 0.7, long["value"] * 1.4
    return long


def _daily(hourly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = ["entity", "entity_kind", "date", "day"]
    paths = {}
    for column in ("value", "q10", "q90"):
        wide = hourly.pivot_table(
            index=["entity", "entity_kind", "valid_at"], columns="variable", values=column
        ).reset_index()
        out = daily_values(wide, TZ, keys=("entity", "entity_kind"), time="valid_at")
        first = (ISSUED_AT + pd.Timedelta(days=1)).date()
        out["day"] = [(d - first).days + 1 for d in out["date"]]
        paths[column] = out.loc[out["day"].between(1, 3)].reset_index(drop=True)
    point = paths["value"]
    daily = point[keys].merge(pd.DataFrame({"variable": list(DAILY_VARIABLES)}), how="cross")
    for column, path in paths.items():
        melted = path.melt(id_vars=keys, value_vars=list(DAILY_VARIABLES), var_name="variable")
        daily = daily.merge(melted.rename(columns={"value": column}), on=[*keys, "variable"])
    bounds = np.column_stack([p["aqi"].astype("int64") for p in paths.values()])
    aqi = point[keys].assign(
        aqi=point["aqi"].astype("int64"),
        aqi_low=bounds.min(axis=1),
        aqi_high=bounds.max(axis=1),
        level=point["level"].astype("int64"),
        primary_pollutant=point["primary"].fillna("").astype(str),
        warning_level=0,
        warning_scheme="cn_mee_warning_2024",
    )
    return daily, aqi


def seed_store(folder: Path) -> tuple[str, int]:
    """Build the store in ``folder``; return its URL and the published run id."""
    url = sqlite_url_for_path(folder / "bench.sqlite")
    with Store.open(url) as store:
        ingest_station_files(store, [SAMPLE_DIR / "stations.csv"])
        ingest_files(store, [_slice(folder)], "air", data_dir=folder)
        hourly = _hourly(store)
        daily, aqi = _daily(hourly)
        issued = ISSUED_AT.to_pydatetime()
        run = store.create_run(
            "air", issued, hourly=hourly, daily=daily, aqi=aqi,
            model_versions={"all": "persistence-24h"}, standard_edition="hj633-2012",
            data_cutoff=issued - dt.timedelta(hours=1), degraded=False, degraded_reasons=[],
            inputs={"observations": "12 stations"}, timezone=TZ, actor="benchmark",
        )  # fmt: skip
        store.publish_run(run.id, author="benchmark")
    return url, run.id
