"""Atomic file output: a file is either written whole or not at all.

Each writer writes to a temporary file in the destination's folder and renames it
into place (:func:`os.replace`, atomic on POSIX and Windows), so an interrupted run
never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from forecasting.errors import InputDataError

__all__ = ["atomic_path", "write_table_atomically"]


@contextmanager
def atomic_path(destination: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it there on success.

    On any exception the temporary file is removed and ``destination`` is untouched.

    Raises
    ------
    InputDataError
        If the destination's folder does not exist.
    """
    target = Path(destination)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputDataError(f"{target}: folder {folder} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_table_atomically(
    frame: pd.DataFrame, destination: str | Path, *, float_format: str | None = None
) -> None:
    """Write a frame as CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``), atomically.

    ``float_format`` (e.g. ``"%.6g"``) applies to CSV only; Parquet keeps full precision.

    Raises
    ------
    InputDataError
        If the suffix is not one of ``.csv``, ``.csv.gz``, ``.parquet``.
    """
    target = Path(destination)
    writers: dict[str, Callable[[Path], object]] = {
        ".parquet": lambda p: frame.to_parquet(p, index=False),
        ".csv": lambda p: frame.to_csv(p, index=False, float_format=float_format),
        ".gz": lambda p: frame.to_csv(
            p, index=False, compression="gzip", float_format=float_format
        ),
    }
    writer = writers.get(target.suffix)
    if writer is None or (target.suffix == ".gz" and not target.name.endswith(".csv.gz")):
        raise InputDataError(f"{target}: write .csv, .csv.gz or .parquet")
    with atomic_path(target) as tmp:
        writer(tmp)
