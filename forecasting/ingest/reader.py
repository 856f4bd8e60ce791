"""Read a source file into columns with line numbers, and parse its cells.

Every row keeps the physical line it came from (1-based, the header is line
1), so each problem can be reported as ``FILE:LINE column COL``. CSV files
(plain or ``.gz``/``.bz2``) are read by the pyarrow CSV reader with every
column as text; a line with the wrong number of fields is not an error of the
whole file but a rejected row. Parquet files keep their column types; their
"line" is the row number plus one, as if they were written to CSV with a
header.

The cell parsers are vectorised (pyarrow compute and pandas): they return the
parsed values and a mask of the cells that could not be parsed, never raise
on a single bad cell.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from forecasting.errors import InputDataError

__all__ = [
    "MISSING_TOKENS",
    "RawTable",
    "check_timezone",
    "parse_numbers",
    "parse_text",
    "parse_times",
    "read_raw_table",
]

MISSING_TOKENS = ("", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "-", "--")
"""Cell contents that mean "no value" (the Beijing file writes an empty field, UCI ``NA``)."""

_NUMBER = r"^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$"
_OFFSET = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
_PARQUET = (".parquet", ".pq")


@dataclass(frozen=True)
class RawTable:
    """A source file as columns, with the line of every row.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    columns : tuple of str
        Header names as written (stripped).
    table : pyarrow.Table
        The data rows (CSV: every column text).
    lines : ndarray of int64
        Physical line of each row (header = line 1).
    malformed : list of tuple
        ``(line, text, reason)`` of lines that could not be split into the
        header's number of fields.
    """

    path: Path
    columns: tuple[str, ...]
    table: pa.Table
    lines: npt.NDArray[np.int64]
    malformed: list[tuple[int, str, str]]

    def column(self, name: str) -> pa.ChunkedArray:
        """Return one column by its header name."""
        return self.table.column(self.columns.index(name))


def read_raw_table(path: str | Path) -> RawTable:
    """Read a CSV (optionally compressed) or Parquet file.

    Parameters
    ----------
    path : str or path-like
        The file. ``.parquet``/``.pq`` is read as Parquet, anything else as
        CSV (``.gz``, ``.bz2`` decompressed).

    Returns
    -------
    RawTable
        Columns, line numbers and malformed lines. Blank lines are skipped.

    Raises
    ------
    forecasting.errors.InputDataError
        If the file cannot be read, is empty, or its header repeats a name.
    """
    file = Path(path)
    if not file.is_file():
        raise InputDataError(f"{file}: no such file")
    if file.name.lower().endswith(_PARQUET):
        return _read_parquet(file)
    table, malformed = _read_csv(file, threads=True)
    if malformed and any(line is None for line, _, _ in malformed):
        table, malformed = _read_csv(file, threads=False)  # to learn the line numbers
    columns = tuple(name.strip().lstrip("\ufeff") for name in table.column_names)
    _check_header(file, columns)
    n_lines = table.num_rows + len(malformed) + 1
    bad = np.array([line for line, _, _ in malformed], dtype=np.int64)
    lines = np.setdiff1d(np.arange(2, n_lines + 1, dtype=np.int64), bad, assume_unique=True)
    _refuse_multiline_values(file, table, lines)
    blank = _blank_rows(table)
    if blank.any():
        keep = ~blank
        table = table.filter(pa.array(keep))
        lines = lines[keep]
    rows = [(int(line or 0), text, reason) for line, text, reason in malformed]
    return RawTable(file, columns, table, lines, rows)


def _read_csv(file: Path, *, threads: bool) -> tuple[pa.Table, list[tuple[int | None, str, str]]]:
    malformed: list[tuple[int | None, str, str]] = []

    def _invalid(row: pacsv.InvalidRow) -> str:
        malformed.append(
            (
                row.number,
                row.text,
                f"malformed line: {row.actual_columns} fields, the header has "
                f"{row.expected_columns}",
            )
        )
        return "skip"

    header = _header(file)
    try:
        table = pacsv.read_csv(
            file,
            read_options=pacsv.ReadOptions(use_threads=threads),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=_invalid, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{file}: cannot read as CSV ({exc})") from None
    return table, malformed


def _header(file: Path) -> list[str]:
    try:
        with pa.input_stream(str(file), compression="detect") as stream:
            head = stream.read(1 << 16)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputDataError(f"{file}: cannot read ({exc})") from None
    lines = head.decode("utf-8-sig", errors="replace").splitlines()
    if not lines or not lines[0].strip():
        raise InputDataError(f"{file}:1: the file is empty; expected a header line")
    return next(csv.reader([lines[0]]))


def _read_parquet(file: Path) -> RawTable:
    try:
        table = pq.read_table(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputDataError(f"{file}: cannot read as Parquet ({exc})") from None
    columns = tuple(str(name).strip() for name in table.column_names)
    _check_header(file, columns)
    lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return RawTable(file, columns, table, lines, [])


def _check_header(file: Path, columns: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise InputDataError(f"{file}:1: column {name!r} appears twice in the header")
        seen.add(name)


def _refuse_multiline_values(file: Path, table: pa.Table, lines: npt.NDArray[np.int64]) -> None:
    for name, column in zip(table.column_names, table.columns, strict=True):
        breaks = pc.or_(pc.match_substring(column, "\n"), pc.match_substring(column, "\r"))
        spans = np.asarray(breaks, dtype=bool)
        if spans.any():
            line = int(lines[np.flatnonzero(spans)[0]])
            raise InputDataError(
                f"{file}:{line}: column {name.strip()!r}: a quoted value spans several lines; "
                "ecocast reads one record per line, so line numbers would be wrong: remove "
                "the line break from the value"
            )


def _blank_rows(table: pa.Table) -> npt.NDArray[np.bool_]:
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        if not pa.types.is_string(column.type):
            return np.zeros(table.num_rows, dtype=bool)
        blank &= np.asarray(pc.equal(pc.utf8_trim_whitespace(column), ""), dtype=bool)
        if not blank.any():
            break
    return blank


def _missing(text: pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    stripped = pc.utf8_trim_whitespace(text)
    found = pc.is_in(stripped, value_set=pa.array(MISSING_TOKENS))
    return np.asarray(pc.fill_null(found, True), dtype=bool)


def parse_text(column: pa.ChunkedArray) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    """Return a column as stripped text and its missing mask.

    Parameters
    ----------
    column : pyarrow.ChunkedArray
        Any column; non-text types are cast to text.

    Returns
    -------
    text : pandas.Series
        Stripped text (empty where missing).
    missing : ndarray of bool
        True where the cell is empty or a :data:`MISSING_TOKENS` entry.
    """
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    text = pc.fill_null(pc.utf8_trim_whitespace(text), "")
    missing = _missing(text)
    return pd.Series(text.to_numpy(zero_copy_only=False), dtype=object), missing


def parse_numbers(
    column: pa.ChunkedArray,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Parse a column of numbers.

    Parameters
    ----------
    column : pyarrow.ChunkedArray
        Text or numeric column.

    Returns
    -------
    values : ndarray of float64
        The numbers; NaN where missing or invalid.
    invalid : ndarray of bool
        True where a cell holds something that is neither a number nor a
        missing token (e.g. ``"abc"``, ``"inf"``, ``"1,5"``).
    """
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False))
        values = values.astype(np.float64, copy=True)
        invalid = np.isinf(values)
        values[invalid] = np.nan
        return values, invalid
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    text = pc.fill_null(text, "")
    missing = _missing(text)
    numeric = np.asarray(pc.match_substring_regex(text, _NUMBER), dtype=bool)
    cleaned = pc.if_else(
        pa.array(numeric), pc.utf8_trim_whitespace(text), pa.scalar(None, pa.string())
    )
    values = np.asarray(
        pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    return values, ~numeric & ~missing


def check_timezone(tz: str) -> ZoneInfo:
    """Return the zone of an IANA name.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown name, with examples of valid ones.
    """
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputDataError(
            f"unknown time zone {tz!r}; use an IANA name such as 'Asia/Shanghai', "
            "'Asia/Urumqi' or 'UTC'"
        ) from None


def parse_times(
    column: pa.ChunkedArray, tz: str | None
) -> tuple[pd.Series, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Parse ISO 8601 timestamps to UTC.

    Stamps with an offset (``+08:00``, ``Z``) are exact. Stamps without one
    are local times in ``tz``; an ambiguous or non-existent local time (DST)
    is invalid.

    Parameters
    ----------
    column : pyarrow.ChunkedArray
        Text or timestamp column.
    tz : str or None
        IANA zone of naive stamps; None when none was declared.

    Returns
    -------
    times : pandas.Series
        ``datetime64[s, UTC]``; NaT where missing, invalid or naive without
        ``tz``.
    invalid : ndarray of bool
        Cells that are missing or cannot be parsed (or have fractions of a
        second, which the store does not keep).
    naive : ndarray of bool
        Readable local times without an offset (NaT and invalid when ``tz``
        is None; the caller decides whether that rejects the file).
    """
    zone = check_timezone(tz).key if tz is not None else None
    if pa.types.is_timestamp(column.type):
        series = pd.Series(column.to_pandas()).reset_index(drop=True)
        if series.dt.tz is not None:
            return _finish(_utc_micros(series), np.zeros(len(series), dtype=bool))
        naive = series.notna().to_numpy(dtype=bool)
        if zone is None:
            return _finish(np.full(len(series), np.datetime64("NaT", "us")), naive)
        local = series.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        return _finish(_utc_micros(local), naive)
    text, missing = parse_text(column)
    arrow_text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    stripped = pc.utf8_trim_whitespace(pc.fill_null(arrow_text, ""))
    has_offset = np.asarray(pc.match_substring_regex(stripped, _OFFSET), dtype=bool)
    micros = np.full(len(text), np.datetime64("NaT", "us"))
    if has_offset.any():
        parsed = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
        micros[has_offset] = _utc_micros(parsed)
    naive = ~has_offset & ~missing
    if naive.any():
        local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        naive[naive] = local.notna().to_numpy(dtype=bool)  # unreadable text is invalid, not naive
        if zone is not None:
            utc = local[local.notna()].dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            micros[naive] = _utc_micros(utc)
    return _finish(micros, naive)


def _utc_micros(times: pd.Series) -> npt.NDArray[np.datetime64]:
    utc = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return np.asarray(utc.to_numpy(dtype="datetime64[us]"))


def _finish(
    micros: npt.NDArray[np.datetime64], naive: npt.NDArray[np.bool_]
) -> tuple[pd.Series, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    missing = np.isnat(micros)
    seconds = micros.astype("datetime64[s]")
    fractional = ~missing & (seconds != micros)
    seconds[fractional] = np.datetime64("NaT")
    times = pd.Series(seconds).dt.tz_localize("UTC")
    return times, missing | fractional, naive
