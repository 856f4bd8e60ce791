"""Runtime settings: defaults, environment, .env file and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

import forecasting.config as config_module
from forecasting.config import Settings, load_settings
from forecasting.errors import InputDataError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ECOCAST_* variables and no .env file leak in from the developer's shell."""
    for name in ("DATA_DIR", "DATABASE_URL", "MLFLOW_TRACKING_URI", "TIMEZONE"):
        monkeypatch.delenv(f"ECOCAST_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_derive_locations_from_the_data_directory(tmp_path: Path):
    settings = load_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == f"sqlite:///{tmp_path}/data/ecocast.sqlite"
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path}/data/mlflow.db"
    assert settings.timezone == "Asia/Shanghai"


def test_environment_variables_set_fields(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("ECOCAST_DATA_DIR", str(tmp_path / "srv"))
    monkeypatch.setenv("ECOCAST_TIMEZONE", "Asia/Urumqi")
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path}/srv/ecocast.sqlite"
    assert settings.timezone == "Asia/Urumqi"
    monkeypatch.setenv("ECOCAST_DATABASE_URL", "postgresql+psycopg://u@db/eco")
    assert load_settings().database_url == "postgresql+psycopg://u@db/eco"


def test_dotenv_file_is_read_and_overrides_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / ".env").write_text(
        "ECOCAST_DATABASE_URL=sqlite:////from/dotenv.sqlite\nECOCAST_TIMEZONE=UTC\n",
        encoding="utf-8",
    )
    assert load_settings().database_url == "sqlite:////from/dotenv.sqlite"
    monkeypatch.setenv("ECOCAST_TIMEZONE", "Asia/Hong_Kong")  # environment beats .env
    assert load_settings().timezone == "Asia/Hong_Kong"
    assert load_settings(timezone="Asia/Shanghai").timezone == "Asia/Shanghai"  # overrides win
    assert load_settings(_env_file=None).database_url.endswith("/data/ecocast.sqlite")


def test_explicit_mlflow_uri_is_kept():
    uri = "http://127.0.0.1:5000"
    assert load_settings(mlflow_tracking_uri=uri).mlflow_tracking_uri == uri


def test_invalid_values_name_the_variable_and_the_fix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ECOCAST_TIMEZONE", "Beijing")
    with pytest.raises(InputDataError, match=r"ECOCAST_TIMEZONE: .*'Beijing'.*'Asia/Shanghai'"):
        load_settings()


def test_no_settings_object_is_built_at_import():
    assert not any(isinstance(value, Settings) for value in vars(config_module).values())
