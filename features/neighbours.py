"""Neighbour feature family ``nbr_*``: the network mean and the stations upwind.

Pollution arrives with the wind: the stations a target station's air comes from carry
information its own history lacks. For every station and issue time ``T``, from a
:class:`features.window.KnownHistory` (so from nothing unknown at ``T`` [1]_):

==============================  ==========  ==================================================
column                          unit        meaning
==============================  ==========  ==================================================
``nbr_{v}_net_last``            unit of v   mean over the other stations of their last value
``nbr_{v}_net_mean24h``         unit of v   mean over the other stations of their 24-h mean
``nbr_{v}_net_n``               int         stations (independent sources) in ``net_last``
``nbr_{v}_upwind_last``         unit of v   inverse-distance-weighted last value upwind
``nbr_{v}_upwind_mean6h``       unit of v   inverse-distance-weighted 6-h mean upwind
``nbr_upwind_n``                int         stations in the upwind sector
``nbr_upwind_available``        bool        usable wind and at least one station upwind
``nbr_available``               bool        another station has a last value of any variable
==============================  ==========  ==================================================

A station's *last value* is its newest valid value no older than ``max_age_h`` (stale
readings of a station in an outage are left out); its 24-h and 6-h means need
``min_valid_fraction`` of their stamps (:func:`features.history.min_valid_count`).

Upwind stations are those whose initial bearing from the target lies within
``±sector_deg`` of the target's wind direction at ``T - 1 h`` (meteorological
convention: the direction the wind blows FROM [2]_), no farther than ``max_km`` and not
at the target's own position. A calm (speed below ``calm_ms``) or unknown wind gives NaN
and ``nbr_upwind_available = False``. Weights are ``distance ** -idw_power``.

Shared meteorology
------------------
Several Beijing stations carry identical weather columns, copied from one CMA station
per ``met_group`` [3]_. They are one source, not several: for every variable that is not
a pollutant, a met group counts once (its first station in the history's order stands for
it, the others are left out) and the target's own group is left out of its neighbours.
Pollutants are measured at each station and always count per station. Pass
``met_group`` in the station frame to use this; without it every station is its own
group.

References
----------
.. [1] shared/docs/product.md, "Forecast protocol (air)": at issue time T the system
   knows observations stamped <= T - 1 h.
.. [2] WMO (2018) Guide to Instruments and Methods of Observation (WMO-No. 8), Vol. I,
   chapter 5: wind direction is the direction from which the wind blows.
.. [3] shared/data/README.md, ``air/beijing``, "Shared meteorology": the met columns are
   identical within {Aotizhongxin, Guanyuan}, {Changping, Dingling} and {Dongsi,
   Nongzhanguan, Tiantan}; see ``met_group`` in ``stations.csv``.
.. [4] H. Moritz (2000) Geodetic Reference System 1980, J. Geodesy 74, 128-133: mean
   Earth radius R1 = 6,371,008.8 m.
.. [5] C. Veness, "Calculate distance, bearing and more between latitude/longitude
   points", https://www.movable-type.co.uk/scripts/latlong.html (haversine distance,
   initial bearing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.history import POLLUTANTS, min_valid_count
from features.window import KnownHistory
from forecasting.errors import InputDataError

__all__ = [
    "EARTH_RADIUS_KM",
    "StationGeometry",
    "haversine_km",
    "initial_bearing_deg",
    "neighbour_features",
    "station_geometry",
]

#: Mean Earth radius R1 of GRS 80 [km] [4]_.
EARTH_RADIUS_KM = 6371.0088

Float64 = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Float64:
    """Return the great-circle distance on a sphere of radius :data:`EARTH_RADIUS_KM`.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array-like
        Latitudes [degree north] and longitudes [degree east]; broadcast together.

    Returns
    -------
    numpy.ndarray
        Distance [km]; NaN where a coordinate is NaN.

    References
    ----------
    .. [1] C. Veness, "Calculate distance, bearing and more between latitude/longitude
       points" (haversine formula).

    Examples
    --------
    >>> round(float(haversine_km(0.0, 0.0, 1.0, 0.0)), 4)  # one degree of latitude
    111.1951
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = np.radians(np.subtract(lon2, lon1)) / 2.0
    a = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def initial_bearing_deg(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> Float64:
    """Return the initial bearing of the great circle from point 1 to point 2.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array-like
        Latitudes [degree north] and longitudes [degree east]; broadcast together.

    Returns
    -------
    numpy.ndarray
        Bearing [degree] in ``[0, 360)``, clockwise from north (0 for identical points).

    References
    ----------
    .. [1] C. Veness, "Calculate distance, bearing and more between latitude/longitude
       points" (initial bearing).

    Examples
    --------
    >>> float(initial_bearing_deg(40.0, 116.0, 40.0, 117.0)).__round__(1)  # east
    89.7
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dlambda = np.radians(np.subtract(lon2, lon1))
    y = np.sin(dlambda) * np.cos(phi2)
    x = np.cos(phi1) * np.sin(phi2) - np.sin(phi1) * np.cos(phi2) * np.cos(dlambda)
    return np.asarray(np.mod(np.degrees(np.arctan2(y, x)), 360.0))


@dataclass(frozen=True, eq=False)
class StationGeometry:
    """Pairwise geometry of stations.

    Attributes
    ----------
    stations : pandas.Index
        Station codes (rows and columns).
    distance_km : numpy.ndarray
        ``[from, to]`` great-circle distance [km]; NaN without coordinates.
    bearing_deg : numpy.ndarray
        ``[from, to]`` initial bearing [degree], clockwise from north.
    met_group : numpy.ndarray of int
        Met-group number per station (stations without a group get their own).
    """

    stations: pd.Index
    distance_km: Float64
    bearing_deg: Float64
    met_group: npt.NDArray[np.int64]

    def shared_source_mask(self) -> npt.NDArray[np.bool_]:
        """``[target, other]``: the other station stands for a met group not the target's."""
        group = self.met_group
        first = np.zeros(group.size, bool)
        first[np.unique(group, return_index=True)[1]] = True
        return np.asarray(first[None, :] & (group[None, :] != group[:, None]), dtype=bool)


def station_geometry(
    stations_meta: pd.DataFrame, stations: Sequence[str] | pd.Index
) -> StationGeometry:
    """Distances, bearings and met groups of ``stations`` from a station frame.

    Parameters
    ----------
    stations_meta : pandas.DataFrame
        ``station``, ``latitude`` [degree north], ``longitude`` [degree east] and,
        optionally, ``met_group`` (stations sharing identical weather columns).
        Stations missing from it, or without coordinates, get NaN geometry.
    stations : sequence of str
        The stations, in the order of the result.

    Returns
    -------
    StationGeometry
        The pairwise geometry.

    Raises
    ------
    forecasting.errors.InputDataError
        When a required column is missing or a station is listed twice.
    """
    missing = [c for c in ("station", "latitude", "longitude") if c not in stations_meta.columns]
    if missing:
        raise InputDataError(
            f"station frame lacks column(s) {missing}; it needs station, latitude, "
            "longitude (and optionally met_group)"
        )
    codes = stations_meta["station"].astype("str")
    if codes.duplicated().any():
        raise InputDataError(
            f"station frame lists {sorted(set(codes[codes.duplicated()]))} more than once"
        )
    index = pd.Index(list(stations), dtype="str")
    meta = stations_meta.set_index(codes).reindex(index)
    lat = pd.to_numeric(meta["latitude"], errors="coerce").to_numpy(np.float64)
    lon = pd.to_numeric(meta["longitude"], errors="coerce").to_numpy(np.float64)
    if "met_group" in meta.columns:
        group_names = meta["met_group"].astype("object").where(meta["met_group"].notna(), None)
        labels = [
            f"group:{g}" if g is not None else f"station:{s}"
            for s, g in zip(index, group_names, strict=True)
        ]
    else:
        labels = [f"station:{s}" for s in index]
    group = pd.factorize(pd.Series(labels, dtype="str"))[0].astype(np.int64)
    return StationGeometry(
        stations=index,
        distance_km=haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]),
        bearing_deg=initial_bearing_deg(lat[:, None], lon[:, None], lat[None, :], lon[None, :]),
        met_group=group,
    )


