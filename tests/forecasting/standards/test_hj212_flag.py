"""Tests of the HJ 212-2017 packet Flag (表3: bits V5 V4 V3 V2 V1 V0 D A).

standards.md §8.1 (quoting S5 表3): "Flag | 8 | integer 0–255, bits V5 V4 V3 V2 V1 V0 D A";
"V5–V0 is the protocol version: 000000 = HJ/T 212-2005, 000001 = this 2017 edition";
"D = 1: the packet carries PNUM/PNO (split message)"; "A = 1: the command requires an
acknowledgement"; "So Flag=4 means 2017 edition, no split, no ack; Flag=5 means with ack;
Flag=7 means split + ack (the standard's own example for Flag=7)".
"""

from __future__ import annotations

import pytest

from forecasting.errors import UnknownStandardError
from forecasting.standards.hj212_codes import Hj212Error
from forecasting.standards.hj212_flag import Hj212Flag, decode_flag, encode_flag


@pytest.mark.parametrize(
    ("value", "version", "split", "ack"),
    [
        pytest.param(4, 1, False, False, id="Flag=4: 2017, no split, no ack"),
        pytest.param(5, 1, False, True, id="Flag=5: with ack"),
        pytest.param(6, 1, True, False, id="Flag=6: split"),
        pytest.param(7, 1, True, True, id="Flag=7: split + ack"),
        pytest.param(0, 0, False, False, id="Flag=0: HJ/T 212-2005"),
        pytest.param(1, 0, False, True, id="Flag=1: 2005 with ack"),
    ],
)
def test_decode_flag_table3(value: int, version: int, split: bool, ack: bool) -> None:
    assert decode_flag(value) == Hj212Flag(value, version, split, ack)
    assert encode_flag(version=version, split=split, ack=ack) == Hj212Flag(
        value, version, split, ack
    )


def test_encode_flag_default_is_2017_without_split_or_ack() -> None:
    assert encode_flag().value == 4


@pytest.mark.parametrize("value", [-1, 256])
def test_decode_flag_range_edges_rejected(value: int) -> None:
    with pytest.raises(Hj212Error, match=r"must be an integer 0–255") as info:
        decode_flag(value)
    assert info.value.qn_rtn == 6


@pytest.mark.parametrize("value", [8, 255])
def test_decode_flag_unknown_version_rejected(value: int) -> None:
    # 8 = version 2 (000010): the lowest unknown version; 255 = version 63, the highest.
    with pytest.raises(Hj212Error, match=r"protocol version (2|63); known versions: 0 \(HJ/T"):
        decode_flag(value)


def test_encode_flag_unknown_version() -> None:
    with pytest.raises(UnknownStandardError, match=r"protocol version 2.*0, 1"):
        encode_flag(version=2)
