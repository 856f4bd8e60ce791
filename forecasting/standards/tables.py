"""Standards tables: data files with their citation, loaded into frozen dataclasses.

Every number that ecocast takes from a published standard lives in a TOML file in
``forecasting/standards/data/``, one file per standard edition. The first block of
each file, ``[source]``, is its citation (issuer, document, table, page, URL and
who transcribed it). This module reads those files, validates them and fails loudly
at load time with the file and row that is wrong.

Functions elsewhere in :mod:`forecasting.standards` take a loaded table as an
argument, so a result can always say which standard produced it
(``table.source.id``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from forecasting.errors import StandardTableError, UnknownStandardError

__all__ = [
    "BreakpointTable",
    "Citation",
    "available_standards",
    "breakpoint_table_from_rows",
    "parse_standard_text",
    "piecewise_linear_index",
    "read_standard",
    "read_standard_file",
]

_DATA_PACKAGE = "forecasting.standards.data"
_REQUIRED_SOURCE_KEYS = ("id", "issuer", "document", "title", "edition")


@dataclass(frozen=True)
class Citation:
    """Where a standards table comes from.

    Attributes
    ----------
    id : str
        Stable identifier, also the data file's stem, e.g. ``"cn_mee_hj633_2026"``.
    issuer : str
        Issuing body.
    document : str
        Document number, e.g. ``"HJ 633—2026"``.
    title : str
        Title as printed.
    edition : str
        Edition or date of the document.
    table : str
        Table or clause transcribed.
    page : str
        Page(s) of the table in the document.
    url : str
        Where the document can be obtained.
    status : str
        ``"primary"`` (read from the standard), ``"secondary"`` (read from other
        material) or ``"unverified"`` (treat the numbers as configuration).
    transcribed_by : str
        Who transcribed the numbers, and when.
    notes : str
        Anything a user of the table should know.
    """

    id: str
    issuer: str
    document: str
    title: str
    edition: str
    table: str = ""
    page: str = ""
    url: str = ""
    status: str = "primary"
    transcribed_by: str = ""
    notes: str = ""

    def short(self) -> str:
        """Return a one-line citation, e.g. ``"HJ 633—2026, 表3"``."""
        return ", ".join(part for part in (self.document, self.table, self.page) if part)


def available_standards() -> list[str]:
    """Return the ids of all standards data files shipped with ecocast."""
    root = resources.files(_DATA_PACKAGE)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


_STATUSES = ("primary", "secondary", "unverified")


def parse_standard_text(text: str, filename: str) -> tuple[Citation, Mapping[str, Any]]:
    """Parse the text of a standards data file and validate its ``[source]`` citation.

    Parameters
    ----------
    text : str
        TOML text whose first block is ``[source]``.
    filename : str
        The file's name, used in error messages; its stem must equal ``[source] id``.

    Returns
    -------
    citation : Citation
        The parsed ``[source]`` block.
    data : mapping
        The whole parsed file.

    Raises
    ------
    StandardTableError
        If the text is not TOML, ``[source]`` is not the first block, keys are missing
        or unknown, the id differs from the file stem, or the status is not one of
        ``primary``, ``secondary``, ``unverified``.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StandardTableError(f"{filename}: not valid TOML: {exc}") from exc
    source = data.get("source")
    if not isinstance(source, dict) or next(iter(data)) != "source":
        raise StandardTableError(f"{filename}: the first block must be [source] (the citation)")
    missing = [k for k in _REQUIRED_SOURCE_KEYS if not source.get(k)]
    if missing:
        raise StandardTableError(f"{filename}: [source] lacks {', '.join(missing)}")
    known = set(Citation.__dataclass_fields__)
    unknown = sorted(set(source) - known)
    if unknown:
        raise StandardTableError(
            f"{filename}: unknown [source] keys {unknown}; valid keys: {sorted(known)}"
        )
    stem = filename.rsplit("/", 1)[-1].removesuffix(".toml")
    if source["id"] != stem:
        raise StandardTableError(
            f"{filename}: [source] id {source['id']!r} differs from the file name; "
            f"use id = {stem!r}"
        )
    citation = Citation(**{k: str(v) for k, v in source.items()})
    if citation.status not in _STATUSES:
        raise StandardTableError(
            f"{filename}: [source] status is {citation.status!r}; use one of {list(_STATUSES)}"
        )
    return citation, data