def neighbour_features(
    known: KnownHistory,
    stations_meta: pd.DataFrame,
    *,
    variables: Sequence[str] = POLLUTANTS,
    sector_deg: float = 45.0,
    max_km: float = 100.0,
    calm_ms: float = 0.5,
    idw_power: float = 2.0,
    max_age_h: int = 3,
    min_valid_fraction: float = 0.5,
) -> pd.DataFrame:
    """Network-mean and upwind features per station and issue time.

    Parameters
    ----------
    known : KnownHistory
        Windows as known at each issue time; ``wind_dir`` [degree] and ``wind_speed``
        [m s⁻¹] in it give the upwind features (else they are NaN).
    stations_meta : pandas.DataFrame
        ``station``, ``latitude``, ``longitude`` and optionally ``met_group``
        (:func:`station_geometry`).
    variables : sequence of str, optional
        Variables of ``known`` to describe; default the six pollutants.
    sector_deg : float, optional
        Half-width of the upwind sector [degree], default 45.
    max_km : float, optional
        Farthest upwind station [km], default 100 (a modelling choice: about the
        distance air travels in 6-10 h at a light breeze).
    calm_ms : float, optional
        Wind speeds below this are calm [m s⁻¹], default 0.5 (below 1 kn, where a
        direction is not meaningful; a modelling choice).
    idw_power : float, optional
        Exponent of the inverse-distance weights, default 2.
    max_age_h : int, optional
        Oldest stamp a station's last value may have [h], default 3.
    min_valid_fraction : float, optional
        Least valid fraction of the 24-h and 6-h windows, default 0.5.

    Returns
    -------
    pandas.DataFrame
        ``station`` (str), ``issued_at`` (UTC) and the columns of the module
        docstring (float32, counts int32, indicators bool); station-major (the order
        of ``known.keys()``).

    Raises
    ------
    forecasting.errors.InputDataError
        For a variable not in ``known``, a bad station frame, or parameters out of
        range (``max_age_h`` or 24 h longer than the window).
    """
    _check(known, variables, sector_deg, max_age_h, min_valid_fraction)
    geometry = station_geometry(stations_meta, known.stations)
    others = ~np.eye(len(known.stations), dtype=bool)
    shared = geometry.shared_source_mask()
    candidates = _Candidates.within(geometry, max_km)
    upwind, usable = candidates.upwind(known, sector_deg, calm_ms)
    with np.errstate(divide="ignore"):
        weights = np.where(upwind, candidates.distance_km[None] ** -float(idw_power), 0.0)
    columns: dict[str, npt.NDArray[Any]] = {}
    any_other = np.zeros((len(known.issue_times), len(known.stations)), bool)
    for name in variables:
        window = known.variable(name)
        include = others if name in POLLUTANTS else shared
        last = _last(window, max_age_h)
        mean24 = _mean(window, 24, min_valid_fraction)
        mean6 = _mean(window, 6, min_valid_fraction)
        net_last, count = _network_mean(last, include)
        any_other |= count > 0
        columns[f"nbr_{name}_net_last"] = net_last
        columns[f"nbr_{name}_net_mean24h"] = _network_mean(mean24, include)[0]
        columns[f"nbr_{name}_net_n"] = count
        source_weights = np.where(candidates.take(include)[None], weights, 0.0)
        columns[f"nbr_{name}_upwind_last"] = _weighted(candidates.gather(last), source_weights)
        columns[f"nbr_{name}_upwind_mean6h"] = _weighted(candidates.gather(mean6), source_weights)
    n_upwind = upwind.sum(axis=-1).astype(np.int32)
    columns["nbr_upwind_n"] = n_upwind
    columns["nbr_upwind_available"] = usable & (n_upwind > 0)
    columns["nbr_available"] = any_other
    body = pd.DataFrame({k: np.ascontiguousarray(a.T).ravel() for k, a in columns.items()})
    return pd.concat([known.keys(), body], axis=1)


