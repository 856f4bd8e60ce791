"""Tabular emission figures: the shared CSV, publication dates, and leakage-free scaling.

Figures quoted from ``shared/data/emissions/beijing_annual_by_sector.csv`` and its
sources:

* Zheng et al. (2018) ACP 18, 14095, abstract (published 04 Oct 2018, ACP article page):
  "during 2013–2017, China's anthropogenic emissions decreased by 59 % for SO2, 21 % for
  NOx ..."; "relative change rates ... during 2010–2017 ...: −62 % for SO2, −17 % for NOx,
  +11 % for NMVOCs".
* 2014 Beijing Environmental Status Bulletin, as reported 2015-04-16 (sefec.com.cn/inews/
  6266.html): "2014年，主要污染物二氧化硫、氮氧化物……排放总量比上年分别下降9.35%、9.24%".
* Beijing Statistical Yearbook 2010, table 4-24: SO2 排放量 (万吨) 2005 19.1, 2009 11.9.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.emissions_publications import (
    EmissionPublication,
    EmissionPublications,
    read_emission_publications,
)
from features.emissions_table import (
    TABLE_COLUMNS,
    emission_scaling,
    read_emission_table,
    species_key,
)
from forecasting.errors import InputDataError, StandardTableError

BEFORE_ZHENG = "2018-10-03T23:59:59+02:00"  # one second before 04 Oct 2018, Göttingen
AT_ZHENG = "2018-10-04T00:00:00+02:00"


@pytest.fixture(scope="module")
def table(shared_data_dir: Path) -> pd.DataFrame:
    return read_emission_table(shared_data_dir / "emissions" / "beijing_annual_by_sector.csv")


def _times(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(stamps), utc=True, format="ISO8601"))


def _scale(table: pd.DataFrame, *stamps: str, **kwargs: object) -> pd.DataFrame:
    species = kwargs.pop("species", ["SO2", "NOx"])
    return emission_scaling(table, _times(*stamps), species, **kwargs)  # type: ignore[arg-type]


def test_shared_csv_is_read_whole(table: pd.DataFrame) -> None:
    # shared/data/README.md: 29 rows; 17 MEIC national changes, 2 Beijing changes,
    # 10 Beijing SO2 totals 2000-2009.
    assert len(table) == 29
    assert table["figure"].value_counts().to_dict() == {"relative_change": 19, "annual_total": 10}
    row = table[(table["region"] == "China") & (table["period"] == "2013-2017")]
    so2 = row[row["species"] == "SO2"].iloc[0]
    # "China,2013-2017,SO2,all anthropogenic,relative change in annual emissions,-59,percent"
    assert (so2["value"], so2["year_start"], so2["year_end"]) == (-59.0, 2013, 2017)
    total = table[(table["region"] == "Beijing") & (table["period"] == "2000")].iloc[0]
    # "Beijing,2000,SO2,all (official total),annual emission,224,kt/yr,22.4,10^4 t (万吨)"
    assert (total["value"], total["unit"], total["figure"]) == (224.0, "kt/yr", "annual_total")
    assert set(table["species_key"]) == {
        "so2", "nox", "nmvoc", "nh3", "co", "pm10", "pm25", "bc", "oc", "co2",
    }  # fmt: skip
    assert table.attrs["name"] == "beijing_annual_by_sector"
    assert table.attrs["version"].startswith("sha256:")


def test_every_shared_figure_has_a_publication_date(table: pd.DataFrame) -> None:
    register = read_emission_publications()
    dated = register.date_sources(table["source"])
    assert dated["publication"].value_counts().to_dict() == {
        "zheng2018_acp": 17,
        "beijing_statistical_yearbook_2010": 10,
        "beijing_epb_bulletin_2014": 2,
    }
    known = {e.id: e.known_from.isoformat() for e in register.entries}
    # 04 Oct 2018 00:00 CEST; 16 Apr 2015 and 31 Dec 2010 00:00 China Standard Time.
    assert known == {
        "zheng2018_acp": "2018-10-03T22:00:00+00:00",
        "beijing_epb_bulletin_2014": "2015-04-15T16:00:00+00:00",
        "beijing_statistical_yearbook_2010": "2010-12-30T16:00:00+00:00",
    }
    assert register.source.id == "emission_publications"


def test_2015_issue_does_not_see_the_2018_meic_figures(table: pd.DataFrame) -> None:
    out = _scale(table, "2015-06-01T00:00+08:00", "2017-12-31T00:00+08:00")
    assert out[["emis_scale_so2", "emis_scale_nox"]].isna().all().all()
    assert not out["emis_available"].any()


def test_changing_future_figures_leaves_a_2015_issue_unchanged(table: pd.DataFrame) -> None:
    stamps = ("2015-06-01T00:00+08:00", "2016-03-01T00:00+08:00", BEFORE_ZHENG)
    regions = ("Beijing", "China")
    species = ["SO2", "NOx", "PM2.5", "NMVOC"]
    before = _scale(table, *stamps, regions=regions, species=species)
    future = table["source"].str.contains("acp-18-14095")
    altered = table.copy()
    altered.loc[future, "value"] = -99.0  # all 2018-published figures changed
    after = _scale(altered, *stamps, regions=regions, species=species)
    pd.testing.assert_frame_equal(before, after)
    # ... and the change is seen once the paper is out:
    seen = _scale(altered, AT_ZHENG, regions=regions, species=species)
    assert seen["emis_scale_pm25"].iloc[0] == pytest.approx(0.01)


def test_meic_2013_2017_change_from_its_publication(table: pd.DataFrame) -> None:
    out = _scale(table, BEFORE_ZHENG, AT_ZHENG, "2021-01-01T00:00+08:00")
    # -59 % SO2 and -21 % NOx over 2013-2017: factors 0.41 and 0.79 for 2017, held after.
    assert out["emis_scale_so2"].isna().iloc[0]
    np.testing.assert_allclose(out["emis_scale_so2"].iloc[1:], [0.41, 0.41])
    np.testing.assert_allclose(out["emis_scale_nox"].iloc[1:], [0.79, 0.79])
    assert out["emis_scale_year_so2"].iloc[1:].tolist() == [2017.0, 2017.0]
    assert out["emis_available"].tolist() == [False, True, True]


def test_base_2010_uses_the_2010_2017_change(table: pd.DataFrame) -> None:
    out = _scale(table, AT_ZHENG, base_year=2010)
    # -62 % SO2 and -17 % NOx over 2010-2017.
    assert out["emis_scale_so2"].iloc[0] == pytest.approx(0.38)
    assert out["emis_scale_nox"].iloc[0] == pytest.approx(0.83)


def test_period_spanning_the_base_year_is_an_annual_compound_rate(table: pd.DataFrame) -> None:
    out = _scale(table, AT_ZHENG, species=["NMVOC", "NH3"])
    # Only 2010-2017 changes exist (+11 % NMVOC, +1 % NH3): 2013->2017 is 4 of 7 years.
    assert out["emis_scale_nmvoc"].iloc[0] == pytest.approx(1.11 ** (4 / 7))
    assert out["emis_scale_nh3"].iloc[0] == pytest.approx(1.01 ** (4 / 7))


@pytest.mark.parametrize(
    ("stamp", "so2", "nox"),
    [
        # the bulletin was released on 2015-04-16 (China Standard Time): both edges.
        ("2015-04-15T23:59:59+08:00", np.nan, np.nan),
        ("2015-04-16T00:00:00+08:00", 1 - 0.0935, 1 - 0.0924),
        ("2016-01-01T00:00:00+08:00", 1 - 0.0935, 1 - 0.0924),
    ],
)
def test_beijing_2014_change_is_known_only_after_its_bulletin(
    table: pd.DataFrame, stamp: str, so2: float, nox: float
) -> None:
    out = _scale(table, stamp, regions=("Beijing",))
    np.testing.assert_allclose(out[["emis_scale_so2", "emis_scale_nox"]].iloc[0], [so2, nox])
    assert out["emis_available"].iloc[0] == (not np.isnan(so2))
    if not np.isnan(so2):
        assert out["emis_scale_year_so2"].iloc[0] == 2014.0  # the last year known


def test_beijing_first_then_national(table: pd.DataFrame) -> None:
    out = _scale(table, "2016-01-01T00:00+08:00", AT_ZHENG, regions=("Beijing", "China"))
    # 2016: only Beijing's 2014 change is out; after Zheng (2018): national 2013->2017.
    np.testing.assert_allclose(out["emis_scale_so2"], [0.9065, 0.41])
    assert out["emis_scale_year_so2"].tolist() == [2014.0, 2017.0]


def test_annual_totals_chain_and_hold_the_last_year(table: pd.DataFrame) -> None:
    out = _scale(table, "2011-06-01T00:00+08:00", species=["SO2"], regions=("Beijing",),
                 base_year=2005)  # fmt: skip
    # Yearbook 2010: SO2 19.1 (2005) and 11.9 (2009) 万吨; 2011 holds the 2009 value.
    assert out["emis_scale_so2"].iloc[0] == pytest.approx(119 / 191)
    assert out["emis_scale_year_so2"].iloc[0] == 2009.0
    before = _scale(table, "2010-12-30T23:59+08:00", species=["SO2"], regions=("Beijing",),
                    base_year=2005)  # fmt: skip
    assert not before["emis_available"].iloc[0]


def test_totals_do_not_bridge_a_gap_to_the_base_year(table: pd.DataFrame) -> None:
    # 2000-2009 totals say nothing about 2013, so a 2013 base stays unknown until 2015.
    out = _scale(table, "2012-06-01T00:00+08:00", species=["SO2"], regions=("Beijing",))
    assert np.isnan(out["emis_scale_so2"].iloc[0])


def _synthetic(rows: list[tuple[str, str, str, float, str]]) -> pd.DataFrame:
    """Figures (region, period, species, percent change, source) in the shared layout."""
    frame = pd.DataFrame(
        {
            "region": [r[0] for r in rows],
            "period": [r[1] for r in rows],
            "species": [r[2] for r in rows],
            "sector": "all anthropogenic",
            "metric": "relative change in annual emissions",
            "value": [r[3] for r in rows],
            "unit": "percent",
            "original_value": "",
            "original_unit": "",
            "source": [r[4] for r in rows],
            "note": "",
        }
    )
    frame["species_key"] = [species_key(s) for s in frame["species"]]
    frame["year_start"] = frame["period"].str[:4].astype("int64")
    frame["year_end"] = frame["period"].str[-4:].astype("int64")
    frame["figure"] = "relative_change"
    return frame[[*TABLE_COLUMNS, "species_key", "year_start", "year_end", "figure"]]


def _register(**published: str) -> EmissionPublications:
    shipped = read_emission_publications()
    entries = tuple(
        EmissionPublication(
            id=key,
            citation=key,
            url="",
            published=date.fromisoformat(day),
            known_from=pd.Timestamp(day, tz="UTC"),
            approximate=False,
            match=(key,),
            note="",
        )
        for key, day in published.items()
    )
    return dataclasses.replace(shipped, entries=entries)


def test_interpolation_between_known_years_and_local_year() -> None:
    table = _synthetic([("China", "2013-2017", "SO2", -59.0, "early")])
    register = _register(early="2014-01-01")
    out = _scale(
        table,
        "2013-12-31T23:00+00:00",  # 2014-01-01 07:00 in Beijing, but not yet published
        "2015-06-01T00:00+08:00",
        "2018-12-31T16:00+00:00",  # 2019-01-01 in Beijing
        species=["SO2"],
        publications=register,
    )
    assert np.isnan(out["emis_scale_so2"].iloc[0])
    # 2015 is 2 of 4 years: constant annual rate 0.41**(1/4).
    assert out["emis_scale_so2"].iloc[1] == pytest.approx(0.41**0.5)
    assert out["emis_scale_so2"].iloc[2] == pytest.approx(0.41)
    utc = _scale(table, "2014-12-31T20:00+00:00", species=["SO2"], publications=register,
                 timezone="UTC")  # fmt: skip
    local = _scale(table, "2014-12-31T20:00+00:00", species=["SO2"], publications=register)
    assert utc["emis_scale_year_so2"].iloc[0] == 2014.0  # UTC year
    assert local["emis_scale_year_so2"].iloc[0] == 2015.0  # 2015-01-01 04:00 in Beijing


def test_later_publication_supersedes_and_region_order_wins() -> None:
    table = _synthetic(
        [
            ("China", "2013-2015", "NOx", -10.0, "first"),
            ("China", "2013-2015", "NOx", -20.0, "revised"),
            ("Hebei", "2013-2015", "NOx", -30.0, "first"),
        ]
    )
    register = _register(first="2016-01-01", revised="2017-01-01")
    out = _scale(table, "2016-06-01T00:00Z", "2017-06-01T00:00Z", species=["NOx"],
                 publications=register)  # fmt: skip
    np.testing.assert_allclose(out["emis_scale_nox"], [0.9, 0.8])
    preferred = _scale(table, "2017-06-01T00:00Z", species=["NOx"], publications=register,
                       regions=("Hebei", "China"))  # fmt: skip
    assert preferred["emis_scale_nox"].iloc[0] == pytest.approx(0.7)


def test_unknown_species_is_nan_not_an_error(table: pd.DataFrame) -> None:
    out = _scale(table, AT_ZHENG, species=["O3"])
    assert np.isnan(out["emis_scale_o3"].iloc[0])
    assert not out["emis_available"].iloc[0]


def test_undated_source_is_an_error() -> None:
    table = _synthetic([("China", "2013-2015", "SO2", -5.0, "a blog post")])
    with pytest.raises(InputDataError, match="matches no publication"):
        _scale(table, AT_ZHENG, species=["SO2"])


def test_naive_issue_times_and_unknown_zones_are_errors(table: pd.DataFrame) -> None:
    with pytest.raises(InputDataError, match="issue times are naive"):
        emission_scaling(table, pd.DatetimeIndex(["2015-01-01"]), ["SO2"])
    with pytest.raises(InputDataError, match="unknown IANA time zone 'Mars/Olympus'"):
        _scale(table, AT_ZHENG, timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "China,2013-2017,SO2,all,relative change,abc,percent,,,src,",
            "value 'abc' is not a number",
        ),
        ("China,13-17,SO2,all,relative change,-5,percent,,,src,", "period '13-17' is not YYYY"),
        ("China,2017-2013,SO2,all,relative change,-5,percent,,,src,", "later year second"),
        ("China,2013-2017,SO2,all,relative change,-100,percent,,,src,", "-100 % or less"),
        ("China,2013,SO2,all,annual emission,12,percent,,,src,", "must be a mass per year"),
        ("China,2013,SO2,all,emission factor,12,g/kg,,,src,", "metric 'emission factor'"),
        ("China,2013,SO2,all,annual emission,0,kt/yr,,,src,", "annual emission <= 0"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "figures.csv"
    path.write_text(",".join(TABLE_COLUMNS) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=message) as info:
        read_emission_table(path)
    assert "figures.csv" in str(info.value)
    assert "line(s) 2" in str(info.value)


def test_missing_columns_and_files(tmp_path: Path) -> None:
    path = tmp_path / "figures.csv"
    path.write_text("region,period\nChina,2013\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="missing column\\(s\\) species, sector"):
        read_emission_table(path)
    with pytest.raises(InputDataError, match="no such emission table"):
        read_emission_table(tmp_path / "none.csv")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('id = "x"\ncitation = "c"\npublished = 2018-10-04\ntimezone = "UTC"', "missing key"),
        ('id = "x"\ncitation = "c"\npublished = "2018"\ntimezone = "UTC"\nmatch = ["x"]',
         "must be a TOML date"),
        ('id = "x"\ncitation = "c"\npublished = 2018-10-04\ntimezone = "Nowhere"\nmatch = ["x"]',
         "unknown IANA time zone"),
    ],
)  # fmt: skip
def test_bad_publication_registers_are_refused(tmp_path: Path, entry: str, message: str) -> None:
    shipped = Path(__file__).parents[2] / "features" / "data" / "emission_publications.toml"
    head = shipped.read_text(encoding="utf-8").split("\n[[publication]]\n")[0]
    path = tmp_path / "emission_publications.toml"
    path.write_text(head + "\n[[publication]]\n" + entry + "\n", encoding="utf-8")
    with pytest.raises(StandardTableError, match=message):
        read_emission_publications(path)


def test_repeated_annual_totals_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "totals.csv"
    row = "Beijing,2008,SO2,all (official total),annual emission,{},kt/yr,,,{},"
    source = "Beijing Statistical Yearbook 2010"
    rows = [row.format(123, source), row.format(124, source)]
    path.write_text(",".join(TABLE_COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"repeat a year at line\(s\) 3"):
        _scale(read_emission_table(path), AT_ZHENG, regions=("Beijing",), base_year=2008)
