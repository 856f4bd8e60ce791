"""The HJ 212-2017 listener: framing, answers byte for byte, acks after commit, readers unblocked.

Quoted from shared/docs/standards.md §8 (HJ 212-2017, S5):
* §8.1 表2: "## + LLLL + <data segment> + CCCC + \\r\\n"; "数据段 | chars | 0–1024".
* §8.1 表3: "A = 1: the command requires an acknowledgement."
* §8.2: "CRC 校验 | hex | 4 | CRC16 of the data segment only;
  '接收到一条命令，如果 CRC 错误，执行结束'".
* §8.3 表7: "2 请求被拒绝 | 3 PW 错 | 4 MN 错 | 6 Flag 错 | 9 CRC 校验错误"; 表9: "9011 请求应答",
  "9014 数据应答"; 表5: "91 系统交互".
* §8.4 examples 1, 2 and 5, verbatim below. Example 2's defects ("Flag=7 claims a split message,
  but there are no PNUM/PNO fields") make it a negative test.

Every live test binds 127.0.0.1 on an ephemeral port and ends by itself within seconds.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecasting.hj212_protocol import decide, max_frame_bytes, split_frames
from forecasting.hj212_server import Hj212Server, Hj212ServerConfig
from forecasting.ingest.hj212 import HJ212_AVAILABLE_LAG
from forecasting.ingest.hj212_partners import Hj212Partners, read_hj212_partners
from forecasting.standards.hj212 import build_packet, parse_packet
from forecasting.standards.hj212_cp import Hj212DataArea, Hj212Item
from forecasting.standards.hj212_crc import crc16_hj212, format_crc
from forecasting.standards.hj212_responses import build_data_ack, build_qn_response
from forecasting.storage import Store, write_transaction
from forecasting.storage.observations import write_observations

MN = "010000A8900016F000169DC0"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# standards.md §8.4, verbatim.
EXAMPLE_1 = (  # the standard's own example (附录A): set real-time interval, Flag=5, CRC 1C80
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80\r\n"
)
EXAMPLE_2 = (  # air real-time packet with defects; CRC c0c1
    "##0453QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
    "CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
    "a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
    "a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
    "a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,"
    "a01008-Flag=N;a34001-Rtd=217,a34001-Flag=N;&&c0c1\r\n"
)
EXAMPLE_5 = (  # constructed hourly packet, Flag=4 (no acknowledgement), CRC F3C1
    "##0278QN=20261123090000000;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20261123080000;a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;a21005-Avg=0.6,a21005-Flag=N;"
    "a05024-Avg=52,a05024-Flag=N&&F3C1\r\n"
)
EXAMPLE_5_BAD_CRC = EXAMPLE_5.replace("&&F3C1", "&&F3C2")

PARTNERS = f"""
[[partner]]
mn = "{MN}"
station = "Dongsi"
[partner.units]
a34004 = "ug/m3"
a34002 = "ug/m3"
a21026 = "ug/m3"
a21004 = "ug/m3"
a21005 = "mg/m3"
a05024 = "ug/m3"
"""


def _hourly(value: float, *, hour: int = 9, flag: int = 5, cn: str = "2061") -> str:
    """An hourly upload (A=1 asks for 9014) of PM2.5."""
    area = Hj212DataArea(
        datetime(2026, 11, 23, hour, tzinfo=SHANGHAI), (Hj212Item("a34004", {"Avg": value}, "N"),)
    )
    return build_packet(
        qn=f"20261123{hour:02d}0100000", st="22", cn=cn, pw="123456", mn=MN, flag=flag, cp=area
    )


def _qn_answer(qn: str, pw: str, qn_rtn: int) -> str:
    """9011 built independently of the listener: ST 91, echoed QN/PW/MN, Flag=4, CP QnRtn."""
    area = Hj212DataArea(params={"QnRtn": str(qn_rtn)})
    return build_packet(qn=qn, st="91", cn="9011", pw=pw, mn=MN, flag=4, cp=area)


@pytest.fixture
def partners(tmp_path: Path) -> Hj212Partners:
    path = tmp_path / "partners.toml"
    path.write_text(PARTNERS, encoding="utf-8")
    return read_hj212_partners(path)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    opened.upsert_stations(pd.DataFrame({"station": ["Dongsi"], "network": ["air"]}))
    return opened


# --- framing (pure) ---------------------------------------------------------------------------


def test_max_frame_is_header_length_1024_crc_crlf() -> None:
    # 表2: "##" (2) + LLLL (4) + data segment 0-1024 + CRC (4) + CR LF (2).
    assert max_frame_bytes() == 2 + 4 + 1024 + 4 + 2


@pytest.mark.parametrize(
    ("size", "framed"),
    [(1024, True), (1025, False)],  # both edges of the 0-1024 data segment
)
def test_frame_size_edges(size: int, framed: bool) -> None:
    packet = b"##%04d" % size + b"x" * size + b"ABCD\r\n"
    frames, dropped, rest = split_frames(packet + EXAMPLE_1.encode())
    assert frames == ([packet] if framed else []) + [EXAMPLE_1.encode()]
    assert [len(d) for d, _ in dropped] == ([] if framed else [len(packet)])
    assert rest == b""


@pytest.mark.parametrize(
    ("stream", "frames", "dropped", "rest"),
    [
        (b"junk" + EXAMPLE_1.encode(), [EXAMPLE_1.encode()], [b"junk"], b""),
        (EXAMPLE_1.encode()[:40], [], [], EXAMPLE_1.encode()[:40]),
        (b"##01x" + EXAMPLE_1.encode(), [EXAMPLE_1.encode()], [b"##01x"], b""),
        (b"noise\r\n##", [], [b"noise\r\n"], b"##"),
        (b"abc##012", [], [b"abc"], b"##012"),
        (
            EXAMPLE_1.encode()[:50] + EXAMPLE_1.encode(),
            [EXAMPLE_1.encode()],
            [EXAMPLE_1.encode()[:50]],
            b"",
        ),
        (b"\r\n" + EXAMPLE_1.encode() * 2, [EXAMPLE_1.encode()] * 2, [], b""),
    ],
    ids=["garbage", "partial", "bad-length", "trailing-hash", "partial-header", "truncated", "two"],
)
def test_split_frames(
    stream: bytes, frames: list[bytes], dropped: list[bytes], rest: bytes
) -> None:
    got_frames, got_dropped, got_rest = split_frames(stream)
    assert got_frames == frames
    assert [d for d, _ in got_dropped] == dropped
    assert got_rest == rest


def test_no_crlf_within_the_maximum_is_dropped_and_the_buffer_stays_bounded() -> None:
    frames, dropped, rest = split_frames(b"##0100" + b"x" * 5000)
    assert frames == []
    assert rest == b""
    assert "without CR LF" in dropped[0][1]


@given(
    st.lists(st.sampled_from([EXAMPLE_1, EXAMPLE_2, EXAMPLE_5]), min_size=1, max_size=5),
    st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=20),
)
def test_framing_does_not_depend_on_how_tcp_splits_the_stream(
    packets: list[str], cuts: list[int]
) -> None:
    stream = "".join(packets).encode()
    frames: list[bytes] = []
    rest, pos = b"", 0
    for cut in [*cuts, len(stream)]:
        got, dropped, rest = split_frames(rest + stream[pos : pos + cut])
        assert dropped == []
        assert len(rest) < max_frame_bytes()
        frames += got
        pos += cut
    assert frames == [p.encode() for p in packets]
    assert rest == b""


# --- answers (pure) --------------------------------------------------------------------------


def test_example_1_request_is_refused_with_qnrtn_2(partners: Hj212Partners) -> None:
    decision = decide(EXAMPLE_1.encode(), partners)
    # A passive central station executes no field-station command: 表7 "2 请求被拒绝".
    assert decision.answer == _qn_answer("20160801085857223", "100000", 2)
    assert decision.answer == build_qn_response(parse_packet(EXAMPLE_1), 2)
    assert decision.packet is None


def test_example_1_from_an_unknown_mn_gets_qnrtn_4(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text(PARTNERS.replace(MN, "010000A8900016F0001699FF"), encoding="utf-8")
    decision = decide(EXAMPLE_1.encode(), read_hj212_partners(path))
    assert decision.answer == _qn_answer("20160801085857223", "100000", 4)  # "4 MN 错"
    assert decision.reject is not None
    assert decision.reject[0] == "MN"


def test_example_2_is_refused_with_qnrtn_6_flag_error(partners: Hj212Partners) -> None:
    decision = decide(EXAMPLE_2.encode(), partners)
    # "Flag=7 claims a split message, but there are no PNUM/PNO fields": 表7 "6 Flag 错".
    assert decision.answer == _qn_answer("20160801085000001", "123456", 6)
    assert decision.reject is not None
    assert decision.reject[0] == "Flag"


def test_bad_crc_is_answered_with_qnrtn_9(partners: Hj212Partners) -> None:
    decision = decide(EXAMPLE_5_BAD_CRC.encode(), partners)
    expected = _qn_answer("20261123090000000", "123456", 9)  # "9 CRC 校验错误"
    assert decision.answer == expected
    assert decision.packet is None  # "如果 CRC 错误，执行结束": nothing is stored
    # The answer carries its own correct CRC16 (附录A) over its data segment.
    segment = expected[6:-6]
    assert expected[-6:-2] == format_crc(crc16_hj212(segment))
    assert decide(EXAMPLE_5_BAD_CRC.encode(), partners, answer_crc_errors=False).answer is None


def test_example_5_is_stored_without_acknowledgement(partners: Hj212Partners) -> None:
    decision = decide(EXAMPLE_5.encode(), partners)
    assert decision.packet is not None
    assert decision.packet.cn == "2061"
    assert decision.answer is None
    assert decision.ack is None


def test_upload_with_flag_a_gets_9014_after_commit(partners: Hj212Partners) -> None:
    packet = _hourly(40.0)
    decision = decide(packet.encode(), partners)
    assert decision.answer is None
    assert decision.ack == build_data_ack(parse_packet(packet))
    assert ";ST=91;CN=9014;" in decision.ack
    assert ";Flag=4;CP=&&&&" in decision.ack


@pytest.mark.parametrize(("cn", "answered"), [("2081", True), ("9014", False)])
def test_other_uploads_and_answers(partners: Hj212Partners, cn: str, answered: bool) -> None:
    packet = build_packet(
        qn="20261123090000000",
        st="91" if cn == "9014" else "22",
        cn=cn,
        pw="123456",
        mn=MN,
        flag=5,
    )
    decision = decide(packet.encode(), partners)
    assert decision.packet is None
    assert decision.answer == (build_data_ack(parse_packet(packet)) if answered else None)


def test_wrong_password_gets_qnrtn_3(tmp_path: Path) -> None:
    path = tmp_path / "pw.toml"
    path.write_text(
        PARTNERS.replace('station = "Dongsi"', 'station = "Dongsi"\npassword = "654321"')
    )
    decision = decide(_hourly(1.0).encode(), read_hj212_partners(path))
    assert decision.answer == _qn_answer("20261123090100000", "123456", 3)  # "3 PW 错"


def test_garbage_cannot_be_answered(partners: Hj212Partners) -> None:
    decision = decide(b"##0004abcdEFGH\r\n", partners)
    assert decision.answer is None
    assert decision.reject is not None


# --- live listener ---------------------------------------------------------------------------


async def _answers(port: int, data: bytes, count: int) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        return [await asyncio.wait_for(reader.readline(), 5) for _ in range(count)]
    finally:
        writer.close()


def _writer(store: Store) -> functools.partial[object]:
    return functools.partial(store.write_observations, available_lag=HJ212_AVAILABLE_LAG)


def test_listener_answers_the_standard_examples_byte_for_byte(
    partners: Hj212Partners, store: Store
) -> None:
    async def scenario() -> list[bytes]:
        config = Hj212ServerConfig(port=0, batch_packets=10, batch_seconds=0.05)
        async with Hj212Server(partners, _writer(store), config=config) as server:
            stream = EXAMPLE_1 + EXAMPLE_2 + EXAMPLE_5_BAD_CRC + EXAMPLE_5 + _hourly(40.0)
            return await _answers(server.port, stream.encode(), 4)

    answers = [a.decode() for a in asyncio.run(scenario())]
    assert answers == [
        _qn_answer("20160801085857223", "100000", 2),
        _qn_answer("20160801085000001", "123456", 6),
        _qn_answer("20261123090000000", "123456", 9),
        build_data_ack(parse_packet(_hourly(40.0))),
    ]
    stored = store.read_observations().set_index(["variable", "valid_at"])["value"]
    assert stored[("pm25", pd.Timestamp("2026-11-23 00:00", tz="UTC"))] == 38.0  # example 5
    assert stored[("pm25", pd.Timestamp("2026-11-23 01:00", tz="UTC"))] == 40.0
    assert len(stored) == 7


def test_ack_and_data_only_after_commit_and_readers_are_not_blocked(
    partners: Hj212Partners, store: Store
) -> None:
    in_transaction, release = threading.Event(), threading.Event()

    def slow_writer(frame: pd.DataFrame, *, ingested_at: datetime) -> object:
        with write_transaction(store.engine) as connection:
            summary = write_observations(
                connection, frame, ingested_at=ingested_at, available_lag=HJ212_AVAILABLE_LAG
            )
            in_transaction.set()
            release.wait(10)  # hold the write transaction open
        return summary

    async def scenario() -> tuple[pd.DataFrame, float, bool, bytes, pd.DataFrame]:
        config = Hj212ServerConfig(port=0, batch_packets=1, batch_seconds=30)
        async with Hj212Server(partners, slow_writer, config=config) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                writer.write(_hourly(40.0).encode())
                await writer.drain()
                assert await asyncio.to_thread(in_transaction.wait, 5)
                started = time.monotonic()
                during = await asyncio.wait_for(asyncio.to_thread(store.read_observations), 5)
                elapsed = time.monotonic() - started
                try:
                    await asyncio.wait_for(reader.readline(), 0.3)
                    early = True
                except TimeoutError:
                    early = False
            finally:
                release.set()
            ack = await asyncio.wait_for(reader.readline(), 5)
            after = await asyncio.to_thread(store.read_observations)
            writer.close()
        return during, elapsed, early, ack, after

    during, elapsed, early, ack, after = asyncio.run(scenario())
    assert during.empty  # the batch's transaction is open: nothing visible yet
    assert elapsed < 2.0  # and the reader did not wait for the writer
    assert not early  # no 9014 before the commit
    assert ack.decode() == build_data_ack(parse_packet(_hourly(40.0)))
    assert after["value"].tolist() == [40.0]


def test_shutdown_stores_and_acknowledges_pending_packets(
    partners: Hj212Partners, store: Store
) -> None:
    async def scenario() -> bytes:
        config = Hj212ServerConfig(port=0, batch_packets=1000, batch_seconds=60)
        server = Hj212Server(partners, _writer(store), config=config)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(_hourly(41.0).encode())
            await writer.drain()
            while server.stats.packets < 1:
                await asyncio.sleep(0.01)
            assert store.read_observations().empty  # still pending
            closing = asyncio.create_task(server.aclose())
            ack = await asyncio.wait_for(reader.readline(), 5)
            await closing
        return ack

    ack = asyncio.run(scenario())
    assert ack.decode() == build_data_ack(parse_packet(_hourly(41.0)))
    assert store.read_observations()["value"].tolist() == [41.0]


def test_garbage_and_oversize_packets_are_dropped_and_serving_goes_on(
    partners: Hj212Partners, store: Store
) -> None:
    async def scenario() -> tuple[list[bytes], int]:
        config = Hj212ServerConfig(port=0, batch_seconds=0.05)
        async with Hj212Server(partners, _writer(store), config=config) as server:
            noise = b"\x00\xff garbage " * 300 + b"##2000" + b"y" * 3000 + b"\r\n"
            answers = await _answers(server.port, noise + EXAMPLE_1.encode(), 1)
            return answers, server.stats.dropped_bytes

    answers, dropped = asyncio.run(scenario())
    assert answers == [build_qn_response(parse_packet(EXAMPLE_1), 2).encode()]
    assert dropped > 3000


def test_max_packets_ends_the_run(partners: Hj212Partners, store: Store) -> None:
    async def scenario() -> int:
        config = Hj212ServerConfig(port=0, max_packets=2, duration=10, batch_seconds=0.05)
        server = Hj212Server(partners, _writer(store), config=config)
        async with server:
            serving = asyncio.create_task(server.serve())
            await _answers(server.port, (_hourly(1.0, hour=9) + _hourly(2.0, hour=10)).encode(), 2)
            stats = await asyncio.wait_for(serving, 5)
        return stats.packets

    assert asyncio.run(scenario()) == 2
    assert store.read_observations()["value"].tolist() == [1.0, 2.0]


def test_failed_write_is_not_acknowledged_and_goes_to_quarantine(
    partners: Hj212Partners,
) -> None:
    rejected: list[pd.DataFrame] = []

    def broken(frame: pd.DataFrame, *, ingested_at: datetime) -> object:
        raise OSError("disk full")

    async def scenario() -> list[bytes]:
        config = Hj212ServerConfig(port=0, batch_packets=1)
        async with Hj212Server(
            partners, broken, config=config, quarantine=rejected.append
        ) as server:
            return await _answers(server.port, (_hourly(5.0) + EXAMPLE_1).encode(), 1)

    answers = asyncio.run(scenario())
    assert answers == [build_qn_response(parse_packet(EXAMPLE_1), 2).encode()]  # no 9014 first
    report = pd.concat(rejected)
    assert report["column"].tolist() == ["store"]
    assert "disk full" in report["reason"].iloc[0]
    assert report["value"].iloc[0] == _hourly(5.0).rstrip("\r\n")
