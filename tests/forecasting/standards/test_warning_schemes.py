"""Tests of the warning-scheme data files and of the scheme loader's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.errors import InputDataError, StandardTableError, UnknownStandardError
from forecasting.standards.tables import read_standard
from forecasting.standards.warning_schemes import (
    Clause,
    available_warning_schemes,
    load_warning_scheme,
)

SHIPPED = [
    "cn_cq_warning_2018",
    "cn_mee_warning_2018",
    "cn_mee_warning_2024",
    "cn_mep_warning_2017",
]


def test_available_warning_schemes() -> None:
    assert available_warning_schemes() == SHIPPED


@pytest.mark.parametrize(
    ("scheme_id", "levels", "section"),
    [
        ("cn_mee_warning_2024", ["yellow", "orange", "red"], "§3.1"),
        ("cn_mep_warning_2017", ["blue", "yellow", "orange", "red"], "§3.1"),
        ("cn_mee_warning_2018", ["yellow", "orange", "red"], "§3.1"),
        ("cn_cq_warning_2018", ["blue", "yellow", "orange", "red"], "§3.2"),
    ],
)
def test_shipped_scheme_levels_and_citation(
    scheme_id: str, levels: list[str], section: str
) -> None:
    scheme = load_warning_scheme(scheme_id)
    assert scheme.id == scheme_id
    assert [lv.id for lv in scheme.levels] == levels
    assert [lv.colour for lv in scheme.levels] == levels
    assert all(lv.response == "emergency" for lv in scheme.levels)
    assert scheme.source.status == "secondary"
    assert scheme.source.transcribed_by == (
        f"ecocast developers, 2026-11-23, from shared/docs/standards.md {section}"
    )


def test_2024_clauses_as_printed() -> None:
    # 环大气〔2024〕6号 (standards.md §3.1), 红色: "预测日AQI>200 持续72小时 且 日AQI>300
    # 持续24小时及以上"; 黄色: "预测日AQI>200 或 日AQI>150 持续48小时及以上"
    scheme = load_warning_scheme("cn_mee_warning_2024")
    red = scheme.level("red").conditions
    assert [c.clauses for c in red] == [(Clause(">", 200, 3), Clause(">", 300, 1))]
    yellow = scheme.level("yellow").conditions
    assert [c.clauses for c in yellow] == [(Clause(">", 200, 1),), (Clause(">", 150, 2),)]
    orange = scheme.level("orange").conditions
    assert [c.clauses for c in orange] == [(Clause(">", 200, 2),), (Clause(">", 150, 3),)]


def test_2024_health_advisory_lifting_and_unverified_reading() -> None:
    scheme = load_warning_scheme("cn_mee_warning_2024")
    assert scheme.health_advisory is not None
    assert scheme.health_advisory.primary_pollutants == {"o3"}
    assert scheme.health_advisory.causes == {"dust", "wildfire", "sand", "transport"}
    # Yangzhou explainer (standards.md §3.1): lifted when below the yellow condition and
    # forecast to stay there for more than 36 h.
    assert scheme.lifting is not None
    assert (scheme.lifting.below_level, scheme.lifting.below_for_more_than_hours) == ("yellow", 36)
    assert "UNVERIFIED reading of the yellow wording" in scheme.source.notes


def test_2017_and_2018_reach_500_and_chongqing_exceeds_500() -> None:
    # 2017: "或预测AQI日均值达到500"; Chongqing 2018: "AQI > 500 for ≥ 1 day".
    assert load_warning_scheme("cn_mep_warning_2017").level("red").conditions[1].clauses == (
        Clause(">=", 500, 1),
    )
    assert load_warning_scheme("cn_mee_warning_2018").level("red").conditions[1].clauses == (
        Clause(">=", 500, 1),
    )
    assert load_warning_scheme("cn_cq_warning_2018").level("red").conditions[1].clauses == (
        Clause(">", 500, 1),
    )


def test_2018_disputed_orange_clause_is_an_option_off_by_default() -> None:
    default = load_warning_scheme("cn_mee_warning_2018")
    (option,) = default.options
    assert (option.name, option.default, option.value) == ("orange_requires_aqi_300", False, False)
    assert default.level("orange").conditions[0].clauses == (Clause(">", 200, 3),)
    on = load_warning_scheme("cn_mee_warning_2018", options={"orange_requires_aqi_300": True})
    assert on.options[0].value is True
    assert on.level("orange").conditions[0].clauses == (Clause(">", 200, 3), Clause(">", 300, 1))


def test_shipped_files_have_a_source_block_first() -> None:
    for scheme_id in SHIPPED:
        citation, raw = read_standard(scheme_id)
        assert next(iter(raw)) == "source"
        assert citation.id == scheme_id


def test_unknown_scheme_id_lists_the_available_ones() -> None:
    with pytest.raises(
        UnknownStandardError,
        match="unknown warning scheme 'cn_mee_warning_2099'.*cn_mee_warning_2024",
    ):
        load_warning_scheme("cn_mee_warning_2099")


def test_unknown_option_lists_the_declared_ones() -> None:
    with pytest.raises(
        UnknownStandardError, match="'orange_300'; choose one of: orange_requires_aqi_300"
    ):
        load_warning_scheme("cn_mee_warning_2018", options={"orange_300": True})


def test_non_bool_option_value() -> None:
    with pytest.raises(InputDataError, match="'orange_requires_aqi_300' = 'yes'"):
        load_warning_scheme("cn_mee_warning_2018", options={"orange_requires_aqi_300": "yes"})  # type: ignore[dict-item]


def test_unknown_level_id() -> None:
    with pytest.raises(UnknownStandardError, match="'blue'; choose one of: orange, red, yellow"):
        load_warning_scheme("cn_mee_warning_2024").level("blue")


GOOD = """\
[source]
id = "local_bad_2026"
issuer = "Example bureau"
document = "Example plan"
title = "Example"
edition = "2026"
status = "unverified"