def read_standard_file(path: str | os.PathLike[str]) -> tuple[Citation, Mapping[str, Any]]:
    """Read a user-supplied standards file (e.g. a local warning scheme) by path.

    Same format and checks as the shipped files (:func:`parse_standard_text`).

    Raises
    ------
    StandardTableError
        If the file does not exist, is not UTF-8 TOML or has an invalid citation.
    """
    file = Path(path)
    if not file.is_file():
        raise StandardTableError(f"{file}: no such standards file")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StandardTableError(f"{file.name}: not UTF-8 text: {exc}") from exc
    return parse_standard_text(text, file.name)


@cache
def _read_raw(standard_id: str) -> tuple[Citation, Mapping[str, Any]]:
    available = available_standards()
    if standard_id not in available:
        raise UnknownStandardError("standards table", standard_id, available)
    filename = f"{standard_id}.toml"
    text = resources.files(_DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    return parse_standard_text(text, filename)


def read_standard(standard_id: str) -> tuple[Citation, Mapping[str, Any]]:
    """Read a standards data file.

    Parameters
    ----------
    standard_id : str
        The file's stem in ``forecasting/standards/data/``, e.g. ``"cn_mee_hj633_2012"``.

    Returns
    -------
    citation : Citation
        The parsed ``[source]`` block.
    data : mapping
        The whole parsed file (including ``source``). Do not mutate it: it is cached.

    Raises
    ------
    UnknownStandardError
        If no such file exists; the message lists the available ids.
    StandardTableError
        If the file is not valid TOML or its citation is incomplete.
    """
    return _read_raw(standard_id)


@dataclass(frozen=True)
class BreakpointTable:
    """Piecewise-linear breakpoints of one indicator (pollutant and averaging period).

    Row ``k`` maps concentrations ``conc_lo[k] … conc_hi[k]`` linearly onto the index
    range ``index_lo[k] … index_hi[k]`` (the common form of HJ 633 式(1) and
    EPA-454/B-24-002 Equation 1).

    Attributes
    ----------
    indicator : str
        ecocast indicator name, e.g. ``"pm25_24h"`` or ``"o3_8h"``.
    units : str
        Concentration units of the rows, e.g. ``"ug/m3"``, ``"mg/m3"``, ``"ppm"``, ``"ppb"``.
    conc_lo, conc_hi : ndarray
        Row concentration bounds [units].
    index_lo, index_hi : ndarray
        Row index bounds [dimensionless].
    source : Citation
        The standard the rows were transcribed from.
    """

    indicator: str
    units: str
    conc_lo: npt.NDArray[np.float64]
    conc_hi: npt.NDArray[np.float64]
    index_lo: npt.NDArray[np.float64]
    index_hi: npt.NDArray[np.float64]
    source: Citation = field(repr=False, compare=False)

    @property
    def top_concentration(self) -> float:
        """Highest concentration that the table defines [units]."""
        return float(self.conc_hi[-1])

    @property
    def top_index(self) -> float:
        """Highest index that the table defines."""
        return float(self.index_hi[-1])


_KNOWN_UNITS = frozenset({"ug/m3", "mg/m3", "ppm", "ppb", "mg/L", "cells/L"})


def breakpoint_table_from_rows(
    indicator: str,
    units: str,
    rows: Sequence[Sequence[float]],
    source: Citation,
    *,
    contiguous: bool,
) -> BreakpointTable:
    """Build and validate a :class:`BreakpointTable` from ``[c_lo, c_hi, i_lo, i_hi]`` rows.

    Parameters
    ----------
    indicator : str
        Indicator name, used in error messages.
    units : str
        Concentration units; one of ``ug/m3``, ``mg/m3``, ``ppm``, ``ppb``, ``mg/L``,
        ``cells/L``.
    rows : sequence of 4-sequences
        ``[conc_lo, conc_hi, index_lo, index_hi]`` as printed in the standard.
    source : Citation
        Citation of the file the rows come from.
    contiguous : bool
        If True (HJ 633 style), each row must start where the previous one ended,
        in concentration and in index. If False (US EPA style, with truncation
        gaps such as 9.0 → 9.1), rows must only increase without overlapping.

    Raises
    ------
    StandardTableError
        Naming the file (``source.id``), the indicator and the 1-based row.
    """
    where = f"{source.id}.toml, indicator {indicator!r}"
    if units not in _KNOWN_UNITS:
        raise StandardTableError(
            f"{where}: unknown units {units!r}; use one of {sorted(_KNOWN_UNITS)}"
        )
    if not rows:
        raise StandardTableError(f"{where}: no rows")
    arr = np.asarray(rows, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise StandardTableError(
            f"{where}: each row must be [conc_lo, conc_hi, index_lo, index_hi]"
        )
    for k, (c_lo, c_hi, i_lo, i_hi) in enumerate(arr, start=1):
        if not (c_lo < c_hi and i_lo < i_hi):
            raise StandardTableError(f"{where}, row {k}: bounds must increase: {list(arr[k - 1])}")
        if k == 1:
            continue
        p_c_hi, p_i_hi = arr[k - 2, 1], arr[k - 2, 3]
        if contiguous and (c_lo != p_c_hi or i_lo != p_i_hi):
            raise StandardTableError(
                f"{where}, row {k}: starts at ({c_lo}, {i_lo}) but row {k - 1} ends at "
                f"({p_c_hi}, {p_i_hi}); rows must be contiguous"
            )
        if not contiguous and (c_lo <= p_c_hi or i_lo <= p_i_hi):
            raise StandardTableError(f"{where}, row {k}: overlaps row {k - 1}")
    return BreakpointTable(
        indicator=indicator,
        units=units,
        conc_lo=arr[:, 0].copy(),
        conc_hi=arr[:, 1].copy(),
        index_lo=arr[:, 2].copy(),
        index_hi=arr[:, 3].copy(),
        source=source,
    )


def piecewise_linear_index(
    concentration: npt.ArrayLike, table: BreakpointTable
) -> npt.NDArray[np.float64]:
    """Interpolate an index linearly between breakpoints (unrounded).

    ``I = (I_hi − I_lo)/(BP_hi − BP_lo) · (C − BP_lo) + I_lo`` with the row whose
    ``conc_lo`` is the largest not above ``C`` (HJ 633—2012 式(1); HJ 633—2026 式(1);
    EPA-454/B-24-002 Equation 1). At a shared breakpoint both rows give the same
    value, so the choice of row does not matter there.

    Parameters
    ----------
    concentration : array_like
        Concentrations in the table's units, already rounded or truncated as the
        standard prescribes.
    table : BreakpointTable
        The indicator's breakpoints.

    Returns
    -------
    ndarray of float
        The unrounded index. NaN where the concentration is NaN, negative, or above
        the table's top concentration (the caller decides what the standard does
        there).
    """
    c = np.asarray(concentration, dtype=np.float64)
    row = np.searchsorted(table.conc_lo, c, side="right") - 1
    valid = np.isfinite(c) & (c >= table.conc_lo[0]) & (c <= table.conc_hi[-1])
    row = np.clip(row, 0, len(table.conc_lo) - 1)
    c_lo, c_hi = table.conc_lo[row], table.conc_hi[row]
    i_lo, i_hi = table.index_lo[row], table.index_hi[row]
    # Inside a truncation gap (US EPA), C is above c_hi of its row: not defined.
    valid &= c <= c_hi
    with np.errstate(invalid="ignore"):
        out = (i_hi - i_lo) / (c_hi - c_lo) * (c - c_lo) + i_lo
    return np.where(valid, out, np.nan)
