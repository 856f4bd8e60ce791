"""Tabular emission figures and the annual scaling factors known at an issue time.

Published emission figures (a national relative change over a period, a city's annual
total) scale a gridded inventory from its base year to the year of a forecast. A figure
is usable only from the day it was published: ``features/data/emission_publications.toml``
dates every cited source, and :func:`emission_scaling` lets an issue time see only the
figures published by then [1]_. The shipped table, ``shared/data/emissions/
beijing_annual_by_sector.csv``, holds the MEIC national changes 2010-2017 and 2013-2017
[2]_, Beijing's SO2/NOx change 2014 vs 2013 [3]_ and Beijing's SO2 totals 2000-2009 [4]_.

References
----------
.. [1] ``features/data/emission_publications.toml`` (publication dates, with sources).
.. [2] Zheng, B. et al. (2018) Trends in China's anthropogenic emissions since 2010 as the
   consequence of clean air actions. Atmos. Chem. Phys. 18, 14095-14111,
   doi:10.5194/acp-18-14095-2018 (abstract).
.. [3] 2014年北京市环境状况公报 (Beijing EPB, 2015), as reported at
   https://sefec.com.cn/inews/6266.html.
.. [4] Beijing Statistical Yearbook 2010, table 4-24.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.emissions_publications import EmissionPublications, read_emission_publications
from forecasting.errors import InputDataError

__all__ = [
    "DEFAULT_SCALING_BASE_YEAR",
    "DEFAULT_TIMEZONE",
    "TABLE_COLUMNS",
    "emission_scaling",
    "read_emission_table",
    "species_key",
    "utc_issue_times",
]

#: Columns of the shared tabular layout (``shared/data/emissions``).
TABLE_COLUMNS = (
    "region",
    "period",
    "species",
    "sector",
    "metric",
    "value",
    "unit",
    "original_value",
    "original_unit",
    "source",
    "note",
)
#: Default base year of the scaling factors: the first year of the Clean Air Action and of
#: the Beijing test bed. Configuration, not a fact from any source.
DEFAULT_SCALING_BASE_YEAR = 2013
#: Time zone whose calendar year an issue time belongs to, unless a station says otherwise.
DEFAULT_TIMEZONE = "Asia/Shanghai"
_PERCENT = frozenset({"percent", "%"})
_PERIOD = r"^\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*$"


def species_key(name: str) -> str:
    """Return the column-name form of a species: lower case, letters and digits only.

    Parameters
    ----------
    name : str
        Species as printed, e.g. ``"PM2.5"``, ``"NOx"``.

    Returns
    -------
    str
        E.g. ``"pm25"``, ``"nox"``.

    Raises
    ------
    forecasting.errors.InputDataError
        When nothing is left (an empty or punctuation-only name).

    Examples
    --------
    >>> species_key("PM2.5"), species_key("NOx")
    ('pm25', 'nox')
    """
    key = re.sub(r"[^0-9a-z]", "", str(name).strip().lower())
    if not key:
        raise InputDataError(f"species name {name!r} has no letters or digits")
    return key


def utc_issue_times(issue_times: Iterable[object]) -> pd.DatetimeIndex:
    """Return issue times as a UTC :class:`pandas.DatetimeIndex` (nanoseconds).

    Raises
    ------
    forecasting.errors.InputDataError
        For naive or unparseable times.
    """
    try:
        index = pd.DatetimeIndex(issue_times)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputDataError(
            f"issue times must be timezone-aware timestamps in one zone (convert mixed "
            f"offsets to UTC first): {exc}"
        ) from None
    if index.tz is None:
        raise InputDataError(
            "issue times are naive; give timezone-aware times, e.g. 2015-06-01T00:00+08:00"
        )
    return index.tz_convert("UTC").as_unit("ns")


def read_emission_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a table of published emission figures.

    Parameters
    ----------
    path : path-like
        CSV (optionally gzip-compressed) with the columns of :data:`TABLE_COLUMNS`, as
        ``shared/data/emissions/beijing_annual_by_sector.csv``. ``value`` is a relative
        change in percent over a period ``"YYYY-YYYY"``, or an annual total for a year
        ``"YYYY"`` in the unit of ``unit`` (e.g. [kt yr⁻¹]).

    Returns
    -------
    pandas.DataFrame
        The columns as read (``value`` float64) plus ``species_key`` (e.g. ``"pm25"``),
        ``year_start`` and ``year_end`` (int64) and ``figure`` (``"relative_change"`` or
        ``"annual_total"``). ``attrs`` holds ``name`` (the file stem), ``version``
        (``"sha256:"`` and 12 hex digits of the file's content) and ``path``.

    Raises
    ------
    forecasting.errors.InputDataError
        For a missing file or column, or a row whose value, period, unit or metric is
        invalid (the file, row and value are named).

    References
    ----------
    .. [1] ``shared/data/README.md`` §emissions/beijing_annual_by_sector.csv.
    """
    file = Path(path)
    if not file.is_file():
        raise InputDataError(f"{file}: no such emission table")
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{file.name}: missing column(s) {', '.join(missing)}; "
            f"expected: {', '.join(TABLE_COLUMNS)}"
        )
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")  # CSV line numbers
    value = pd.to_numeric(frame["value"].str.strip(), errors="coerce")
    _require(file, frame, value.isna() | ~np.isfinite(value), "value", "is not a number")
    frame["value"] = value.astype("float64")
    period = frame["period"].str.extract(_PERIOD)
    _require(file, frame, period[0].isna(), "period", "is not YYYY or YYYY-YYYY")
    frame["year_start"] = period[0].astype("int64")
    frame["year_end"] = period[1].fillna(period[0]).astype("int64")
    percent = frame["unit"].str.strip().str.lower().isin(_PERCENT)
    metric = frame["metric"].str.strip().str.lower()
    change = metric.str.startswith("relative change")
    total = metric.str.startswith("annual emission")
    _require(
        file,
        frame,
        ~(change | total),
        "metric",
        "is neither 'relative change ...' nor 'annual emission ...'",
    )
    span = frame["year_end"] - frame["year_start"]
    _require(
        file,
        frame,
        change & (~percent | (span <= 0)),
        "period",
        "of a relative change must be YYYY-YYYY (later year second) in percent",
    )
    _require(
        file,
        frame,
        change & (frame["value"] <= -100),
        "value",
        "is a change of -100 % or less (a scaling factor must stay positive)",
    )
    _require(
        file,
        frame,
        total & (percent | (span != 0)),
        "unit",
        "of an annual emission must be a mass per year for a single year YYYY",
    )
    _require(
        file,
        frame,
        total & (frame["value"] <= 0),
        "value",
        "is an annual emission <= 0 (cannot serve as a scaling reference)",
    )
    keys = frame["species"].str.strip().str.lower().str.replace(r"[^0-9a-z]", "", regex=True)
    _require(file, frame, keys == "", "species", "has no letters or digits")
    frame["species_key"] = keys
    frame["figure"] = np.where(change, "relative_change", "annual_total")
    frame.attrs = {
        "name": file.name.split(".")[0],
        "version": "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()[:12],
        "path": str(file),
    }
    return frame


