"""Hypothesis properties of HJ 212-2017 packets: round trip and corruption detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecasting.standards.hj212 import build_packet, format_qn, parse_packet
from forecasting.standards.hj212_codes import Hj212Error, read_hj212
from forecasting.standards.hj212_cp import Hj212DataArea, Hj212Item
from forecasting.standards.hj212_crc import crc16_hj212
from forecasting.standards.hj212_flag import encode_flag

STD = read_hj212()
NUMERIC = [name for name, f in STD.item_fields.items() if f.kind == "numeric"]
ALNUM = "0123456789ABCDEFabcdef"

codes = st.one_of(
    st.sampled_from(sorted(STD.factors)), st.text("abcSB0123456789", min_size=1, max_size=6)
)
# Any finite float round-trips; tiny magnitudes are left out only because their positional
# form (0.000…) would not fit the 950-character data area.
values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).filter(
    lambda v: v == 0 or abs(v) >= 1e-6
)
items = st.builds(
    Hj212Item,
    code=codes,
    values=st.dictionaries(st.sampled_from(NUMERIC), values, min_size=1, max_size=3),
    flag=st.none() | st.sampled_from(sorted(STD.data_flags)),
)
# hypothesis takes naive bounds and attaches the zone itself.
_LOW, _HIGH = datetime(2000, 1, 1), datetime(2099, 12, 31)  # noqa: DTZ001
times = st.datetimes(_LOW, _HIGH, timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=0))
areas = st.builds(
    Hj212DataArea,
    data_time=st.none() | times,
    items=st.lists(items, max_size=4, unique_by=lambda i: i.code).map(tuple),
)


@st.composite
def packets(draw: st.DrawFn) -> tuple[dict[str, object], str]:
    split = draw(st.booleans())
    pnum = draw(st.integers(1, 9999)) if split else None
    pno = draw(st.integers(1, pnum)) if pnum else None
    fields: dict[str, object] = {
        "qn": format_qn(draw(times) + timedelta(milliseconds=draw(st.integers(0, 999)))),
        "st": draw(st.sampled_from(sorted(STD.system_codes))),
        "cn": draw(st.sampled_from(sorted(STD.command_codes))),
        "pw": draw(st.text(ALNUM, min_size=1, max_size=6)),
        "mn": draw(st.text(ALNUM, min_size=1, max_size=24)),
        "flag": encode_flag(split=split, ack=draw(st.booleans())),
        "pnum": pnum,
        "pno": pno,
        "cp": draw(areas),
    }
    return fields, build_packet(**fields)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_build_parse_round_trip(case: tuple[dict[str, object], str]) -> None:
    fields, text = case
    packet = parse_packet(text)
    for name in ("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "cp"):
        assert getattr(packet, name) == fields[name], name
    assert packet.crc_ok
    assert packet.raw == text
    assert text.endswith("\r\n")
    assert int(text[2:6]) == len(text) - 12
    rebuilt = build_packet(**{name: getattr(packet, name) for name in fields})
    assert rebuilt == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packets(), st.data())
def test_single_character_corruption_of_data_segment_detected(
    case: tuple[dict[str, object], str], data: st.DataObject
) -> None:
    _, text = case
    position = data.draw(st.integers(6, len(text) - 7), label="position")
    replacement = data.draw(
        st.characters(codec="utf-8", exclude_characters=text[position]), label="char"
    )
    corrupted = text[:position] + replacement + text[position + 1 :]
    with pytest.raises(Hj212Error) as info:
        parse_packet(corrupted)
    assert info.value.field in {"CRC", "length"}


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.data())
def test_crc_changes_with_any_single_byte(data_bytes: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(data_bytes) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != data_bytes[index]))
    changed = data_bytes[:index] + bytes([byte]) + data_bytes[index + 1 :]
    assume(changed != data_bytes)
    assert crc16_hj212(changed) != crc16_hj212(data_bytes)
