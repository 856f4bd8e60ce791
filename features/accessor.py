"""The ``.aq`` accessor on xarray Datasets: conveniences over :mod:`features.meteo`.

Importing this module registers the accessor (xarray's extension mechanism;
ecocast never subclasses ``Dataset``). Every method delegates to a pure
function and adds nothing of its own::

    import features.accessor  # noqa: F401  (registers .aq)
    ds = open_met_dataset("gfs.grib2")
    at = ds.aq.at_stations(stations)            # interpolate_to_stations
    cycle = ds.aq.cycle(issue_time)             # select_cycle
    frame = ds.aq.features(stations, issues, range(1, 73))   # met_features

References
----------
.. [1] xarray documentation, "Extending xarray using accessors".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from features.meteo import MetSource, met_features
from features.meteo_interp import InterpMethod, interpolate_to_stations
from features.meteo_read import PERFECT_PROGNOSIS
from features.meteo_select import (
    DEFAULT_AVAILABILITY_DELAY,
    DEFAULT_MAX_FALLBACK_CYCLES,
    TimesLike,
    fields_at_leads,
    select_cycle,
)

__all__ = ["AqAccessor"]


@xr.register_dataset_accessor("aq")
class AqAccessor:
    """ecocast conveniences on a canonical meteorological Dataset (``ds.aq``).

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset from :func:`features.meteo_read.open_met_dataset`.
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    @property
    def is_perfect_prognosis(self) -> bool:
        """Whether the dataset is an analysis (usable only as perfect prognosis)."""
        return bool(self._ds.attrs.get("met_label") == PERFECT_PROGNOSIS)

    def at_stations(self, stations: pd.DataFrame, method: InterpMethod = "bilinear") -> xr.Dataset:
        """Interpolate to stations; see :func:`features.meteo_interp.interpolate_to_stations`."""
        return interpolate_to_stations(self._ds, stations, method)

    def cycle(
        self,
        issue_time: datetime | str,
        *,
        availability_delay: pd.Timedelta = DEFAULT_AVAILABILITY_DELAY,
    ) -> xr.Dataset:
        """Latest cycle published by ``issue_time``; see :func:`.meteo_select.select_cycle`."""
        return select_cycle(self._ds, issue_time, availability_delay=availability_delay)

    def at_leads(
        self,
        issue_time: datetime | str,
        valid_times: TimesLike,
        *,
        availability_delay: pd.Timedelta = DEFAULT_AVAILABILITY_DELAY,
        max_fallback_cycles: int = DEFAULT_MAX_FALLBACK_CYCLES,
    ) -> xr.Dataset:
        """Fields at valid times for one issue; see :func:`.meteo_select.fields_at_leads`."""
        return fields_at_leads(
            self._ds,
            issue_time,
            valid_times,
            availability_delay=availability_delay,
            max_fallback_cycles=max_fallback_cycles,
        )

    def features(
        self,
        stations: pd.DataFrame,
        issue_times: TimesLike,
        leads: Sequence[int] | npt.NDArray[np.integer[Any]],
        *,
        source: MetSource = "forecast",
        **options: Any,
    ) -> pd.DataFrame:
        """``met_*`` features; see :func:`features.meteo.met_features`."""
        return met_features(self._ds, stations, issue_times, leads, source=source, **options)