@dataclass(frozen=True)
class _Candidates:
    """Per target, the stations within ``max_km`` (padded to the largest count ``K``).

    Upwind arrays are ``[issue, target, K]``, not ``[issue, target, station]``: a
    national network has 1,700 stations but only tens within 100 km of any of them.
    """

    index: npt.NDArray[np.intp]  # [target, K] station position
    ok: npt.NDArray[np.bool_]  # [target, K] a real candidate (not padding)
    distance_km: Float64  # [target, K]
    bearing_deg: Float64  # [target, K]

    @classmethod
    def within(cls, geometry: StationGeometry, max_km: float) -> _Candidates:
        near = (geometry.distance_km > 0.0) & (geometry.distance_km <= max_km)
        k = int(near.sum(axis=1).max(initial=0))
        index = np.argsort(~near, axis=1, kind="stable")[:, :k]
        return cls(
            index=index,
            ok=np.take_along_axis(near, index, axis=1),
            distance_km=np.take_along_axis(geometry.distance_km, index, axis=1),
            bearing_deg=np.take_along_axis(geometry.bearing_deg, index, axis=1),
        )

    def take(self, matrix: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """``[target, station]`` to ``[target, K]``."""
        return np.take_along_axis(matrix, self.index, axis=1)

    def gather(self, values: Float64) -> Float64:
        """``[issue, station]`` to ``[issue, target, K]``."""
        return values[:, self.index]

    def upwind(
        self, known: KnownHistory, sector_deg: float, calm_ms: float
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """``[issue, target, K]`` upwind candidates and ``[issue, target]`` usable wind."""
        shape = (len(known.issue_times), len(known.stations))
        if not {"wind_dir", "wind_speed"} <= set(known.variables):
            return np.zeros((*shape, self.index.shape[1]), bool), np.zeros(shape, bool)
        direction = known.variable("wind_dir")[..., 0].astype(np.float64)  # stamp T - 1 h
        speed = known.variable("wind_speed")[..., 0]
        usable = np.isfinite(direction) & (speed >= calm_ms)
        offset = np.mod(self.bearing_deg[None] - direction[..., None] + 180.0, 360.0) - 180.0
        upwind = usable[..., None] & self.ok[None] & (np.abs(offset) <= sector_deg)
        return upwind, usable


def _last(window: npt.NDArray[np.float32], max_age_h: int) -> Float64:
    recent = window[..., :max_age_h]
    valid = ~np.isnan(recent)
    newest = np.take_along_axis(recent, valid.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    return np.where(valid.any(axis=-1), newest, np.nan).astype(np.float64)


def _mean(window: npt.NDArray[np.float32], hours: int, fraction: float) -> Float64:
    part = window[..., :hours].astype(np.float64)
    valid = ~np.isnan(part)
    n = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, part, 0.0).sum(axis=-1) / n
    return np.where(n >= min_valid_count(hours, fraction), mean, np.nan)


def _network_mean(
    values: Float64, include: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
    """Mean over the included stations ``[target, other]`` of ``values[issue, other]``."""
    valid = ~np.isnan(values)
    weights = include.astype(np.float64)
    total = np.where(valid, values, 0.0) @ weights.T
    count = valid.astype(np.float64) @ weights.T
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    return mean.astype(np.float32), count.astype(np.int32)


def _weighted(values: Float64, weights: Float64) -> npt.NDArray[np.float32]:
    """``Σ w x / Σ w`` over the last axis where ``values`` is valid; NaN without any."""
    valid = ~np.isnan(values)
    total = (weights * np.where(valid, values, 0.0)).sum(axis=-1)
    norm = (weights * valid).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, total / norm, np.nan).astype(np.float32)


def _check(
    known: KnownHistory,
    variables: Sequence[str],
    sector_deg: float,
    max_age_h: int,
    fraction: float,
) -> None:
    unknown = [v for v in variables if v not in known.variables]
    if unknown:
        raise InputDataError(
            f"variable(s) {unknown} are not in the history; choose from: "
            f"{', '.join(known.variables) or 'none'}"
        )
    if not 0.0 < sector_deg <= 180.0:
        raise InputDataError(f"sector_deg={sector_deg!r} must be in (0, 180] degrees")
    if not 1 <= max_age_h <= known.window_h or known.window_h < 24:
        raise InputDataError(
            f"max_age_h={max_age_h!r} must be in 1 … window_h and the 24-h mean needs "
            f"window_h >= 24 (window_h={known.window_h})"
        )
    if not 0.0 < fraction <= 1.0:
        raise InputDataError(f"min_valid_fraction={fraction!r} must be in (0, 1]")
