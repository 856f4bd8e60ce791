"""Properties: station attrs round-trip through the store; river or lake follows the rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.ingest.waterbody import WaterbodyOverride, WaterbodyRules, derive_waterbody_type
from forecasting.storage import Store

MARKERS = ("湖", "池", "水库")
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
_json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=10,
)
_attrs = st.dictionaries(_text, _json_value, max_size=5)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    opened = Store.open("sqlite://")
    yield opened
    opened.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attrs=_attrs)
def test_attrs_round_trip(store: Store, attrs: dict[str, Any]) -> None:
    frame = pd.DataFrame({"station": ["S"], "network": ["water"], "attrs": [attrs]})
    store.upsert_stations(frame)
    assert store.read_stations()["attrs"].tolist() == [attrs]


_names = st.one_of(
    st.none(),
    st.lists(
        st.sampled_from(["太", "黄", "河", "江", "湖", "池", "水", "库", " "]), max_size=5
    ).map("".join),
)


@given(names=st.lists(_names, min_size=1, max_size=8), fixed=st.sampled_from(["river", "lake"]))
def test_lake_iff_the_water_body_name_holds_a_marker(names: list[str | None], fixed: str) -> None:
    codes = pd.Series([f"S{i}" for i in range(len(names))])
    override = WaterbodyOverride(fixed, "某站", "test")  # type: ignore[arg-type]
    rules = WaterbodyRules(MARKERS, {"S0": override}, "test", "test.toml")
    got = derive_waterbody_type(codes, pd.Series(names, dtype=object), rules=rules).tolist()
    assert got[0] == fixed  # an override always wins
    for name, kind in zip(names[1:], got[1:], strict=True):
        if name is None or not name.strip():
            assert kind is None
        else:
            assert kind == ("lake" if any(m in name for m in MARKERS) else "river")
