"""The daily air issuance at network scale: 2,000 synthetic stations and the 12 Beijing ones.

Two networks, each issued once at 16:00 local (80 hourly leads, six pollutants, daily
values, AQI and warnings per station and per city), by ``issue_air_run`` with models
loaded as MLflow ``pyfunc`` models from disk, as ``ecocast issue`` loads its champions:

1. **synthetic**: 2,000 stations at random places over China (latitude 18-50° N,
   longitude 75-134° E) in 200 cities of 10 stations, with 10 days of synthetic hourly
   PM2.5, PM10, SO2, NO2, CO and O3 (city-wide synoptic swings, diurnal cycles, station
   noise; 2 % of the hours missing) written through ``Store.write_observations`` as
   ingestion writes them; per pollutant a tiny DirectGBM (30 rounds, lead groups 6/24/72)
   fitted on 15 of the cities (``--model persistence``: persistence instead);
2. **Beijing**: the bundled real sample (12 stations) ingested as ``ecocast ingest``
   does, a tiny DirectGBM per pollutant trained on the 40 days before 2016-02-26, issued
   at 2016-02-26T16:00+08:00.

Each issue runs in a fresh child process; printed: the wall time of ``issue_air_run``,
the peak resident memory of the child before the issue (imports, models loaded) and
after it, and the rows stored. Targets (issue 6): ≤ 5 min for 2,000 stations, ≤ 10 s
for the 12 Beijing stations. LightGBM runs on one thread by default (``--threads``): on a
shared 2-core machine its OpenMP threads spin against the other jobs.

    .venv/bin/python benchmarks/issue_network.py [--stations 2000] [--model gbm|persistence]
        [--threads 1] [--skip-network] [--skip-beijing] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks._measure import REPO_ROOT  # noqa: E402

SAMPLE = REPO_ROOT / "samples" / "beijing"
TZ = "Asia/Shanghai"
POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
CITY_SIZE = 10
TRAIN_CITIES = 15
DAYS = 10
NETWORK_START = pd.Timestamp("2026-11-10", tz=TZ)
NETWORK_AT = NETWORK_START + pd.Timedelta(days=DAYS - 1, hours=16)
BEIJING_AT = pd.Timestamp("2016-02-26T16:00+08:00")
TARGET_S = {"synthetic": 300.0, "beijing": 10.0}

# Typical levels [µg/m³; CO mg/m³] and diurnal shape (hour of the daily peak, amplitude).
LEVELS = {"pm25": 45.0, "pm10": 80.0, "so2": 9.0, "no2": 32.0, "co": 0.8, "o3": 55.0}
DIURNAL = {
    "pm25": (22, 0.20),
    "pm10": (21, 0.25),
    "so2": (11, 0.20),
    "no2": (20, 0.35),
    "co": (21, 0.20),
    "o3": (15, 0.65),
}


@dataclass(frozen=True)
class Prepared:
    """A store, an experiment and one saved pyfunc model per pollutant, ready to issue."""

    label: str
    store_url: str
    experiment: Path
    models: Path
    at: pd.Timestamp
    stations: int
    setup_s: float


def _experiment(name: str, threads: int) -> Any:
    from forecasting.pipeline.experiment import ExperimentConfig  # noqa: PLC0415

    return ExperimentConfig.model_validate(
        {
            "name": name,
            "targets": list(POLLUTANTS),
            "timezone": TZ,
            "model": {"name": "direct_gbm", "params": {"num_threads": threads}},
            "training": {"history_days": 40},
        }
    )


def _tiny_model(kind: str, target: str, threads: int) -> Any:
    from models.baselines import Persistence  # noqa: PLC0415
    from models.gbm import DirectGBM  # noqa: PLC0415

    if kind == "persistence":
        return Persistence(target)
    return DirectGBM(
        target,
        n_estimators=30,
        num_threads=threads,
        refit=False,
        lead_groups=(6, 24, 72),
        random_state=0,
    )


def _save_models(
    X: pd.DataFrame, y: pd.DataFrame, folder: Path, kind: str, threads: int
) -> dict[str, float]:
    """Fit one model per pollutant and save each as an MLflow pyfunc; return fit seconds."""
    import mlflow  # noqa: PLC0415
    from mlflow.models import infer_signature  # noqa: PLC0415

    from models.pyfunc import EstimatorPythonModel, naive_utc, pip_requirements  # noqa: PLC0415

    logging.getLogger("mlflow").setLevel(logging.ERROR)  # MLflow resets it on import

    example, utc_columns = naive_utc(X.head(5))
    seconds = {}
    for target in POLLUTANTS:
        clock = time.perf_counter()
        model = _tiny_model(kind, target, threads).fit(X, y[target])
        seconds[target] = time.perf_counter() - clock
        mlflow.pyfunc.save_model(
            path=str(folder / target),
            python_model=EstimatorPythonModel(model, utc_columns=utc_columns),
            signature=infer_signature(example, model.predict(X.head(5))),
            input_example=example,
            pip_requirements=pip_requirements(),
        )
    return seconds


def _network_stations(n: int, rng: np.random.Generator) -> pd.DataFrame:
    cities = -(-n // CITY_SIZE)
    centre_lat = rng.uniform(18.0, 50.0, cities)
    centre_lon = rng.uniform(75.0, 134.0, cities)
    city = np.arange(n) // CITY_SIZE
    return pd.DataFrame(
        {
            "station": [f"S{i:05d}" for i in range(n)],
            "network": "air",
            "name": [f"Synthetic station {i}" for i in range(n)],
            "latitude": np.round(centre_lat[city] + rng.normal(0.0, 0.08, n), 4),
            "longitude": np.round(centre_lon[city] + rng.normal(0.0, 0.08, n), 4),
            "type": "urban",
            "timezone": TZ,
            "city": [f"City{c:03d}" for c in city],
            "province": [f"Province{c // 20:02d}" for c in city],
        }
    )


def _network_observations(
    stations: pd.DataFrame, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """Hourly values per pollutant: city level × diurnal cycle × synoptic swing × noise."""
    n, hours = len(stations), DAYS * 24
    city = stations["city"].factorize()[0]
    cities = int(city.max()) + 1
    stamps = pd.date_range(NETWORK_START, periods=hours, freq="h")
    local_hour = stamps.hour.to_numpy()
    # a shared synoptic signal per city: AR(1) in log space with a ~1.5-day memory
    phi = np.exp(-1.0 / 36.0)
    shocks = rng.normal(0.0, 0.5 * np.sqrt(1.0 - phi**2), (hours, cities))
    synoptic = np.zeros((hours, cities))
    synoptic[0] = rng.normal(0.0, 0.5, cities)
    for h in range(1, hours):
        synoptic[h] = phi * synoptic[h - 1] + shocks[h]
    station_factor = rng.lognormal(0.0, 0.25, n)
    frames = {}
    for pollutant in POLLUTANTS:
        peak, amplitude = DIURNAL[pollutant]
        diurnal = 1.0 + amplitude * np.cos(2.0 * np.pi * (local_hour - peak) / 24.0)
        swing = -0.6 * synoptic if pollutant == "o3" else synoptic  # O3 high in clean air
        noise = rng.normal(0.0, 0.15, (hours, n))
        values = (
            LEVELS[pollutant]
            * station_factor[None, :]
            * diurnal[:, None]
            * np.exp(swing[:, city] + noise)
        )
        values = np.round(values, 3 if pollutant == "co" else 1)
        keep = rng.random((hours, n)) >= 0.02
        t_index, s_index = np.nonzero(keep)
        frames[pollutant] = pd.DataFrame(
            {
                "station": stations["station"].to_numpy()[s_index],
                "variable": pollutant,
                "valid_at": stamps.tz_convert("UTC")[t_index],
                "value": values[t_index, s_index],
                "qc_flags": 0,
                "source": "synthetic network",
            }
        )
    return frames


def prepare_network(workdir: Path, n: int, kind: str, threads: int) -> Prepared:
    """Write the synthetic network and fit its models."""
    from features.build import build_feature_matrix, read_targets  # noqa: PLC0415
    from forecasting.config import sqlite_url_for_path  # noqa: PLC0415
    from forecasting.pipeline.inputs import load_inputs  # noqa: PLC0415
    from forecasting.storage import Store  # noqa: PLC0415

    clock = time.perf_counter()
    rng = np.random.default_rng(20261123)
    stations = _network_stations(n, rng)
    url = sqlite_url_for_path(workdir / "network.sqlite")
    written = 0
    with Store.open(url) as store:
        store.upsert_stations(stations)
        for frame in _network_observations(stations, rng).values():
            summary = store.write_observations(frame, ingested_at=datetime.now(UTC))
            written += summary.inserted
        print(f"  synthetic network: {n:,} stations, {written:,} hourly values written")
        config = _experiment("issue_network_synthetic", threads)
        train_stations = store.read_stations("air").iloc[: TRAIN_CITIES * CITY_SIZE]
        issued = pd.date_range(
            NETWORK_START + pd.Timedelta(days=4), periods=5, freq="12h"
        ).tz_convert("UTC")
        inputs = load_inputs([], [], emissions=config.features.emissions)
        matrix = build_feature_matrix(
            store, config.features, train_stations, issued, emission_table=inputs.emission_table
        ).frame
        y = read_targets(store, matrix[["station", "valid_at"]], POLLUTANTS)
    models = workdir / "network-models"
    fits = _save_models(matrix, y, models, kind, threads)
    print(
        f"  fitted {kind} on {len(matrix):,} rows x {matrix.shape[1]} columns "
        f"({sum(fits.values()):.1f} s)"
    )
    experiment = workdir / "network-experiment.json"
    experiment.write_text(config.model_dump_json(), encoding="utf-8")
    return Prepared(
        "synthetic", url, experiment, models, NETWORK_AT, n, time.perf_counter() - clock
    )


def prepare_beijing(workdir: Path, kind: str, threads: int) -> Prepared:
    """Ingest the bundled sample and fit its models on the 40 days before the issue."""
    from forecasting.pipeline.air_models import training_set  # noqa: PLC0415
    from forecasting.pipeline.inputs import ingest_into_scratch, load_inputs  # noqa: PLC0415

    clock = time.perf_counter()
    config = _experiment("issue_network_beijing", threads)
    store = ingest_into_scratch(
        [SAMPLE / "observations.csv.gz"], SAMPLE / "stations.csv", workdir / "beijing"
    )
    try:
        url = store.url
        inputs = load_inputs([], [], emissions=config.features.emissions)
        data = training_set(store, config, BEIJING_AT.tz_convert("UTC"), inputs)
    finally:
        store.close()
    models = workdir / "beijing-models"
    fits = _save_models(data.X, data.y, models, kind, threads)
    print(
        f"  Beijing: fitted {kind} on {len(data.X):,} rows x {data.X.shape[1]} columns "
        f"({sum(fits.values()):.1f} s)"
    )
    experiment = workdir / "beijing-experiment.json"
    experiment.write_text(config.model_dump_json(), encoding="utf-8")
    return Prepared("beijing", url, experiment, models, BEIJING_AT, 12, time.perf_counter() - clock)


def _peak_mib() -> float:
    """Peak resident memory of this process [MiB].

    ``VmHWM`` of the process's own address space: ``ru_maxrss`` would report the parent's
    size at the fork when that is larger (Linux keeps it across exec).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_issue(store_url: str, experiment: Path, models: Path, at: str) -> None:
    """Issue once in this process (the child side) and print the figures as JSON."""
    import mlflow  # noqa: PLC0415

    from forecasting.cli.issuance import PyfuncPredictor  # noqa: PLC0415
    from forecasting.pipeline.experiment import ExperimentConfig  # noqa: PLC0415
    from forecasting.pipeline.inputs import load_inputs  # noqa: PLC0415
    from forecasting.pipeline.issue_air import Predictor, issue_air_run  # noqa: PLC0415
    from forecasting.storage import Store  # noqa: PLC0415

    logging.getLogger("mlflow").setLevel(logging.ERROR)  # extra matrix columns are expected
    config = ExperimentConfig.model_validate_json(experiment.read_text(encoding="utf-8"))
    clock = time.perf_counter()
    loaded = {t: PyfuncPredictor(mlflow.pyfunc.load_model(str(models / t))) for t in POLLUTANTS}
    load_s = time.perf_counter() - clock
    inputs = load_inputs([], [], emissions=config.features.emissions)

    def load(target: str) -> tuple[Predictor, str]:
        return loaded[target], f"benchmark-{target}"

    before = _peak_mib()
    with Store.open(store_url) as store:
        clock = time.perf_counter()
        result = issue_air_run(store, config, pd.Timestamp(at), load_model=load, inputs=inputs)
        wall = time.perf_counter() - clock
    figures = {
        "wall_s": wall,
        "load_s": load_s,
        "peak_before_mib": before,
        "peak_mib": _peak_mib(),
        "hourly_rows": result.hourly_rows,
        "degraded": list(result.run.degraded_reasons),
    }
    print(json.dumps(figures))