[scheme]
name_zh = "示例"
name_en = "Example"

[scheme.health_advisory]
causes = ["dust"]

[scheme.lifting]
below_level = "yellow"
below_for_more_than_hours = 36

[[level]]
id = "yellow"
name_zh = "黄色预警"
name_en = "Yellow warning"
colour = "yellow"
response = "emergency"

[[level.condition]]
clauses = [{ op = ">", aqi = 200, hours = 48 }]

[[level]]
id = "red"
name_zh = "红色预警"
name_en = "Red warning"
colour = "red"
response = "emergency"

[[level.condition]]
clauses = [{ op = ">", aqi = 200, days = 3 }, { op = ">", aqi = 300, days = 1 }]
"""


def _write(tmp_path: Path, text: str, name: str = "local_bad_2026.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_local_file_loads(tmp_path: Path) -> None:
    scheme = load_warning_scheme(str(_write(tmp_path, GOOD)))
    assert scheme.id == "local_bad_2026"
    assert [lv.id for lv in scheme.levels] == ["yellow", "red"]
    assert scheme.level("yellow").conditions[0].clauses == (Clause(">", 200, 2),)


RED_CLAUSE_2 = '{ op = ">", aqi = 300, days = 1 }'
BAD_FILES = [
    (
        (RED_CLAUSE_2, '{ op = "=>", aqi = 300, days = 1 }'),
        r"local_bad_2026.toml level 2 \('red'\), condition 1, clause 2: 'op' is '=>'; "
        r"use one of \['>', '>='\]",
    ),
    (
        (RED_CLAUSE_2, '{ op = ">", aqi = 300, hour = 24 }'),
        r"level 2 \('red'\), condition 1, clause 2: unknown keys \['hour'\]",
    ),
    (
        (RED_CLAUSE_2, '{ op = ">", aqi = 300, days = 1, hours = 24 }'),
        r"level 2 \('red'\), condition 1, clause 2: give exactly one of 'days' or 'hours'",
    ),
    (
        (RED_CLAUSE_2, '{ op = ">", aqi = 300, hours = 36 }'),
        r"clause 2: 'hours' is 36; use a multiple of 24",
    ),
    (
        (RED_CLAUSE_2, '{ op = ">", aqi = 300, days = 0 }'),
        r"clause 2: 'days' must be a positive integer, got 0",
    ),
    (
        (RED_CLAUSE_2, '{ op = ">", aqi = "300", days = 1 }'),
        r"clause 2: 'aqi' must be a finite number >= 0, got '300'",
    ),
    (
        (RED_CLAUSE_2, '{ op = ">", aqi = 300, days = 1, when = "nope" }'),
        r"clause 2: 'when' names 'nope'; declared options: \[\]",
    ),
    (
        ('colour = "red"\nresponse = "emergency"', 'colour = "red"\nresponse = "alarm"'),
        r"level 2 \('red'\): 'response' is 'alarm'; use one of \['emergency', 'health_advisory'\]",
    ),
    (
        ('id = "red"', 'id = "yellow"'),
        r"local_bad_2026.toml: level ids must be unique",
    ),
    (
        ('colour = "red"\n', ""),
        r"level 2 \('red'\): missing colour",
    ),
    (
        ('causes = ["dust"]', 'causes = ["volcano"]'),
        r"\[scheme\].health_advisory: unknown causes \['volcano'\]",
    ),
    (
        ('below_level = "yellow"', 'below_level = "blue"'),
        r"\[scheme\].lifting: 'below_level' is 'blue'; use one of \['yellow', 'red'\]",
    ),
    (
        ('status = "unverified"', 'status = "official"'),
        r"\[source\] status is 'official'; use one of",
    ),
    (
        ('id = "local_bad_2026"', 'id = "other_2026"'),
        r"local_bad_2026.toml: \[source\] id 'other_2026' differs from the file name",
    ),
    (
        ('title = "Example"\n', ""),
        r"local_bad_2026.toml: \[source\] lacks title",
    ),
    (
        ("[scheme]\n", "[schema]\n"),
        r"local_bad_2026.toml: unknown keys \['schema'\]",
    ),
    (
        ("clauses = [{ op", "clauses = [{ op op"),
        r"local_bad_2026.toml: not valid TOML",
    ),
]


@pytest.mark.parametrize(("change", "match"), BAD_FILES)
def test_malformed_local_file_names_file_and_clause(
    tmp_path: Path, change: tuple[str, str], match: str
) -> None:
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(StandardTableError, match=match):
        load_warning_scheme(path)


def test_source_block_must_come_first(tmp_path: Path) -> None:
    source, rest = GOOD.split("\n[scheme]\n", 1)
    with pytest.raises(StandardTableError, match=r"first block must be \[source\]"):
        load_warning_scheme(_write(tmp_path, f"[scheme]\n{rest}\n{source}\n"))


def test_local_file_may_not_reuse_a_shipped_id(tmp_path: Path) -> None:
    text = GOOD.replace('id = "local_bad_2026"', 'id = "cn_mee_warning_2024"')
    path = _write(tmp_path, text, name="cn_mee_warning_2024.toml")
    with pytest.raises(StandardTableError, match="'cn_mee_warning_2024' is a shipped scheme"):
        load_warning_scheme(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StandardTableError, match="no such warning-scheme file"):
        load_warning_scheme(tmp_path / "absent.toml")
