"""Property: the store's as-of reads equal a plain model of revisions, for any write history.

The model: each write of a key either leaves it unchanged (same value and
flags) or appends a revision; revision 1 is available at
``min(ingested_at, valid_at + lag)``, later ones at ``ingested_at``; an as-of
read at T returns the highest revision available at T.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.storage import Store
from forecasting.storage.schema import observations, sources, variables

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LAG = timedelta(hours=1)
VALID = [T0 + timedelta(hours=h) for h in range(3)]

one_write = st.tuples(
    st.integers(min_value=0, max_value=12),  # ingested_at: hours after T0
    st.dictionaries(
        st.sampled_from(range(len(VALID))),
        st.tuples(st.sampled_from([1.0, 2.0, math.nan]), st.sampled_from([0, 1])),
        min_size=1,
    ),
)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    opened = Store.open("sqlite://")
    opened.upsert_stations(pd.DataFrame({"station": ["S"], "network": ["air"]}))
    yield opened
    opened.close()


def _same(a: tuple[float, int], b: tuple[float, int]) -> bool:
    both_nan = math.isnan(a[0]) and math.isnan(b[0])
    return (both_nan or a[0] == b[0]) and a[1] == b[1]


def _model_answer(history: dict[int, list[tuple[float, int, datetime]]], as_of: datetime):
    answer = {}
    for key, revisions in history.items():
        known = [r for r in revisions if r[2] <= as_of]
        if known:
            answer[key] = known[-1][:2]
    return answer


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes=st.lists(one_write, min_size=1, max_size=5))
def test_as_of_reads_match_the_revision_model(store: Store, writes):
    with store.engine.begin() as connection:
        connection.execute(observations.delete())
        connection.execute(sources.delete())
        connection.execute(variables.delete())
    history: dict[int, list[tuple[float, int, datetime]]] = {}
    for hours, values in writes:
        ingested = T0 + timedelta(hours=hours)
        frame = pd.DataFrame(
            {
                "station": "S",
                "variable": "pm25",
                "valid_at": pd.DatetimeIndex([VALID[k] for k in values]),
                "value": [v for v, _ in values.values()],
                "qc_flags": [f for _, f in values.values()],
                "source": "p",
            }
        )
        summary = store.write_observations(frame, ingested_at=ingested, available_lag=LAG)
        inserted = revised = 0
        for key, (value, flag) in values.items():
            revisions = history.setdefault(key, [])
            if not revisions:
                revisions.append((value, flag, min(ingested, VALID[key] + LAG)))
                inserted += 1
            elif not _same(revisions[-1][:2], (value, flag)):
                revisions.append((value, flag, ingested))
                revised += 1
        assert (summary.inserted, summary.revised) == (inserted, revised)
    probes = {
        r[2] + d
        for rs in history.values()
        for r in rs
        for d in (timedelta(0), -timedelta(seconds=1))
    }
    for as_of in sorted(probes) + [T0 + timedelta(days=30)]:
        got = store.read_observations(as_of=as_of)
        assert got["valid_at"].is_unique, as_of  # one revision per key
        observed = {
            VALID.index(t.to_pydatetime()): (v, f)
            for t, v, f in zip(got["valid_at"], got["value"], got["qc_flags"], strict=True)
        }
        expected = _model_answer(history, as_of)
        assert observed.keys() == expected.keys(), as_of
        for key, value in expected.items():
            assert _same(observed[key], value), (as_of, key)
    latest = store.read_observations(include_revision=True)
    assert latest["revision"].tolist() == [len(history[k]) for k in sorted(history)]