def _require(file: Path, frame: pd.DataFrame, bad: pd.Series, column: str, what: str) -> None:
    mask = bad.to_numpy(dtype=bool)
    if mask.any():
        first = frame.index[mask][0]
        raise InputDataError(
            f"{file.name}: {column} {frame.at[first, column]!r} {what} "
            f"(line(s) {_rows(frame.index[mask])})"
        )


def _rows(index: pd.Index) -> str:
    shown = ", ".join(str(i) for i in index[:10])
    return shown + (f" and {len(index) - 10} more" if len(index) > 10 else "")


def emission_scaling(
    table: pd.DataFrame,
    issue_times: Iterable[object],
    species: Sequence[str],
    *,
    publications: EmissionPublications | None = None,
    base_year: int = DEFAULT_SCALING_BASE_YEAR,
    regions: Sequence[str] = ("China",),
    timezone: str = DEFAULT_TIMEZONE,
) -> pd.DataFrame:
    """Annual emission scaling factors relative to a base year, as known at each issue time.

    Parameters
    ----------
    table : pandas.DataFrame
        Figures from :func:`read_emission_table`.
    issue_times : sequence of timezone-aware timestamps
        Issue times T.
    species : sequence of str
        Species wanted, e.g. ``["SO2", "NOx", "PM2.5"]`` (matched by :func:`species_key`).
    publications : EmissionPublications, optional
        When each source became public; default the shipped register.
    base_year : int, optional
        Year the factors are relative to (the inventory's base year); default 2013.
    regions : sequence of str, optional
        Regions of the table to use, in order of preference (e.g.
        ``("Beijing", "China")``: Beijing's figures where there are any, national ones
        elsewhere). Default ``("China",)``.
    timezone : str, optional
        IANA zone whose calendar year an issue time falls in; default Asia/Shanghai.

    Returns
    -------
    pandas.DataFrame
        One row per issue time, in order: ``issued_at`` (UTC), then per species
        ``emis_scale_<species>`` (E(year)/E(base_year), float64 [1]) and
        ``emis_scale_year_<species>`` (the emission year the factor describes, float64),
        NaN where nothing connecting that species to ``base_year`` was known at T; and
        ``emis_available`` (bool, some species has a factor). ``attrs`` holds the
        provenance (table name and version, base year, regions, publication register).

    Raises
    ------
    forecasting.errors.InputDataError
        For naive issue times, an unknown time zone, or a figure whose source has no
        publication date.

    Notes
    -----
    Only whole-inventory figures are used (``sector`` starting with ``"all"``) of the
    listed regions whose publication's ``known_from`` is at or before T; nothing
    published later is read, so a 2018 paper cannot inform a 2015 issue. Each relative
    change over Y0-Y1 states ``L(Y1) - L(Y0) = ln(1 + value/100)`` for the log emission
    ``L``; consecutive annual totals of one source state ``L(Yb) - L(Ya) = ln(Eb/Ea)``.
    Starting from ``L(base_year) = 0``, statements are applied one at a time, preferring
    the region listed first, then the latest publication, then the shortest period; each
    fixes ``L`` at a year not yet known from one that is (a statement between two years
    already known is skipped). When none applies, a period that contains a known year is
    spread as an annual compound rate ``(1 + value/100)**(1/(Y1 - Y0)) - 1`` from that
    year to both its ends (e.g. the 2010-2017 change for a 2013 base year).

    The factor for T is ``exp(L)`` at T's calendar year, interpolated linearly in ``L``
    between known years (a constant annual compound rate) and held at the nearest known
    year outside them: the last known value, never extrapolated. Before anything linked
    to ``base_year`` is published, the factor is NaN and ``emis_available`` False.

    References
    ----------
    .. [1] ``features/data/emission_publications.toml``.
    .. [2] Zheng, B. et al. (2018), Atmos. Chem. Phys. 18, 14095-14111,
       doi:10.5194/acp-18-14095-2018: national changes 2010-2017 and 2013-2017.

    Examples
    --------
    >>> import pandas as pd
    >>> from pathlib import Path
    >>> table = read_emission_table(Path("../shared/data/emissions/beijing_annual_by_sector.csv"))
    >>> times = pd.to_datetime(["2015-06-01T00:00+08:00", "2019-06-01T00:00+08:00"])
    >>> out = emission_scaling(table, times, ["SO2"])
    >>> out["emis_scale_so2"].round(2).tolist(), out["emis_available"].tolist()
    ([nan, 0.41], [False, True])
    """
    register = publications or read_emission_publications()
    issued = utc_issue_times(issue_times)
    year = issued.tz_convert(_zone(timezone)).year.to_numpy()
    keys = list(dict.fromkeys(species_key(s) for s in species))
    edges = _edges(table, register, regions)
    cutoffs = np.unique(edges.known_ns)
    state = np.searchsorted(cutoffs, issued.asi8, side="right")
    scale = np.full((len(keys), len(issued)), np.nan)
    known_year = np.full_like(scale, np.nan)
    for s in np.unique(state):
        rows = state == s
        usable = edges.known_ns <= cutoffs[s - 1] if s else np.zeros(edges.y0.size, dtype=bool)
        for k, key in enumerate(keys):
            years, logs = _chain(edges, usable & (edges.species == key), int(base_year))
            if len(years) < 2:
                continue
            clipped = np.clip(year[rows], years[0], years[-1])
            scale[k, rows] = np.exp(np.interp(clipped, years, logs))
            known_year[k, rows] = clipped
    columns: dict[str, object] = {"issued_at": issued}
    for k, key in enumerate(keys):
        columns[f"emis_scale_{key}"] = scale[k]
        columns[f"emis_scale_year_{key}"] = known_year[k]
    out = pd.DataFrame(columns)
    out["emis_available"] = np.isfinite(scale).any(axis=0)
    out.attrs = {
        "scaling_table": table.attrs.get("name", ""),
        "scaling_version": table.attrs.get("version", ""),
        "base_year": int(base_year),
        "regions": list(regions),
        "publications": register.source.id,
    }
    return out


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputDataError(
            f"unknown IANA time zone {name!r}; use e.g. 'Asia/Shanghai' or 'UTC'"
        ) from None