def measure_issue(prepared: Prepared) -> dict[str, Any]:
    """Run :func:`child_issue` in a fresh interpreter and return its figures."""
    argv = [
        sys.executable,
        __file__,
        "--child",
        prepared.store_url,
        str(prepared.experiment),
        str(prepared.models),
        prepared.at.isoformat(),
    ]
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONWARNINGS": "ignore"}
    clock = time.perf_counter()
    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True, env=env)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - clock
    return figures


def main() -> None:
    """Prepare the networks, issue each once in a child process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, default=2000, help="synthetic stations")
    parser.add_argument("--model", choices=("gbm", "persistence"), default="gbm")
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads")
    parser.add_argument("--skip-network", action="store_true")
    parser.add_argument("--skip-beijing", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        store_url, experiment, models, at = args.child
        child_issue(store_url, Path(experiment), Path(models), at)
        return
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # MLflow's advice on the matrix's integer columns (calendar, lead: never missing)
    warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer", UserWarning)
    with tempfile.TemporaryDirectory(prefix="ecocast-issue-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        prepared = []
        if not args.skip_beijing:
            prepared.append(prepare_beijing(workdir, args.model, args.threads))
        if not args.skip_network:
            prepared.append(prepare_network(workdir, args.stations, args.model, args.threads))
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        header = (
            f"{'network':<10} {'stations':>8} {'issue s':>8} {'target s':>8} "
            f"{'MiB before':>10} {'peak MiB':>9} {'hourly rows':>11} {'setup s':>8}"
        )
        print(header)
        for item in prepared:
            figures = measure_issue(item)
            print(
                f"{item.label:<10} {item.stations:>8,} {figures['wall_s']:8.1f} "
                f"{TARGET_S[item.label]:8.0f} {figures['peak_before_mib']:10.0f} "
                f"{figures['peak_mib']:9.0f} {figures['hourly_rows']:>11,} {item.setup_s:8.1f}"
            )
            if figures["degraded"]:
                print(f"  degraded: {'; '.join(figures['degraded'])}")


if __name__ == "__main__":
    main()
