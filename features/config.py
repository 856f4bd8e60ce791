"""What the model matrix holds: the feature part of an experiment file.

:class:`FeatureConfig` is declarative (no paths, no URIs): which families, which windows,
which weather source. Experiment files embed it as their ``[features]`` table; unknown
keys are refused (``extra="forbid"``) so a typo never silently changes an experiment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["POLLUTANTS", "WEATHER_SOURCES", "FeatureConfig", "WeatherSource"]

POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""ecocast pollutant names [µg m⁻³; CO mg m⁻³]."""

STATION_WEATHER: tuple[str, ...] = (
    "temp_air",
    "dew_point",
    "pressure",
    "rain",
    "wind_speed",
    "wind_dir",
)
"""Station weather variables of the store (observed, so known at T for their past)."""

WeatherSource = Literal["none", "perfect_prognosis", "forecast"]
WEATHER_SOURCES: tuple[str, ...] = ("none", "perfect_prognosis", "forecast")


class FeatureConfig(BaseModel):
    """Feature families and their parameters.

    Attributes
    ----------
    leads : int
        Hourly leads 1..``leads`` [h]; lead 1 is the stamp of the issue time.
    history_window_h : int
        Hours of history before T − 1 h available to the history families [h].
    lags_h, windows_h : tuple of int
        History lags and rolling windows [h].
    diurnal_days : int
        Days of the recent diurnal profile.
    history_weather : bool
        Include the observed station weather up to T − 1 h among the history features
        (known at T; not perfect prognosis).
    neighbours : bool
        Network mean and upwind-station features.
    calendar : bool
        Calendar features (known in advance).
    weather : {"none", "perfect_prognosis", "forecast"}
        Weather at the valid time: none; observed station weather or analyses as a
        stand-in for a forecast (labelled "perfect prognosis" wherever it appears);
        forecast fields (the latest cycle available at T).
    emissions : bool
        Emission features (tabular scaling as published by T; gridded inventories
        where catalogued).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    leads: int = Field(72, ge=1, le=120)
    history_window_h: int = Field(168, ge=24, le=24 * 31)
    lags_h: tuple[int, ...] = (1, 2, 3, 6, 12, 24, 48, 72, 168)
    windows_h: tuple[int, ...] = (3, 6, 12, 24, 72, 168)
    diurnal_days: int = Field(7, ge=1, le=30)
    history_weather: bool = True
    neighbours: bool = True
    calendar: bool = True
    weather: WeatherSource = "none"
    emissions: bool = True

    @field_validator("lags_h", "windows_h")
    @classmethod
    def _positive_sorted(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(v < 1 for v in value):
            raise ValueError("must be a non-empty list of positive hours")
        return tuple(sorted(set(value)))

    @property
    def is_perfect_prognosis(self) -> bool:
        """True when the weather at the valid time is observed (perfect prognosis)."""
        return self.weather == "perfect_prognosis"