class _Edges(NamedTuple):
    """Statements ``L(y1) - L(y0) = log_ratio``, most preferred first."""

    species: npt.NDArray[np.object_]
    known_ns: npt.NDArray[np.int64]
    y0: npt.NDArray[np.int64]
    y1: npt.NDArray[np.int64]
    log_ratio: npt.NDArray[np.float64]


def _edges(table: pd.DataFrame, register: EmissionPublications, regions: Sequence[str]) -> _Edges:
    derived = ("species_key", "year_start", "year_end", "figure")
    missing = [c for c in (*TABLE_COLUMNS, *derived) if c not in table.columns]
    if missing:
        raise InputDataError(
            f"emission table lacks column(s) {', '.join(missing)}; read it with read_emission_table"
        )
    rank = {region: i for i, region in enumerate(regions)}
    whole = table["sector"].astype("str").str.strip().str.lower().str.startswith("all")
    needed = ["region", "species_key", "source", "unit", "year_start", "year_end", "value"]
    rows = table.loc[table["region"].isin(list(rank)) & whole, [*needed, "figure"]]
    dated = register.date_sources(rows["source"])
    known = pd.DatetimeIndex(dated["known_from"]).asi8
    species = rows["species_key"].to_numpy(dtype=object)
    start = rows["year_start"].to_numpy(dtype=np.int64)
    end = rows["year_end"].to_numpy(dtype=np.int64)
    value = rows["value"].to_numpy(dtype=np.float64)
    change = np.flatnonzero((rows["figure"] == "relative_change").to_numpy())
    totals = np.flatnonzero((rows["figure"] == "annual_total").to_numpy())
    # consecutive annual totals of one region, species, publication and unit
    series = rows["region"] + "\x1f" + rows["species_key"] + "\x1f" + rows["unit"]
    codes = pd.factorize((series + "\x1f" + dated["publication"]).iloc[totals])[0]
    order = np.lexsort((start[totals], codes))
    same = codes[order][1:] == codes[order][:-1]
    first, then = totals[order][:-1][same], totals[order][1:][same]
    if (start[first] == start[then]).any():
        raise InputDataError(
            f"emission table: annual totals of one source repeat a year at line(s) "
            f"{_rows(rows.index[then[start[first] == start[then]]])}; keep one value per "
            "region, species and year"
        )
    at = np.concatenate([change, then])
    y0 = np.concatenate([start[change], start[first]])
    y1 = np.concatenate([end[change], start[then]])
    log_ratio = np.concatenate(
        [np.log1p(value[change] / 100.0), np.log(value[then] / value[first])]
    )
    preference = rows["region"].map(rank).to_numpy(dtype=np.int64)[at]
    best = np.lexsort((np.arange(at.size), y1 - y0, -known[at], preference))
    return _Edges(species[at][best], known[at][best], y0[best], y1[best], log_ratio[best])


