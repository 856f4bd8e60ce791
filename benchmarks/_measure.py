"""Benchmark helpers: run a command in a child process, time it, read its peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ECOCAST_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data"
BEIJING = SHARED_DATA / "air" / "beijing" / "observations.csv.gz"


@dataclass(frozen=True)
class Measurement:
    """Wall time [s] and peak resident memory [MiB] of one child process."""

    label: str
    wall_s: float
    peak_mib: float


def measure(label: str, argv: list[str]) -> Measurement:
    """Run ``argv`` in a fresh child process and measure it (raises if it fails)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(f'{wall} {peak}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], check=True, stdout=subprocess.PIPE, text=True
    )
    wall, peak = (float(x) for x in out.stdout.split()[-2:])
    return Measurement(label, wall, peak)


def python_snippet(code: str) -> list[str]:
    """Argv that runs a Python snippet in a fresh interpreter."""
    return [sys.executable, "-c", code]


def report(results: list[Measurement], baseline: Measurement) -> None:
    """Print each measurement beside the baseline."""
    print(f"{'what':<44} {'wall s':>8} {'peak MiB':>9} {'× baseline time':>16}")
    for m in [baseline, *results]:
        ratio = m.wall_s / baseline.wall_s
        print(f"{m.label:<44} {m.wall_s:8.2f} {m.peak_mib:9.0f} {ratio:16.2f}")


__all__ = ["BEIJING", "Measurement", "measure", "python_snippet", "report"]
