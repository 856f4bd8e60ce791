"""Emission features for issue times: gridded inventory sums and published scaling factors.

The ``emis`` feature family. For each station and issue time T it gives

* the radius-weighted emissions of a gridded inventory around the station
  (:func:`~features.emissions_grid.sample_emissions`), for the local month of T when the
  inventory is monthly (with the month's share of the annual mean), or for the latest
  inventory year not after T's year when it has years;
* the annual scaling factors of published figures relative to the inventory's base year,
  as known at T (:func:`~features.emissions_table.emission_scaling`);

plus availability flags and the provenance of the inventory (name, version, base year) in
``attrs`` and in the string column ``emis_inventory``, so it travels with the features.

Leakage: an inventory with a ``published`` time is invisible before it; years after T's
year are never read; a tabular figure is used only from its publication date
(``features/data/emission_publications.toml``) [1]_.

References
----------
.. [1] ``features/data/emission_publications.toml``; Zheng, B. et al. (2018), Atmos. Chem.
   Phys. 18, 14095-14111, doi:10.5194/acp-18-14095-2018.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import xarray as xr

from features.emissions_grid import (
    CUTOFF_RADII,
    EMISSION_UNITS,
    WEIGHTINGS,
    Weighting,
    haversine_km,
    open_emission_inventory,
    radius_weights,
    sample_emissions,
)
from features.emissions_publications import (
    EmissionPublication,
    EmissionPublications,
    read_emission_publications,
)
from features.emissions_table import (
    DEFAULT_SCALING_BASE_YEAR,
    DEFAULT_TIMEZONE,
    emission_scaling,
    read_emission_table,
    species_key,
    utc_issue_times,
)
from forecasting.errors import InputDataError

__all__ = [
    "CUTOFF_RADII",
    "DEFAULT_SCALING_BASE_YEAR",
    "EMISSION_UNITS",
    "WEIGHTINGS",
    "EmissionPublication",
    "EmissionPublications",
    "Weighting",
    "emission_features",
    "emission_scaling",
    "haversine_km",
    "open_emission_inventory",
    "radius_weights",
    "read_emission_publications",
    "read_emission_table",
    "sample_emissions",
]


def emission_features(
    stations: pd.DataFrame,
    issue_times: Iterable[object],
    *,
    inventory: xr.Dataset | None = None,
    table: pd.DataFrame | None = None,
    species: Sequence[str] | None = None,
    radii_km: Sequence[float] = (10.0, 25.0, 50.0),
    weighting: Weighting = "gaussian",
    publications: EmissionPublications | None = None,
    regions: Sequence[str] = ("China",),
    base_year: int | None = None,
) -> pd.DataFrame:
    """Emission features keyed by station and issue time.

    Parameters
    ----------
    stations : pandas.DataFrame
        ``station``, and ``latitude``/``longitude`` [degrees] with an inventory;
        optional ``timezone`` (IANA, default Asia/Shanghai) for T's local month and year.
    issue_times : sequence of timezone-aware timestamps
        Issue times T (duplicates are dropped).
    inventory : xarray.Dataset, optional
        From :func:`~features.emissions_grid.open_emission_inventory`.
    table : pandas.DataFrame, optional
        From :func:`~features.emissions_table.read_emission_table`. At least one of
        ``inventory`` and ``table`` is needed.
    species : sequence of str, optional
        Species to keep (default: the inventory's, else the table's).
    radii_km : sequence of float, optional
        Sampling radii [km]; default 10, 25, 50.
    weighting : {"gaussian", "inverse_distance", "uniform"}, optional
        Radius weighting; default ``"gaussian"``.
    publications : EmissionPublications, optional
        Publication dates of the table's sources; default the shipped register.
    regions : sequence of str, optional
        Table regions in order of preference; default ``("China",)``.
    base_year : int, optional
        Base year of the scaling factors; must equal the inventory's when both are
        given. Default: the inventory's base year, else 2013.

    Returns
    -------
    pandas.DataFrame
        One row per (station, issue time), sorted: ``station``, ``issued_at`` (UTC),
        ``emis_inventory`` (str, provenance), ``emis_available``,
        ``emis_grid_available``, ``emis_scale_available`` (bool);
        ``emis_<species>_<sector>_r<R>km`` [Mg yr⁻¹] (sector ``total`` = all sectors),
        ``emis_<species>_month_factor`` (monthly inventories: the month's total at the
        largest radius over the station's mean month [1]), ``emis_grid_year`` (inventories
        with years); ``emis_scale_<species>`` [1] and ``emis_scale_year_<species>``.
        Unknown values are NaN with the flags False. ``attrs``: ``name``, ``version``,
        ``base_year`` of the inventory (of the table when there is no inventory) and the
        scaling provenance.

    Raises
    ------
    forecasting.errors.InputDataError
        Without inventory and table, for inconsistent base years, naive issue times,
        missing station columns or unknown time zones.

    References
    ----------
    .. [1] ``features/data/emission_publications.toml`` (when each figure became known).
    """
    if inventory is None and table is None:
        raise InputDataError("emission_features needs an inventory, a table, or both")
    base = _base_year(inventory, base_year)
    keys = _keys(stations, utc_issue_times(issue_times).unique().sort_values())
    wanted = None if species is None else list(dict.fromkeys(species_key(s) for s in species))
    parts = [keys[["station", "issued_at"]]]
    grid_ok = np.zeros(len(keys), dtype=bool)
    if inventory is not None:
        grid = _grid_features(inventory, stations, keys, wanted, radii_km, weighting)
        grid_ok = grid.pop("emis_grid_available").to_numpy(dtype=bool)
        parts.append(grid)
        if wanted is None:
            wanted = [str(s) for s in inventory["emission"]["species"].values]
    scale_ok = np.zeros(len(keys), dtype=bool)
    scaling_attrs: dict[Hashable, object] = {}
    if table is not None:
        chosen = wanted if wanted is not None else list(dict.fromkeys(table["species_key"]))
        scale = _scale_features(table, keys, chosen, publications, base, regions)
        scaling_attrs = dict(scale.attrs)
        scale_ok = scale.pop("emis_available").to_numpy(dtype=bool)
        parts.append(scale)
    out = pd.concat(parts, axis=1)
    label, provenance = _provenance(inventory, table, base)
    out.insert(2, "emis_inventory", pd.Series(label, index=out.index, dtype="str"))
    out.insert(3, "emis_available", grid_ok | scale_ok)
    out.insert(4, "emis_grid_available", grid_ok)
    out.insert(5, "emis_scale_available", scale_ok)
    out.attrs = {**provenance, **scaling_attrs}
    out.attrs.update(radii_km=[float(r) for r in radii_km], weighting=weighting)
    return out


def _base_year(inventory: xr.Dataset | None, base_year: int | None) -> int:
    if inventory is None:
        return DEFAULT_SCALING_BASE_YEAR if base_year is None else int(base_year)
    if "base_year" not in inventory.attrs:
        raise InputDataError(
            "inventory has no base_year attribute; open it with open_emission_inventory"
        )
    own = int(inventory.attrs["base_year"])
    if base_year is not None and int(base_year) != own:
        raise InputDataError(
            f"base_year={base_year} differs from the inventory's base year {own}; the "
            "scaling factors must be relative to the inventory's base year"
        )
    return own


def _keys(stations: pd.DataFrame, issued: pd.DatetimeIndex) -> pd.DataFrame:
    if "station" not in stations.columns:
        raise InputDataError("stations lack the column station")
    zones = (
        stations["timezone"].astype("str").where(stations["timezone"].notna(), DEFAULT_TIMEZONE)
        if "timezone" in stations.columns
        else pd.Series(DEFAULT_TIMEZONE, index=stations.index)
    )
    sites = pd.DataFrame({"station": stations["station"].astype("str"), "timezone": zones})
    if sites["station"].duplicated().any():
        raise InputDataError(
            f"station codes repeat: {sorted(set(sites['station'][sites['station'].duplicated()]))}"
        )
    index = pd.MultiIndex.from_product([sites["station"], issued], names=["station", "issued_at"])
    keys = index.to_frame(index=False).merge(sites, on="station", how="left")
    keys = keys.sort_values(["station", "issued_at"], ignore_index=True)
    keys["local_year"] = 0
    keys["local_month"] = 0
    for zone in keys["timezone"].unique():
        try:
            tz = ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputDataError(
                f"station time zone {zone!r} is not an IANA zone; use e.g. 'Asia/Shanghai'"
            ) from None
        rows = keys["timezone"] == zone
        local = keys.loc[rows, "issued_at"].dt.tz_convert(tz)
        keys.loc[rows, "local_year"] = local.dt.year.to_numpy()
        keys.loc[rows, "local_month"] = local.dt.month.to_numpy()
    return keys


def _grid_features(
    inventory: xr.Dataset,
    stations: pd.DataFrame,
    keys: pd.DataFrame,
    wanted: list[str] | None,
    radii_km: Sequence[float],
    weighting: Weighting,
) -> pd.DataFrame:
    sampled = sample_emissions(inventory, stations, radii_km, weighting)
    if wanted is not None:
        sampled = sampled[sampled["species"].isin(wanted)]
    sampled = sampled.assign(station=sampled["station"].astype("str"))
    time_dim = next((d for d in ("month", "year") if d in sampled.columns), None)
    index = ["station"] if time_dim is None else ["station", time_dim]
    sector = sampled["sector"].str.lower().str.replace(r"[^0-9a-z]+", "_", regex=True)
    radius = sampled["radius_km"].map(lambda r: f"{r:g}".replace(".", "p"))
    column = "emis_" + sampled["species"] + "_" + sector + "_r" + radius + "km"
    wide = sampled.assign(column=column).pivot(index=index, columns="column", values="emission")
    if time_dim == "month":
        wide = wide.join(_month_factors(sampled))
    slot = keys[["station"]].copy()
    if time_dim == "month":
        slot["month"] = keys["local_month"]
    elif time_dim == "year":
        years = np.sort(sampled["year"].unique())
        position = np.searchsorted(years, keys["local_year"].to_numpy(), side="right") - 1
        slot["year"] = np.where(position >= 0, years[np.maximum(position, 0)], -1)
    merged = slot.merge(wide.reset_index(), on=index, how="left").drop(columns=index)
    merged.columns = merged.columns.astype("str")
    known = np.ones(len(keys), dtype=bool)
    if "published" in inventory.attrs:
        known = (keys["issued_at"] >= pd.Timestamp(inventory.attrs["published"])).to_numpy()
    if time_dim == "year":
        merged["emis_grid_year"] = slot["year"].where(slot["year"] >= 0).astype("float64")
    merged = merged.astype("float64").where(pd.Series(known, index=merged.index), axis=0)
    merged["emis_grid_available"] = known & merged.notna().any(axis=1).to_numpy()
    return merged.set_index(keys.index)


def _month_factors(sampled: pd.DataFrame) -> pd.DataFrame:
    top = sampled[
        (sampled["sector"] == "total") & (sampled["radius_km"] == sampled["radius_km"].max())
    ]
    mean = top.groupby(["station", "species"])["emission"].transform("mean")
    factor = top["emission"] / mean.where(mean > 0)
    column = "emis_" + top["species"] + "_month_factor"
    wide = top.assign(factor=factor, column=column).pivot(
        index=["station", "month"], columns="column", values="factor"
    )
    return pd.DataFrame(wide)


def _scale_features(
    table: pd.DataFrame,
    keys: pd.DataFrame,
    species: list[str],
    publications: EmissionPublications | None,
    base_year: int,
    regions: Sequence[str],
) -> pd.DataFrame:
    frames = []
    for zone in keys["timezone"].unique():
        times = keys.loc[keys["timezone"] == zone, "issued_at"].unique()
        part = emission_scaling(
            table,
            times,
            species,
            publications=publications,
            base_year=base_year,
            regions=regions,
            timezone=str(zone),
        )
        frames.append(part.assign(timezone=zone))
    scale = pd.concat(frames, ignore_index=True)
    merged = keys[["issued_at", "timezone"]].merge(scale, on=["issued_at", "timezone"], how="left")
    merged = merged.drop(columns=["issued_at", "timezone"]).set_index(keys.index)
    merged.attrs = dict(frames[0].attrs) if frames else {}
    return merged


def _provenance(
    inventory: xr.Dataset | None, table: pd.DataFrame | None, base_year: int
) -> tuple[str, dict[Hashable, object]]:
    parts = []
    attrs: dict[Hashable, object] = {}
    if inventory is not None:
        name, version = (
            str(inventory.attrs.get("name", "")),
            str(inventory.attrs.get("version", "")),
        )
        parts.append(f"{name} {version} (base year {base_year})")
        attrs = {"name": name, "version": version, "base_year": base_year}
        if "published" in inventory.attrs:
            attrs["published"] = str(inventory.attrs["published"])
    if table is not None:
        name, version = str(table.attrs.get("name", "table")), str(table.attrs.get("version", ""))
        parts.append(f"scaling {name} {version} as published by the issue time")
        if inventory is None:
            attrs = {"name": name, "version": version, "base_year": base_year}
    return "; ".join(parts), attrs
