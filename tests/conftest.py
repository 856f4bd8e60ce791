"""Shared fixtures: where the real-data test bed lives.

The real monitoring data sit in ``../shared/data`` beside the checkout (CI puts
it there). ``ECOCAST_SHARED_DIR`` points elsewhere if needed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    return Path(os.environ.get("ECOCAST_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """``shared/data``: the real monitoring data (fails loudly when absent)."""
    path = _shared_dir() / "data"
    if not path.is_dir():
        pytest.fail(f"real-data test bed not found at {path}; set ECOCAST_SHARED_DIR")
    return path


@pytest.fixture(scope="session")
def beijing_observations_path(shared_data_dir: Path) -> Path:
    """The UCI Beijing multi-site hourly file (CO in µg/m³, times with +08:00)."""
    return shared_data_dir / "air" / "beijing" / "observations.csv.gz"


@pytest.fixture(scope="session")
def beijing_stations_path(shared_data_dir: Path) -> Path:
    """The 12 Beijing stations with coordinates and met groups."""
    return shared_data_dir / "air" / "beijing" / "stations.csv"
