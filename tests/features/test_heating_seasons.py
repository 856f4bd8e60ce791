"""Tests of features.heating_seasons (the heating-season table and its flags)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.heating_seasons import heating_season, read_heating_seasons
from forecasting.errors import StandardTableError

SOURCE = """[source]
id = "{stem}"
issuer = "test"
document = "test"
title = "test"
edition = "test"
status = "unverified"

[north_default]
start = "11-15"
end = "03-15"
"""


def write(tmp_path, body, stem="seasons"):
    path = tmp_path / f"{stem}.toml"
    path.write_text(SOURCE.format(stem=stem) + body, encoding="utf-8")
    return path


def test_shipped_table_beijing_entry():
    # 《北京市供热采暖管理办法》: "北京市采暖期为当年11月15日至次年3月15日".
    table = read_heating_seasons()
    beijing = table.lookup("Beijing")
    assert beijing is not None
    assert (beijing.region, beijing.start, beijing.end) == ("north", 1115, 315)
    assert beijing.status == "secondary"
    assert table.lookup("北京市") is beijing
    assert table.source.id == "heating_seasons"
    assert table.source.status == "unverified"


@pytest.mark.parametrize(
    ("city", "start", "end"), [("Tianjin", 1115, 315), ("Shanghai", None, None)]
)
def test_shipped_table_default_and_south(city, start, end):
    season = read_heating_seasons().lookup(city)
    assert season is not None
    assert (season.start, season.end) == (start, end)


@pytest.mark.parametrize("city", [None, 3.5, "", "Harbin"])
def test_lookup_unknown(city):
    assert read_heating_seasons().lookup(city) is None


def test_user_file_with_own_dates_and_season_within_a_year(tmp_path):
    path = write(
        tmp_path,
        '[[city]]\nname = "Testville"\nregion = "north"\nstart = "10-01"\nend = "10-31"\n'
        '[[city]]\nname = "Defaultburg"\nregion = "north"\n',
    )
    table = read_heating_seasons(path)
    # month*100+day of 09-30, 10-01, 10-31, 11-01 for a season that does not wrap
    days = np.array([930, 1001, 1031, 1101], dtype=np.int64)
    available, season = heating_season(days, "testville", table)
    assert available.all()
    np.testing.assert_array_equal(season, [0.0, 1.0, 1.0, 0.0])
    # the default 11-15..03-15 wraps New Year: edges 11-14/11-15 and 03-15/03-16
    days = np.array([1114, 1115, 101, 315, 316], dtype=np.int64)
    _, season = heating_season(days, pd.Series(["Defaultburg"] * 5), table)
    np.testing.assert_array_equal(season, [0.0, 1.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[[city]]\nname = "A"\nregion = "east"\n', r"#1 \(A\): region is 'east'"),
        ('[[city]]\nname = "A"\nregion = "north"\nstart = "11-31"\nend = "03-15"\n', "'11-31'"),
        ('[[city]]\nname = "A"\nregion = "north"\nstart = "Nov 15"\nend = "03-15"\n', "MM-DD"),
        ('[[city]]\nname = "A"\nregion = "south"\nstart = "11-15"\n', "southern city"),
        ('[[city]]\nname = "A"\nregion = "south"\ncolour = "red"\n', r"unknown keys \['colour'\]"),
        ('[[city]]\nregion = "south"\n', "#1: lacks a name"),
        ('[[city]]\nname = "A"\naliases = "a"\nregion = "south"\n', "aliases must be a list"),
        (
            '[[city]]\nname = "A"\nregion = "south"\n[[city]]\nname = "B"\naliases = ["a"]\n'
            'region = "south"\n',
            r"#2 \(B\): name 'a' is already used by A",
        ),
    ],
)
def test_malformed_city_entries(tmp_path, body, match):
    with pytest.raises(StandardTableError, match=match):
        read_heating_seasons(write(tmp_path, body))


def test_missing_file_and_bad_source(tmp_path):
    with pytest.raises(StandardTableError, match="no such heating-season file"):
        read_heating_seasons(tmp_path / "absent.toml")
    path = write(tmp_path, "", stem="seasons")
    path.rename(tmp_path / "other.toml")
    with pytest.raises(StandardTableError, match="differs from the file name"):
        read_heating_seasons(tmp_path / "other.toml")
