"""When each source of tabular emission figures became public.

``features/data/emission_publications.toml`` lists every source cited in the tabular
emission figures with its publication date: a figure may be used by an issue time only
from that date on (:func:`features.emissions_table.emission_scaling`). Where the exact
day is not known the file gives the later plausible date and says so.

References
----------
.. [1] ``features/data/emission_publications.toml`` and its ``[source]`` block.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError, StandardTableError
from forecasting.standards.tables import Citation, parse_standard_text

__all__ = ["EmissionPublication", "EmissionPublications", "read_emission_publications"]

_PUBLICATIONS_FILE = "emission_publications.toml"
_PUBLICATION_KEYS = frozenset(
    {
        "id",
        "citation",
        "url",
        "published",
        "timezone",
        "approximate",
        "date_source",
        "note",
        "match",
    }
)


@dataclass(frozen=True)
class EmissionPublication:
    """One cited source of tabular emission figures and when it became public.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"zheng2018_acp"``.
    citation : str
        Full reference.
    url : str
        Where it is.
    published : datetime.date
        Local calendar date of publication.
    known_from : pandas.Timestamp
        Start of ``published`` in the publisher's time zone, in UTC: the first instant
        an issue time may use the figures.
    approximate : bool
        Whether ``published`` is an estimate (then the later plausible date).
    match : tuple of str
        Substrings of a table row's ``source`` that identify this publication.
    note : str
        Where the date comes from, and anything else to know.
    """

    id: str
    citation: str
    url: str
    published: date
    known_from: pd.Timestamp
    approximate: bool
    match: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class EmissionPublications:
    """The publication register: its own citation and one entry per source.

    Attributes
    ----------
    source : forecasting.standards.tables.Citation
        The register file's ``[source]`` block.
    entries : tuple of EmissionPublication
        The publications.
    """

    source: Citation
    entries: tuple[EmissionPublication, ...]

    def date_sources(self, sources: pd.Series) -> pd.DataFrame:
        """Match table rows to publications by their ``source`` text.

        Parameters
        ----------
        sources : pandas.Series
            The ``source`` column of an emission table.

        Returns
        -------
        pandas.DataFrame
            Same index, columns ``publication`` (id) and ``known_from`` (UTC).

        Raises
        ------
        forecasting.errors.InputDataError
            When a row matches no publication or several (the rows are named).
        """
        text = sources.astype("str").str.casefold()
        hits = np.column_stack(
            [
                np.logical_or.reduce(
                    [text.str.contains(m.casefold(), regex=False).to_numpy() for m in e.match]
                )
                for e in self.entries
            ]
        )
        count = hits.sum(axis=1)
        if (count != 1).any():
            bad = np.flatnonzero(count != 1)
            lines = ", ".join(str(i) for i in sources.index[bad][:10])
            raise InputDataError(
                f"emission table: the source of line(s) {lines} matches "
                f"{'no' if count[bad[0]] == 0 else 'more than one'} publication "
                f"(first: {sources.iloc[bad[0]]!r}); add a [[publication]] whose `match` "
                f"identifies it, known ids: {', '.join(e.id for e in self.entries)}"
            )
        which = hits.argmax(axis=1)
        known = pd.DatetimeIndex([e.known_from for e in self.entries]).as_unit("ns")
        return pd.DataFrame(
            {
                "publication": np.array([e.id for e in self.entries], dtype=object)[which],
                "known_from": known[which],
            },
            index=sources.index,
        )


def read_emission_publications(
    path: str | os.PathLike[str] | None = None,
) -> EmissionPublications:
    """Read a publication register (default: the one shipped with ecocast).

    Parameters
    ----------
    path : path-like, optional
        A TOML file in the layout of ``features/data/emission_publications.toml``.

    Returns
    -------
    EmissionPublications
        The register.

    Raises
    ------
    forecasting.errors.StandardTableError
        When the file is missing or malformed (the entry and key are named).
    """
    if path is None:
        return _shipped_publications()
    file = Path(path)
    if not file.is_file():
        raise StandardTableError(f"{file}: no such publication register")
    return _parse_publications(file.read_text(encoding="utf-8"), file.name)


@cache
def _shipped_publications() -> EmissionPublications:
    files = resources.files("features").joinpath("data", _PUBLICATIONS_FILE)
    return _parse_publications(files.read_text(encoding="utf-8"), _PUBLICATIONS_FILE)


def _parse_publications(text: str, filename: str) -> EmissionPublications:
    citation, data = parse_standard_text(text, filename)
    raw = data.get("publication")
    if not isinstance(raw, list) or not raw:
        raise StandardTableError(f"{filename}: no [[publication]] entries")
    entries = tuple(
        _publication(item, f"{filename} [[publication]] #{i + 1}") for i, item in enumerate(raw)
    )
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise StandardTableError(f"{filename}: publication ids repeat: {sorted(ids)}")
    return EmissionPublications(source=citation, entries=entries)


def _publication(item: dict[str, object], where: str) -> EmissionPublication:
    unknown = sorted(set(item) - _PUBLICATION_KEYS)
    missing = sorted({"id", "citation", "published", "timezone", "match"} - set(item))
    if unknown or missing:
        raise StandardTableError(
            f"{where}: missing key(s) {missing or 'none'}, unknown key(s) {unknown or 'none'}; "
            f"valid keys: {', '.join(sorted(_PUBLICATION_KEYS))}"
        )
    published, zone, match = item["published"], str(item["timezone"]), item["match"]
    if not isinstance(published, date) or hasattr(published, "hour"):
        raise StandardTableError(f"{where}: published must be a TOML date, got {published!r}")
    if not isinstance(match, list) or not match or not all(isinstance(m, str) and m for m in match):
        raise StandardTableError(f"{where}: match must be a list of non-empty strings")
    try:
        start = pd.Timestamp(published).tz_localize(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise StandardTableError(f"{where}: unknown IANA time zone {zone!r}") from None
    return EmissionPublication(
        id=str(item["id"]),
        citation=str(item["citation"]),
        url=str(item.get("url", "")),
        published=published,
        known_from=start.tz_convert("UTC"),
        approximate=bool(item.get("approximate", False)),
        match=tuple(match),
        note=" ".join(str(item.get(k, "")) for k in ("date_source", "note")).strip(),
    )