def _chain(
    edges: _Edges, use: npt.NDArray[np.bool_], base_year: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Fix the log emission at every year the used statements link to ``base_year``."""
    pending = list(
        zip(
            edges.y0[use].tolist(),
            edges.y1[use].tolist(),
            edges.log_ratio[use].tolist(),
            strict=True,
        )
    )
    nodes: dict[int, float] = {base_year: 0.0}
    while pending:
        pending = [e for e in pending if not (e[0] in nodes and e[1] in nodes)]
        linked = next((e for e in pending if (e[0] in nodes) != (e[1] in nodes)), None)
        if linked is not None:
            y0, y1, log_ratio = linked
            if y0 in nodes:
                nodes[y1] = nodes[y0] + log_ratio
            else:
                nodes[y0] = nodes[y1] - log_ratio
            pending.remove(linked)
            continue
        spanning = [(e, k) for e in pending for k in nodes if e[0] < k < e[1]]
        if not spanning:
            break
        (y0, y1, log_ratio), k = min(spanning, key=lambda ek: abs(ek[1] - base_year))
        rate = log_ratio / (y1 - y0)
        nodes[y0] = nodes[k] - rate * (k - y0)
        nodes[y1] = nodes[k] + rate * (y1 - k)
        pending.remove((y0, y1, log_ratio))
    years = np.array(sorted(nodes), dtype=np.float64)
    return years, np.array([nodes[int(y)] for y in years], dtype=np.float64)
