"""Load test of the HTTP API: the latest-forecast endpoint against a constant endpoint.

One run, on loopback:

1. seeds a temporary SQLite store (real Beijing stations and observations, a
   published persistence run; see ``_serve_seed.py``);
2. starts ``uvicorn serve.app:create_app --factory`` (one worker) in a subprocess,
   with ``ECOCAST_BENCH_ENDPOINTS=true`` so the app also serves
   ``/api/v1/_bench/constant?size=N``, a constant body of N bytes;
3. reads the body size N of ``/api/v1/forecasts/latest/stations/Dongsi/hourly``
   (6 pollutants × 80 leads with q10/q90);
4. drives each endpoint with 64 concurrent keep-alive connections for ``--seconds``
   (after a warm-up), alternating the two endpoints over ``--rounds`` rounds, and
   prints throughput, p50 and p99 latency per endpoint and the throughput ratio.

Targets (issue 6): latest-forecast throughput ≥ 0.7 × the constant endpoint's, and
p99 ≤ 50 ms. The load generator is a minimal asyncio HTTP/1.1 client (one process,
64 connections): on a 2-core machine a full client such as httpx costs more CPU per
request than the server does, and would measure itself. ``--client httpx`` uses
``httpx.AsyncClient`` instead. Run: ``.venv/bin/python benchmarks/serve_load.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from _serve_seed import seed_store

REPO_ROOT = Path(__file__).resolve().parents[1]
FORECAST = "/api/v1/forecasts/latest/stations/Dongsi/hourly"
CONSTANT = "/api/v1/_bench/constant?size={size}"
RATIO_TARGET = 0.7
P99_TARGET_MS = 50.0
_T = TypeVar("_T")


@dataclass(frozen=True)
class Result:
    """Requests completed, wall time [s], latencies [s] and server CPU time [s]."""

    label: str
    requests: int
    seconds: float
    latencies: np.ndarray
    server_cpu_s: float
    client_cpu_s: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000.0)

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e6

    @property
    def client_us_per_request(self) -> float:
        return self.client_cpu_s / self.requests * 1e6

    def __add__(self, other: Result) -> Result:
        return Result(
            self.label,
            self.requests + other.requests,
            self.seconds + other.seconds,
            np.concatenate([self.latencies, other.latencies]),
            self.server_cpu_s + other.server_cpu_s,
            self.client_cpu_s + other.client_cpu_s,
        )


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on uvloop when it is installed (a lighter client), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far [s] (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(url: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ECOCAST_DATABASE_URL": url,
        "ECOCAST_DATA_DIR": str(folder),
        "ECOCAST_BENCH_ENDPOINTS": "true",
    }
    argv = [
        sys.executable, "-m", "uvicorn", "serve.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(argv, cwd=folder, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"uvicorn exited with status {server.returncode}") from None
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("uvicorn did not answer /api/v1/health within 60 s")


async def _raw_worker(port: int, path: str, stop: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    try:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            status = int(head[9:12])
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")
            latencies.append(time.perf_counter() - start)
    finally:
        writer.close()


async def _httpx_load(port: int, path: str, stop: float, latencies: list[float], n: int) -> None:
    import httpx

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                response = await client.get(path)
                response.raise_for_status()
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(n)))


async def _drive(
    port: int, path: str, seconds: float, connections: int, client: str
) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    start = time.perf_counter()
    stop = start + seconds
    runs: list[Awaitable[None]]
    if client == "httpx":
        runs = [_httpx_load(port, path, stop, latencies, connections)]
    else:
        runs = [_raw_worker(port, path, stop, latencies) for _ in range(connections)]
    await asyncio.gather(*runs)
    return len(latencies), time.perf_counter() - start, latencies


def _measure(
    label: str, path: str, seconds: float, args: argparse.Namespace, server: int
) -> Result:
    cpu, own = _cpu_seconds(server), time.process_time()
    n, wall, latencies = _run(_drive(args.port, path, seconds, args.connections, args.client))
    return Result(
        label,
        n,
        wall,
        np.asarray(latencies),
        _cpu_seconds(server) - cpu,
        time.process_time() - own,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ecocast-serve-bench-"))
    server = None
    results: dict[str, Result] = {}
    try:
        url, run_id = seed_store(folder)
        args.port = _free_port()
        server = _start_server(url, folder, args.port)
        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}{FORECAST}") as response:
            size = len(response.read())
        paths = {"latest forecast": FORECAST, "constant": CONSTANT.format(size=size)}
        for label, path in paths.items():
            _measure(label, path, args.warmup, args, server.pid)
        for _ in range(args.rounds):  # alternate, so that drift hits both alike
            for label, path in paths.items():
                one = _measure(label, path, args.seconds, args, server.pid)
                results[label] = results[label] + one if label in results else one
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    forecast, trivial = results["latest forecast"], results["constant"]
    ratio = forecast.throughput / trivial.throughput
    print(
        f"run {run_id}, body {size} bytes, {args.connections} connections, "
        f"{args.rounds} × {args.seconds:g} s per endpoint, client {args.client}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'endpoint':<16} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'server CPU µs/req':>18} {'client CPU µs/req':>18}"
    )
    for r in (forecast, trivial):
        print(
            f"{r.label:<16} {r.requests:>9} {r.throughput:>7.0f} {r.percentile_ms(50):>7.2f} "
            f"{r.percentile_ms(99):>7.2f} {r.cpu_us_per_request:>18.0f} "
            f"{r.client_us_per_request:>18.0f}"
        )
    p99 = forecast.percentile_ms(99)
    print(
        f"throughput ratio {ratio:.2f} (target ≥ {RATIO_TARGET}); latest-forecast p99 "
        f"{p99:.1f} ms (target ≤ {P99_TARGET_MS:g} ms); server CPU ratio "
        f"{trivial.cpu_us_per_request / forecast.cpu_us_per_request:.2f}; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    met = ratio >= RATIO_TARGET and p99 <= P99_TARGET_MS
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
