"""Properties of emission scaling: nothing published after T changes the factors for T."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.emissions_publications import (
    EmissionPublication,
    EmissionPublications,
    read_emission_publications,
)
from features.emissions_table import TABLE_COLUMNS, emission_scaling

SPECIES = ["SO2", "NOx"]
REGIONS = ("Hebei", "China")

figure = st.tuples(
    st.integers(2008, 2018),  # first year
    st.integers(1, 6),  # span [years]
    st.floats(-80.0, 80.0, allow_nan=False),  # change [%]
    st.sampled_from(SPECIES),
    st.sampled_from(REGIONS),
    st.integers(0, 3),  # publication
)
days = st.dates(date(2009, 1, 1), date(2022, 12, 31))


def _register(published: list[date]) -> EmissionPublications:
    entries = tuple(
        EmissionPublication(
            id=f"pub{i}",
            citation=f"publication {i}",
            url="",
            published=day,
            known_from=pd.Timestamp(day, tz="UTC"),
            approximate=False,
            match=(f"<pub{i}>",),
            note="",
        )
        for i, day in enumerate(published)
    )
    return dataclasses.replace(read_emission_publications(), entries=entries)


def _table(figures: list[tuple[int, int, float, str, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "region": [f[4] for f in figures],
            "period": [f"{f[0]}-{f[0] + f[1]}" for f in figures],
            "species": [f[3] for f in figures],
            "sector": "all anthropogenic",
            "metric": "relative change in annual emissions",
            "value": [f[2] for f in figures],
            "unit": "percent",
            "original_value": "",
            "original_unit": "",
            "source": [f"<pub{f[5]}>" for f in figures],
            "note": "",
            "species_key": [f[3].lower() for f in figures],
            "year_start": [f[0] for f in figures],
            "year_end": [f[0] + f[1] for f in figures],
            "figure": "relative_change",
        }
    )
    return frame[[*TABLE_COLUMNS, "species_key", "year_start", "year_end", "figure"]]


@settings(max_examples=30, deadline=None)
@given(
    figures=st.lists(figure, min_size=1, max_size=8),
    published=st.lists(days, min_size=4, max_size=4),
    issued=st.lists(days, min_size=1, max_size=4),
    base_year=st.integers(2008, 2016),
    new_values=st.lists(st.floats(-90.0, 90.0, allow_nan=False), min_size=8, max_size=8),
)
def test_figures_published_after_t_do_not_change_the_factors_for_t(
    figures: list[tuple[int, int, float, str, str, int]],
    published: list[date],
    issued: list[date],
    base_year: int,
    new_values: list[float],
) -> None:
    register = _register(published)
    table = _table(figures)
    times = pd.DatetimeIndex([pd.Timestamp(d, tz="Asia/Shanghai") for d in issued])
    kwargs = {"publications": register, "base_year": base_year, "regions": REGIONS}
    out = emission_scaling(table, times, SPECIES, **kwargs)  # type: ignore[arg-type]
    known_from = pd.DatetimeIndex([register.entries[f[5]].known_from for f in figures])
    for t in range(len(times)):
        future = np.asarray(known_from > times[t])
        changed = table.copy()
        changed.loc[future, "value"] = np.array(new_values[: len(figures)])[future]
        perturbed = emission_scaling(changed, times[t : t + 1], SPECIES, **kwargs)  # type: ignore[arg-type]
        removed = emission_scaling(table[~future], times[t : t + 1], SPECIES, **kwargs)  # type: ignore[arg-type]
        expected = out.iloc[[t]].reset_index(drop=True)
        pd.testing.assert_frame_equal(perturbed, expected)
        pd.testing.assert_frame_equal(removed, expected)


@settings(max_examples=30, deadline=None)
@given(
    figures=st.lists(figure, min_size=1, max_size=8),
    published=st.lists(days, min_size=4, max_size=4),
    issued=st.lists(days, min_size=1, max_size=4),
    base_year=st.integers(2008, 2016),
)
def test_factors_are_positive_and_one_in_the_base_year(
    figures: list[tuple[int, int, float, str, str, int]],
    published: list[date],
    issued: list[date],
    base_year: int,
) -> None:
    times = pd.DatetimeIndex([pd.Timestamp(d, tz="Asia/Shanghai") for d in issued])
    out = emission_scaling(
        _table(figures), times, SPECIES, publications=_register(published), base_year=base_year
    )
    for key in ("so2", "nox"):
        scale, year = out[f"emis_scale_{key}"], out[f"emis_scale_year_{key}"]
        known = scale.notna()
        assert (scale[known] > 0).all()
        assert np.isfinite(scale[known]).all()
        assert (year.notna() == known).all()
        at_base = known & (times.year == base_year)
        np.testing.assert_allclose(scale[at_base], 1.0)
    assert (out["emis_available"] == out.filter(like="emis_scale_").notna().any(axis=1)).all()
