"""Experiment files: the two reference experiments, key checking and name resolution."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from forecasting.errors import InputDataError
from forecasting.pipeline.experiment import ExperimentConfig, experiment_path, load_experiment

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = REPO_ROOT / "experiments"
REFERENCES = ("air_beijing", "air_beijing_perfect_met")
# What may differ between the two reference experiments: everything else is the same run.
MAY_DIFFER = {
    ("name",),
    ("description",),
    ("features", "weather"),
    ("tracking", "experiment"),
}
PATH_LIKE_KEYS = ("path", "dir", "file", "uri")

SMALL = """
name = "small"
targets = ["pm25"]

[model]
name = "direct_gbm"
params = { n_estimators = 40 }

[[backtest.windows]]
start = "2015-04-20"
end = "2015-04-24"
"""


def _leaves(value: Any, key: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (key path, scalar) of a nested TOML document or model dump."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, (*key, str(name)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, (*key, str(index)))
    else:
        yield key, value


def _keys(value: Any, key: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield (*key, str(name))
            yield from _keys(item, (*key, str(name)))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _keys(item, key)


def _write(tmp_path: Path, text: str, name: str = "small.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_experiment_loads(name: str) -> None:
    config = load_experiment(EXPERIMENTS / f"{name}.toml")
    assert config.name == name
    assert config.targets == ("pm25", "pm10", "so2", "no2", "co", "o3")
    assert config.features.leads == 72
    assert config.model.name == "direct_gbm"
    assert {b.name for b in config.baselines} >= {"persistence", "climatology"}
    assert config.backtest.windows[0].label == "2015-03-01/2016-02-29"
    assert config.backtest.issue_hour == 0
    assert config.timezone == "Asia/Shanghai"


def test_reference_experiments_differ_only_in_weather_and_naming() -> None:
    none, perfect = (load_experiment(EXPERIMENTS / f"{n}.toml") for n in REFERENCES)
    left, right = dict(_leaves(none.model_dump())), dict(_leaves(perfect.model_dump()))
    assert left.keys() == right.keys()
    differing = {key for key in left if left[key] != right[key]}
    assert differing == MAY_DIFFER
    assert none.features.weather == "none"
    assert perfect.features.weather == "perfect_prognosis"
    assert none.weather_label == "none"
    assert perfect.weather_label == "perfect prognosis"
    assert none.tracking.experiment != perfect.tracking.experiment
    assert none.fingerprint() != perfect.fingerprint()


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_experiment_names_no_path(name: str) -> None:
    raw = tomllib.loads((EXPERIMENTS / f"{name}.toml").read_text(encoding="utf-8"))
    for key in _keys(raw):
        leaf = key[-1].lower()
        assert not any(word in leaf for word in PATH_LIKE_KEYS), key
    for key, value in _leaves(raw):
        if not isinstance(value, str) or key == ("description",):
            continue
        if key == ("timezone",):  # an IANA zone name has a "/" but is no path
            assert ZoneInfo(value).key == value
            continue
        assert "/" not in value, (key, value)
        assert "\\" not in value, (key, value)
        assert not (REPO_ROOT / value).exists(), (key, value)
        assert not Path(value).is_absolute(), (key, value)


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace("[model]", "[model]\nestimator = 'x'"))
    with pytest.raises(InputDataError) as error:
        load_experiment(path)
    message = str(error.value)
    assert str(path) in message
    assert "model.estimator" in message


def test_unknown_feature_key_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL + "\n[features]\nwether = 'none'\n")
    with pytest.raises(InputDataError) as error:
        load_experiment(path)
    assert str(path) in str(error.value)
    assert "features.wether" in str(error.value)


def test_bad_target_names_file_key_and_choices(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace('targets = ["pm25"]', 'targets = ["pm25", "pm1"]'))
    with pytest.raises(InputDataError) as error:
        load_experiment(path)
    message = str(error.value)
    assert str(path) in message
    assert "targets" in message
    assert "'pm1'" in message
    assert "pm10" in message  # the valid choices are listed


def test_reversed_window_names_file_and_key(tmp_path: Path) -> None:
    text = SMALL.replace('start = "2015-04-20"', 'start = "2015-04-25"')
    path = _write(tmp_path, text)
    with pytest.raises(InputDataError) as error:
        load_experiment(path)
    message = str(error.value)
    assert str(path) in message
    assert "backtest.windows.0" in message
    assert "2015-04-24" in message
    assert "2015-04-25" in message


def test_malformed_toml_names_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "name = \n")
    with pytest.raises(InputDataError, match="not valid TOML") as error:
        load_experiment(path)
    assert str(path) in str(error.value)


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace('name = "small"\n', ""), name="tiny_exp.toml")
    config = load_experiment(path)
    assert config.name == "tiny_exp"
    assert isinstance(config, ExperimentConfig)
    assert config.backtest.windows[0].label == "2015-04-20/2015-04-24"
    assert config.model.params == {"n_estimators": 40}


def test_experiment_path_resolves_bare_name(tmp_path: Path) -> None:
    _write(tmp_path, SMALL, name="small.toml")
    assert experiment_path("small", search=tmp_path) == tmp_path / "small.toml"
    assert experiment_path("small.toml", search=tmp_path) == tmp_path / "small.toml"
    found = experiment_path("air_beijing")
    assert found.name == "air_beijing.toml"
    assert found.resolve() == (EXPERIMENTS / "air_beijing.toml").resolve()
    assert load_experiment("air_beijing_perfect_met").weather_label == "perfect prognosis"


def test_experiment_path_missing_lists_available(tmp_path: Path) -> None:
    _write(tmp_path, SMALL, name="small.toml")
    _write(tmp_path, SMALL, name="other.toml")
    with pytest.raises(InputDataError) as error:
        experiment_path("nonesuch", search=tmp_path)
    message = str(error.value)
    assert "'nonesuch' not found" in message
    assert "['other', 'small']" in message

    with pytest.raises(InputDataError) as error:
        load_experiment("nonesuch_experiment")
    assert "air_beijing" in str(error.value)
    assert "air_beijing_perfect_met" in str(error.value)
