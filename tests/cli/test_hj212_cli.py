"""``ecocast ingest hj212 FILE… --partners FILE`` and ``ecocast hj212 listen`` (bounded runs).

The packets are standards.md §8.4 example 5 (HJ 212-2017 CN 2061 hourly data, CRC F3C1) and the
standard's own example 1 (附录A, CN 1062, CRC 1C80), quoted verbatim. §8.3 表7: "9 CRC 校验错误",
"2 请求被拒绝"; 表9: "9014 数据应答".
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from forecasting.cli.hj212 import hj212_app, ingest_hj212_command
from forecasting.errors import InputDataError
from forecasting.standards.hj212 import parse_packet
from forecasting.standards.hj212_responses import build_qn_response
from forecasting.storage import Store

MN = "010000A8900016F000169DC0"
EXAMPLE_1 = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80\r\n"
)
EXAMPLE_5 = (
    "##0278QN=20261123090000000;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20261123080000;a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;a21005-Avg=0.6,a21005-Flag=N;"
    "a05024-Avg=52,a05024-Flag=N&&F3C1\r\n"
)
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


def _app() -> typer.Typer:
    """The two commands as the lead wires them: ``ecocast hj212 …`` and ``ecocast ingest hj212``."""
    app = typer.Typer()
    ingest = typer.Typer()
    ingest.command("hj212")(ingest_hj212_command)
    app.add_typer(ingest, name="ingest")
    app.add_typer(hj212_app, name="hj212")
    return app


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    partners = tmp_path / "partners.toml"
    partners.write_text(PARTNERS, encoding="utf-8")
    db = tmp_path / "store.sqlite"
    with Store.open(f"sqlite:///{db}") as store:
        store.upsert_stations(pd.DataFrame({"station": ["Dongsi"], "network": ["air"]}))
    packets = tmp_path / "packets.txt"
    packets.write_text(EXAMPLE_5 + EXAMPLE_5.replace("F3C1", "F3C2"), encoding="utf-8")
    return {"partners": partners, "db": db, "packets": packets, "data": tmp_path / "data"}


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(_app(), [str(a) for a in args])


def _observations(db: Path) -> pd.DataFrame:
    with Store.open(f"sqlite:///{db}") as store:
        return store.read_observations()


def test_ingest_hj212_file_twice(setup: dict[str, Path]) -> None:
    args = (
        "ingest",
        "hj212",
        setup["packets"],
        "--partners",
        setup["partners"],
        "--db",
        setup["db"],
        "--data-dir",
        setup["data"],
    )
    first = _invoke(*args)
    assert first.exit_code == 0, first.output
    assert "1 rejected item(s) listed in" in first.output
    assert len(_observations(setup["db"])) == 6
    reports = list((setup["data"] / "quarantine").glob("packets.txt.*.csv"))
    assert len(reports) == 1
    report = pd.read_csv(reports[0])
    assert report[["line", "column"]].values.tolist() == [[2, "CRC"]]
    second = _invoke(*args)
    assert second.exit_code == 0, second.output
    row = next(line for line in second.output.splitlines() if line.startswith("│ packets.txt"))
    # columns: file, packets, observations, new, revised, unchanged, rejected
    assert [cell.strip() for cell in row.split("│")[2:8]] == ["2", "6", "0", "0", "6", "1"]


def test_ingest_hj212_unknown_mn_is_an_error_naming_it(setup: dict[str, Path]) -> None:
    setup["partners"].write_text(PARTNERS.replace(MN, "AAAA"), encoding="utf-8")
    result = _invoke(
        "ingest",
        "hj212",
        setup["packets"],
        "--partners",
        setup["partners"],
        "--db",
        setup["db"],
        "--data-dir",
        setup["data"],
    )
    assert isinstance(result.exception, InputDataError)
    assert f"packets.txt:1: column 'MN': unknown HJ 212 device MN='{MN}'" in str(result.exception)
    assert _observations(setup["db"]).empty


def test_ingest_hj212_needs_the_partner_file(setup: dict[str, Path]) -> None:
    result = _invoke(
        "ingest", "hj212", setup["packets"], "--db", setup["db"], "--data-dir", setup["data"]
    )
    assert result.exit_code == 2
    assert "--partners" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _connect(port: int) -> socket.socket:
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_listen_stores_and_answers_then_stops_after_max_packets(setup: dict[str, Path]) -> None:
    port = _free_port()
    outcome: list[Result] = []
    args = (
        "hj212",
        "listen",
        "--port",
        port,
        "--partners",
        setup["partners"],
        "--db",
        setup["db"],
        "--data-dir",
        setup["data"],
        "--max-packets",
        "3",
        "--duration",
        "20",
        "--batch-seconds",
        "0.05",
    )
    thread = threading.Thread(target=lambda: outcome.append(_invoke(*args)))
    thread.start()
    try:
        with _connect(port) as client:
            bad = EXAMPLE_5.replace("F3C1", "F3C2")
            client.sendall((EXAMPLE_5 + bad + EXAMPLE_1).encode())
            stream = client.makefile("rb")
            answers = [stream.readline().decode() for _ in range(2)]
    finally:
        thread.join(20)
    assert not thread.is_alive()
    (result,) = outcome
    assert result.exit_code == 0, result.output
    assert answers == [
        build_qn_response(parse_packet(EXAMPLE_5), 9),  # 表7 "9 CRC 校验错误"
        build_qn_response(parse_packet(EXAMPLE_1), 2),  # 表7 "2 请求被拒绝"
    ]
    assert "3 packets from 1 connection(s): 6 observations stored" in result.output
    assert len(_observations(setup["db"])) == 6
    (report,) = (setup["data"] / "quarantine").glob("hj212-listen.*.csv")
    assert pd.read_csv(report)["column"].tolist() == ["CRC"]


def test_listen_with_a_duration_ends_without_clients(setup: dict[str, Path]) -> None:
    result = _invoke(
        "hj212",
        "listen",
        "--port",
        "0",
        "--partners",
        setup["partners"],
        "--db",
        setup["db"],
        "--data-dir",
        setup["data"],
        "--duration",
        "0.1",
    )
    assert result.exit_code == 0, result.output
    assert "0 packets from 0 connection(s)" in result.output


def test_listen_refuses_unregistered_partner_stations(setup: dict[str, Path]) -> None:
    setup["partners"].write_text(PARTNERS.replace("Dongsi", "Nowhere"), encoding="utf-8")
    result = _invoke(
        "hj212",
        "listen",
        "--port",
        "0",
        "--partners",
        setup["partners"],
        "--db",
        setup["db"],
        "--data-dir",
        setup["data"],
        "--duration",
        "0.1",
    )
    assert isinstance(result.exception, InputDataError)
    assert "'Nowhere'" in str(result.exception)
    assert "ecocast ingest stations" in str(result.exception)


def test_listen_default_partner_file_is_in_the_data_dir(setup: dict[str, Path]) -> None:
    result = _invoke(
        "hj212",
        "listen",
        "--port",
        "0",
        "--db",
        setup["db"],
        "--data-dir",
        setup["data"],
        "--duration",
        "0.1",
    )
    assert isinstance(result.exception, InputDataError)
    assert str(setup["data"].resolve() / "hj212_partners.toml") in str(result.exception)
