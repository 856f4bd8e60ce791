"""River or lake: the water body type of surface-water stations.

GB 3838-2002 表1 gives total phosphorus limits apart for rivers and for 湖、库
(lakes and reservoirs), and total nitrogen only for 湖、库 [1]_, so a water
station's class depends on which it is. Station lists do not say; the CNEMC
lists give the name of the river or lake (``river_or_lake_zh``). The rule and
its station overrides are data, in ``forecasting/ingest/data/waterbody_types.toml``
(:func:`read_waterbody_rules`), where each choice is documented with the
agreement it gives with CNEMC's published class.

References
----------
.. [1] GB 3838-2002 Environmental quality standards for surface water, 表1,
   items 8 (总磷: rivers; 湖、库) and 9 (总氮, 湖、库). See
   ``shared/docs/standards.md`` §5.1.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, cast

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError

__all__ = [
    "DEFAULT_WATERBODY_RULES_FILE",
    "WATERBODY_TYPES",
    "WaterbodyOverride",
    "WaterbodyRules",
    "WaterbodyType",
    "default_waterbody_rules",
    "derive_waterbody_type",
    "read_waterbody_rules",
]

WaterbodyType = Literal["river", "lake"]
WATERBODY_TYPES: Final = ("river", "lake")
DEFAULT_WATERBODY_RULES_FILE: Final = "waterbody_types.toml"


@dataclass(frozen=True)
class WaterbodyOverride:
    """The type of one station, set by hand.

    Attributes
    ----------
    type : {"river", "lake"}
        The station's type.
    name_zh : str
        The station's name in the CNEMC station list (a check on the code).
    why : str
        The evidence.
    """

    type: WaterbodyType
    name_zh: str
    why: str


@dataclass(frozen=True)
class WaterbodyRules:
    """How to tell rivers from lakes (a loaded ``waterbody_types.toml``).

    Attributes
    ----------
    lake_markers : tuple of str
        A water body whose name contains one of these is a lake or reservoir.
    overrides : mapping of str to WaterbodyOverride
        Station code → type set by hand; wins over the name rule.
    version : str
        The file's ``[about] version``.
    source : str
        The file's name.
    """

    lake_markers: tuple[str, ...]
    overrides: Mapping[str, WaterbodyOverride]
    version: str
    source: str


def derive_waterbody_type(
    stations: pd.Series,
    water_body: pd.Series | None = None,
    *,
    rules: WaterbodyRules | None = None,
) -> pd.Series:
    """Return ``"river"``, ``"lake"`` or None for each station.

    Parameters
    ----------
    stations : pandas.Series
        Station codes, e.g. ``"CN0726"``.
    water_body : pandas.Series, optional
        Name of each station's river or lake (CNEMC ``river_or_lake_zh``, e.g.
        ``"太湖"``, ``"黄河"``), one per station in the same order; missing
        where unknown.
    rules : WaterbodyRules, optional
        Default: the packaged ``waterbody_types.toml``
        (:func:`default_waterbody_rules`).

    Returns
    -------
    pandas.Series
        ``object`` values ``"river"``, ``"lake"`` or None (unknown), indexed
        like ``stations``.

    Notes
    -----
    A station listed in ``rules.overrides`` gets the type given there.
    Otherwise it is a lake (lakes and reservoirs, 湖、库 [1]_) when the name of
    its water body contains one of ``rules.lake_markers`` (湖, 池, 水库), a river
    when it names a water body without one, and unknown when there is no
    name. The station's own name is not used: measured on CNEMC's published
    classes it does worse than calling every station a river (see the data
    file).

    References
    ----------
    .. [1] GB 3838-2002, 表1 items 8 and 9: limits for 湖、库 (lakes and
       reservoirs) apart from rivers.

    Examples
    --------
    >>> codes = pd.Series(["CN0010", "CN0512", "CN0726", "X1"])
    >>> names = pd.Series(["淀山湖", "黄河", "太湖", None])
    >>> derive_waterbody_type(codes, names).tolist()
    ['lake', 'river', 'river', None]
    """
    chosen = default_waterbody_rules() if rules is None else rules
    index = stations.index
    if water_body is None:
        water_body = pd.Series(None, index=index, dtype=object)
    if len(water_body) != len(stations):
        raise InputDataError(
            f"water_body has {len(water_body)} values for {len(stations)} stations; "
            "give one per station, in the same order"
        )
    raw = np.asarray(water_body, dtype=object)
    names = pd.Series(np.where(pd.isna(raw), "", raw), index=index, dtype=object)
    names = names.astype(str).str.strip()
    pattern = "|".join(re.escape(m) for m in chosen.lake_markers)
    is_lake = names.str.contains(pattern, regex=True).to_numpy(dtype=bool)
    named = (names != "").to_numpy(dtype=bool)
    derived = np.where(is_lake, "lake", "river").astype(object)
    derived[~named] = None
    overrides = {code: o.type for code, o in chosen.overrides.items()}
    fixed = stations.astype(object).map(overrides).to_numpy(dtype=object)
    has_fixed = pd.notna(fixed)
    return pd.Series(np.where(has_fixed, fixed, derived), index=index, dtype=object)


def read_waterbody_rules(path: str | Path | None = None) -> WaterbodyRules:
    """Read and validate a water body rules file.

    Parameters
    ----------
    path : str or path-like, optional
        A TOML file in the layout of the packaged ``waterbody_types.toml``.
        Default: the packaged file (cached; :func:`default_waterbody_rules`).

    Returns
    -------
    WaterbodyRules
        The validated rules.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the file and the key of a missing or invalid entry.
    """
    if path is None:
        return default_waterbody_rules()
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputDataError(f"{file}: cannot read water body rules ({exc})") from None
    return _build(raw, file.name)


@functools.cache
def default_waterbody_rules() -> WaterbodyRules:
    """Return the packaged rules (``forecasting/ingest/data/waterbody_types.toml``), cached."""
    data = resources.files("forecasting.ingest") / "data" / DEFAULT_WATERBODY_RULES_FILE
    return _build(tomllib.loads(data.read_text("utf-8")), DEFAULT_WATERBODY_RULES_FILE)


def _build(raw: Mapping[str, Any], name: str) -> WaterbodyRules:
    about = _table(raw, "about", name)
    markers = _table(raw, "rule", name).get("lake_markers")
    if (
        not isinstance(markers, list)
        or not markers
        or not all(isinstance(m, str) and m.strip() for m in markers)
    ):
        raise InputDataError(
            f"{name} [rule] lake_markers: {markers!r}; give a non-empty list of non-empty texts"
        )
    overrides = {
        str(code): _override(entry, f"{name} [overrides] {code}")
        for code, entry in _table(raw, "overrides", name).items()
    }
    return WaterbodyRules(
        lake_markers=tuple(m.strip() for m in markers),
        overrides=MappingProxyType(overrides),
        version=str(about.get("version", "unversioned")),
        source=name,
    )


def _override(entry: Any, where: str) -> WaterbodyOverride:
    if not isinstance(entry, Mapping):
        raise InputDataError(f"{where}: {entry!r}; give {{ type = ..., name_zh = ..., why = ... }}")
    kind = entry.get("type")
    if kind not in WATERBODY_TYPES:
        raise InputDataError(f"{where}: type {kind!r}; choose one of: river, lake")
    texts = {key: entry.get(key) for key in ("name_zh", "why")}
    for key, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            raise InputDataError(f"{where}: {key} {value!r}; give a non-empty text")
    return WaterbodyOverride(
        type=cast(WaterbodyType, kind), name_zh=str(texts["name_zh"]), why=str(texts["why"])
    )


def _table(raw: Mapping[str, Any], key: str, name: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise InputDataError(f"{name}: missing [{key}] table")
    return value
