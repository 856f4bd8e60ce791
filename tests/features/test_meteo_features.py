"""``met_*`` features: right cycle and lead, leakage-free, perfect prognosis labelled, lazy."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.meteo import MET_COLUMNS, met_features, station_weather_features
from features.meteo_derived import relative_humidity, stability_index, wind_speed_direction
from features.meteo_read import PERFECT_PROGNOSIS, canonicalize_met_dataset
from features.testing import synthetic_analysis, synthetic_forecast_fields
from forecasting.errors import InputDataError

LATS = [40.5, 40.25, 40.0, 39.75]
LONS = [116.0, 116.25, 116.5]
#: A station on the node (40.0 N, 116.25 E), one inside a cell, one outside the grid.
STATIONS = pd.DataFrame(
    {
        "station": ["Node", "Cell", "Far"],
        "latitude": [40.0, 40.1, 45.0],
        "longitude": [116.25, 116.4, 116.25],
        "timezone": "Asia/Shanghai",
    }
)
LEADS = np.arange(1, 73)
H = np.timedelta64(1, "h")


@pytest.fixture(scope="module")
def forecast() -> xr.Dataset:
    # cycles 2024-01-01 00/12 UTC, 2024-01-02 00/12 UTC; hourly steps 0-72 h
    return canonicalize_met_dataset(synthetic_forecast_fields(latitudes=LATS, longitudes=LONS))


@pytest.fixture(scope="module")
def analysis() -> xr.Dataset:
    return canonicalize_met_dataset(synthetic_analysis(latitudes=LATS, longitudes=LONS), "analysis")


def _issue(text: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(text, tz="UTC")])


def _node(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["station"] == "Node"].reset_index(drop=True)


# --- the right cycle and lead ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issue", "cycle"),
    [
        ("2024-01-01T16:00", "2024-01-01T00:00"),  # 00:00 Beijing; 12 UTC published only at 18 UTC
        ("2024-01-01T18:00", "2024-01-01T12:00"),
        ("2024-01-02T16:00", "2024-01-02T00:00"),
    ],
)
def test_node_station_gets_the_node_value_of_the_right_cycle_and_step(
    forecast: xr.Dataset, issue: str, cycle: str
) -> None:
    frame = _node(met_features(forecast, STATIONS, _issue(issue), LEADS))
    valid = np.datetime64(issue) + (LEADS - 1) * H
    steps = valid - np.datetime64(cycle)
    inside = steps <= np.timedelta64(72, "h")
    node = forecast.sel(issue_time=cycle, latitude=40.0, longitude=116.25).sel(step=steps[inside])
    np.testing.assert_array_equal(
        frame["met_temp_air"].to_numpy()[inside], node["temp_air"].values.astype(np.float64)
    )
    np.testing.assert_array_equal(
        frame["met_blh"].to_numpy()[inside], node["blh"].values.astype(np.float64)
    )
    np.testing.assert_array_equal(frame["met_step_h"].to_numpy()[inside], steps[inside] / H)
    assert frame["met_available"].to_numpy().tolist() == inside.tolist()
    assert frame.loc[~inside, list(MET_COLUMNS)].isna().all().all()


def test_derived_columns_follow_their_formulas(forecast: xr.Dataset) -> None:
    frame = met_features(forecast, STATIONS.iloc[:2], _issue("2024-01-01T16:00"), LEADS[:48])
    np.testing.assert_allclose(
        frame["met_rh"], relative_humidity(frame["met_temp_air"], frame["met_dew_point"])
    )
    speed, direction = wind_speed_direction(
        frame["met_u10"].to_numpy(), frame["met_v10"].to_numpy()
    )
    np.testing.assert_allclose(frame["met_wind_speed"], speed)
    np.testing.assert_allclose(frame["met_wind_dir"], direction)
    np.testing.assert_allclose(frame["met_ventilation"], frame["met_blh"] * frame["met_wind_speed"])
    node = forecast.sel(issue_time="2024-01-01T00:00", latitude=40.0, longitude=116.25)
    node = node.sel(step=np.arange(16, 64) * H).astype(np.float64)
    expected = stability_index(node["temp_850"], 850.0, node["temp_air"], node["pressure"])
    np.testing.assert_allclose(_node(frame)["met_stability"], expected.values, rtol=1e-12)
    assert (frame["met_stability"] > 0).all()  # the synthetic 850 hPa layer is warmer in theta


def test_precip_rate_is_deaccumulated_from_the_cycle_start(forecast: xr.Dataset) -> None:
    # synthetic rate is 0.5 * (1 + s) mm/h at every step, accumulated since the cycle start
    frame = _node(met_features(forecast, STATIONS, _issue("2024-01-01T16:00"), LEADS[:24]))
    accumulated = forecast["precip"].sel(
        issue_time="2024-01-01T00:00", latitude=40.0, longitude=116.25
    )
    rate = float(accumulated.sel(step=np.timedelta64(1, "h")))  # mm in the first hour
    np.testing.assert_allclose(frame["met_precip_rate"], rate, rtol=1e-5)


def test_interpolated_station_lies_between_its_corners(forecast: xr.Dataset) -> None:
    frame = met_features(forecast, STATIONS, _issue("2024-01-01T16:00"), LEADS[:24])
    cell = frame[frame["station"] == "Cell"]["met_pressure"].to_numpy()
    corners = forecast["pressure"].sel(
        issue_time="2024-01-01T00:00",
        step=np.arange(16, 40) * H,
        latitude=[40.0, 40.25],
        longitude=[116.25, 116.5],
    )
    assert (cell >= corners.min(["latitude", "longitude"]).values - 1e-3).all()
    assert (cell <= corners.max(["latitude", "longitude"]).values + 1e-3).all()


def test_station_outside_the_grid_is_nan_and_unavailable(forecast: xr.Dataset) -> None:
    frame = met_features(forecast, STATIONS, _issue("2024-01-01T16:00"), LEADS[:5])
    far = frame[frame["station"] == "Far"]
    assert not far["met_available"].any()
    assert far[list(MET_COLUMNS)].isna().all().all()


def test_missing_cycle_gives_nan_and_false_indicator(forecast: xr.Dataset) -> None:
    only_late = forecast.sel(issue_time=forecast["issue_time"] >= np.datetime64("2024-01-02T00:00"))
    frame = met_features(only_late, STATIONS, _issue("2024-01-01T16:00"), LEADS[:3])
    assert not frame["met_available"].any()
    assert frame[list(MET_COLUMNS)].isna().all().all()
    assert frame["met_source"].eq("forecast").all()


def test_cycle_without_data_falls_back_to_the_previous_cycle(forecast: xr.Dataset) -> None:
    broken = forecast.copy(deep=True)
    for name in broken.data_vars:
        broken[name].loc[{"issue_time": "2024-01-01T12:00"}] = np.nan  # a cycle that arrived empty
    issue = _issue("2024-01-02T00:00")
    got = _node(met_features(broken, STATIONS, issue, LEADS[:6]))
    assert got["met_step_h"].tolist() == [24.0, 25.0, 26.0, 27.0, 28.0, 29.0]
    expected = forecast["temp_air"].sel(
        issue_time="2024-01-01T00:00", latitude=40.0, longitude=116.25, step=np.arange(24, 30) * H
    )
    np.testing.assert_array_equal(got["met_temp_air"], expected.values.astype(np.float64))
    no_fallback = _node(met_features(broken, STATIONS, issue, LEADS[:6], max_fallback_cycles=0))
    assert not no_fallback["met_available"].any()


# --- leakage -------------------------------------------------------------------------------------


def _perturb_after(ds: xr.Dataset, cut: np.datetime64, how: str) -> xr.Dataset:
    """Change every value of every cycle issued after ``cut`` (= T - delay)."""
    late = xr.DataArray(ds["issue_time"].values > cut, dims="issue_time")
    rng = np.random.default_rng(7)
    out = ds.copy(deep=True)
    for name, array in ds.data_vars.items():
        noise = rng.normal(0.0, 50.0, array.shape)
        replacement = np.nan if how == "nan" else array + noise
        out[name] = array.where(~late, replacement).assign_attrs(array.attrs)
    return out


@pytest.mark.parametrize("how", ["noise", "nan"])
@pytest.mark.parametrize(
    ("issue", "delay_h"),
    [
        ("2024-01-01T06:00", 6),  # the first cycle just published
        ("2024-01-01T17:00", 6),  # 12 UTC published only at 18 UTC
        ("2024-01-01T18:00", 6),
        ("2024-01-02T16:00", 6),
        ("2024-01-02T16:00", 0),
        ("2024-01-02T16:00", 18),
        ("2024-01-02T23:00", 12),
    ],
)
def test_perturbing_every_cycle_issued_after_t_minus_delay_changes_nothing(
    forecast: xr.Dataset, issue: str, delay_h: int, how: str
) -> None:
    delay = pd.Timedelta(hours=delay_h)
    issues = _issue(issue)
    cut = (issues[0] - delay).tz_localize(None).to_datetime64()
    before = met_features(forecast, STATIONS, issues, LEADS, availability_delay=delay)
    after = met_features(
        _perturb_after(forecast, cut, how), STATIONS, issues, LEADS, availability_delay=delay
    )
    pd.testing.assert_frame_equal(before, after)
    known = forecast.sel(issue_time=forecast["issue_time"] <= cut)
    truncated = met_features(known, STATIONS, issues, LEADS, availability_delay=delay)
    pd.testing.assert_frame_equal(before, truncated)
    assert before["met_available"].any()


def test_leakage_with_many_issue_times_at_once(forecast: xr.Dataset) -> None:
    issues = pd.date_range("2024-01-01T06:00", "2024-01-03T00:00", freq="9h", tz="UTC")
    delay = pd.Timedelta(hours=6)
    together = met_features(forecast, STATIONS, issues, LEADS, availability_delay=delay)
    for issue in issues:
        cut = (issue - delay).tz_localize(None).to_datetime64()
        alone = met_features(
            _perturb_after(forecast, cut, "noise"),
            STATIONS,
            [issue],
            LEADS,
            availability_delay=delay,
        )
        mine = together[together["issued_at"] == issue].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_like=False)


# --- perfect prognosis ---------------------------------------------------------------------


def test_analysis_is_labelled_perfect_prognosis_and_uses_the_valid_time(
    analysis: xr.Dataset,
) -> None:
    frame = met_features(
        analysis, STATIONS, _issue("2024-01-01T16:00"), LEADS[:24], source="analysis"
    )
    assert frame.attrs["met_source"] == PERFECT_PROGNOSIS
    assert frame.attrs["met_input"] == "analysis"
    assert frame["met_source"].eq(PERFECT_PROGNOSIS).all()
    node = _node(frame)
    valid = np.datetime64("2024-01-01T16:00") + (LEADS[:24] - 1) * H
    expected = analysis["temp_air"].sel(valid_time=valid, latitude=40.0, longitude=116.25)
    np.testing.assert_array_equal(node["met_temp_air"], expected.values.astype(np.float64))
    assert node["met_step_h"].isna().all()


def test_analysis_never_stands_in_for_a_forecast_unless_asked(analysis: xr.Dataset) -> None:
    with pytest.raises(
        InputDataError, match="may stand in for a forecast only as perfect prognosis"
    ):
        met_features(analysis, STATIONS, _issue("2024-01-01T16:00"), LEADS)


def test_forecast_passed_as_analysis_is_refused(forecast: xr.Dataset) -> None:
    with pytest.raises(InputDataError, match="source='analysis' needs an analysis"):
        met_features(forecast, STATIONS, _issue("2024-01-01T16:00"), LEADS, source="analysis")


def test_forecast_and_analysis_rates_agree_on_the_synthetic_field(
    forecast: xr.Dataset, analysis: xr.Dataset
) -> None:
    issue = _issue("2024-01-01T16:00")
    fc = met_features(forecast, STATIONS.iloc[:2], issue, LEADS[:24])
    an = met_features(analysis, STATIONS.iloc[:2], issue, LEADS[:24], source="analysis")
    np.testing.assert_allclose(fc["met_precip_rate"], an["met_precip_rate"], rtol=1e-4)


def _weather() -> pd.DataFrame:
    valid = pd.date_range("2024-01-01T16:00", periods=6, freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "station": ["Node"] * 6,
            "valid_at": valid,
            "temp_air": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "dew_point": [-5.0] * 6,
            "pressure": [1020.0] * 6,
            "rain": [0.0, 0.5, 0.0, 0.0, 1.0, 0.0],
            "wind_speed": [2.0, 0.0, 3.0, 3.0, 3.0, 3.0],
            "wind_dir": [270.0, 0.0, 0.0, 90.0, 180.0, 45.0],
        }
    )


def test_station_observations_at_the_valid_time_are_perfect_prognosis() -> None:
    keys = pd.DataFrame(
        {
            "station": ["Node"] * 3 + ["Other"],
            "issued_at": pd.Timestamp("2024-01-01T16:00", tz="UTC"),
            "lead_h": [1, 2, 5, 1],
        },
        index=[10, 11, 12, 13],
    )
    frame = station_weather_features(_weather(), keys)
    assert frame.index.tolist() == [10, 11, 12, 13]
    assert frame["met_temp_air"].tolist()[:3] == [1.0, 2.0, 5.0]
    assert frame["met_precip_rate"].tolist()[:3] == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(
        frame["met_u10"].iloc[0], 2.0, atol=1e-12
    )  # from the west: towards +x
    assert frame["met_available"].tolist() == [True, True, True, False]
    assert frame["met_source"].eq(PERFECT_PROGNOSIS).all()
    assert frame.attrs["met_source"] == PERFECT_PROGNOSIS
    assert frame["met_blh"].isna().all()
    assert frame["met_step_h"].isna().all()


def test_station_obs_source_goes_through_met_features() -> None:
    frame = met_features(
        _weather(), STATIONS.iloc[:1], _issue("2024-01-01T16:00"), [1, 2], source="station_obs"
    )
    assert frame["met_temp_air"].tolist() == [1.0, 2.0]
    assert frame.attrs["met_input"] == "station_obs"


def test_repeated_station_hours_are_refused() -> None:
    weather = pd.concat([_weather(), _weather().iloc[:1]])
    keys = pd.DataFrame(
        {
            "station": ["Node"],
            "issued_at": [pd.Timestamp("2024-01-01T16:00", tz="UTC")],
            "lead_h": [1],
        }
    )
    with pytest.raises(InputDataError, match="weather_wide repeats station 'Node'"):
        station_weather_features(weather, keys)


# --- frame shape, inputs, laziness ------------------------------------------------------------


def test_frame_keys_dtypes_and_order(forecast: xr.Dataset) -> None:
    issues = pd.DatetimeIndex(["2024-01-02T16:00", "2024-01-01T16:00"], tz="UTC")
    frame = met_features(forecast, STATIONS, issues, [3, 1, 2])
    assert list(frame.columns) == [
        "station",
        "issued_at",
        "lead_h",
        *MET_COLUMNS,
        "met_available",
        "met_source",
    ]
    assert len(frame) == 3 * 2 * 3
    assert str(frame["issued_at"].dtype) == "datetime64[ns, UTC]"
    assert frame["lead_h"].dtype == np.int64
    assert frame["met_available"].dtype == bool
    assert all(frame[c].dtype == np.float64 for c in MET_COLUMNS)
    assert frame[["station", "issued_at", "lead_h"]].equals(
        frame[["station", "issued_at", "lead_h"]].sort_values(
            ["station", "issued_at", "lead_h"], ignore_index=True
        )
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"issue_times": ["2024-01-01T16:00"]}, "times must be timezone-aware"),
        ({"leads": [0, 1]}, "leads must be integers >= 1"),
        ({"leads": [1, 1]}, "leads repeat values"),
        (
            {"source": "reanalysis"},
            "unknown met source 'reanalysis'; choose one of: forecast, analysis, station_obs",
        ),
    ],
)
def test_bad_arguments_are_input_errors(
    forecast: xr.Dataset, kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "issue_times": _issue("2024-01-01T16:00"),
        "leads": [1, 2],
    } | kwargs
    with pytest.raises(InputDataError, match=message):
        met_features(forecast, STATIONS, **arguments)  # type: ignore[arg-type]


def test_dataset_without_some_fields_gives_nan_columns(forecast: xr.Dataset) -> None:
    frame = met_features(forecast[["temp_air"]], STATIONS, _issue("2024-01-01T16:00"), [1])
    assert frame["met_temp_air"].notna().iloc[0]
    assert frame[["met_blh", "met_ventilation", "met_stability", "met_rh"]].isna().all().all()


def test_national_grid_is_never_loaded_only_the_chunks_around_stations() -> None:
    touched: list[tuple[int, ...]] = []

    def generate(block: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        assert block_info is not None
        touched.append(tuple(block_info[None]["chunk-location"]))
        return np.full(block.shape, 280.0, dtype=np.float32)

    shape, chunks = (4, 73, 2000, 3000), (1, 73, 200, 200)  # 0.01 degree over 20 x 30 degrees: 7 GB
    lazy = da.zeros(shape, chunks=chunks, dtype=np.float32).map_blocks(generate, dtype=np.float32)
    raw = xr.Dataset(
        {
            "t2m": (
                ("time", "step", "latitude", "longitude"),
                lazy,
                {"units": "K", "standard_name": "air_temperature"},
            )
        },
        coords={
            "time": pd.date_range("2024-01-01", periods=4, freq="12h").to_numpy(),
            "step": (np.arange(73) * H).astype("timedelta64[ns]"),
            "latitude": np.linspace(30.0, 49.99, 2000),
            "longitude": np.linspace(100.0, 129.99, 3000),
        },
    )
    frame = met_features(
        canonicalize_met_dataset(raw), STATIONS.iloc[:2], _issue("2024-01-01T20:00"), range(1, 25)
    )
    np.testing.assert_allclose(frame["met_temp_air"], 280.0 - 273.15, rtol=1e-6)
    total = 4 * 10 * 15
    assert 1 <= len(set(touched)) <= 2 < total
    assert {loc[0] for loc in touched} == {1}  # only the 12 UTC cycle
