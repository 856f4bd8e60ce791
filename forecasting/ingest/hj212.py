"""HJ 212-2017 packets to tidy observations: from a file, or from packets a listener received.

What becomes an observation
---------------------------
Only the ``Avg`` of hourly data (CN 2061) is stored, as the variable of its
factor code (``a34004-Avg`` → ``pm25``), because ecocast's observation series
are hourly means. The other data commands are valid but are not hourly means
and are counted, not stored: real-time values (CN 2011, ``Rtd``, a sampling
instant), minute data (CN 2051) and daily data (CN 2031, whose 00:00 start
would collide with the hourly mean of 00:00–01:00). ``Min``, ``Max`` and
``Cou`` of hourly data are not stored either.

Time
----
``DataTime`` of hourly data is the START of the hour (HJ 212-2017 表4; 附录C
C.16–C.18): ``DataTime=20160801080000`` on CN 2061 is the 08:00–09:00 mean.
ecocast stamps an hour by its start too (README glossary), so ``valid_at`` is
``DataTime`` read in the partner's zone and converted to UTC, without a shift:
08:00 Asia/Shanghai → 00:00 UTC. Hour-ending publishing labels are converted
at the publishing edge, not here.

Flags
-----
HJ 212 data flags (表8) become QC bits (:data:`HJ212_QC_FLAGS`): N none; M
(维护) MAINTENANCE; C (校准) and D (故障) and S (手工输入的设定值) MAINTENANCE,
since the instrument was not measuring ambient air normally; F (停运) and B
(与数采仪通讯异常) STALE, the value was not a current reading; T (超过测量上限)
CEILING. All of these are in ``EXCLUDE_DEFAULT``. The value is kept as sent.

Rejected, listed in the quarantine report (``REJECT_COLUMNS``): a line that is
not a valid packet (bad CRC, length, field; the column is the field and the
reason gives the character position and the ``QnRtn``), a wrong password, a
data packet with values but no ``DataTime``, a factor code the partner has not
configured (neither in ``units`` nor ``ignore``), and an earlier, different
value of a (station, variable, hour) that a later packet re-sent (the later
one is stored; identical re-sends are merged). An unknown MN rejects the whole
file.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 表3 (MN, PW), 表4 (DataTime),
   表8 (data flags), 表9 (CN 2011, 2031, 2051, 2061), 附录C C.16–C.18; data file
   ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from forecasting.ingest.hj212_partners import Hj212Partner, Hj212Partners
from forecasting.ingest.parsed import (
    OBSERVATION_COLUMNS,
    REJECT_COLUMNS,
    ParsedFile,
    RejectLog,
    check_stations,
    file_error,
    source_id,
)
from forecasting.ingest.progress import STAGES, ProgressCallback, ProgressEvent, no_progress
from forecasting.ingest.quarantine import write_quarantine_report
from forecasting.ingest.run import STORE_COLUMNS, IngestResult, ObservationStore
from forecasting.ingest.units import conversion_factor
from forecasting.qc.apply import apply_qc
from forecasting.qc.flags import QcFlag
from forecasting.qc.rules import QcRules
from forecasting.standards.hj212 import Hj212Packet, parse_packet
from forecasting.standards.hj212_codes import Hj212Error, Hj212Standard, read_hj212
from forecasting.standards.hj212_cp import HJ212_TIMEZONE
from forecasting.standards.hj212_observations import packet_observations

__all__ = [
    "HJ212_AVAILABLE_LAG",
    "HJ212_OBSERVED",
    "HJ212_QC_FLAGS",
    "Hj212IngestResult",
    "Hj212Observations",
    "hj212_observations",
    "ingest_hj212_files",
    "parse_hj212_file",
    "read_packet_lines",
]

HJ212_OBSERVED: Final = MappingProxyType({"2061": "avg"})
"""Data command → statistic stored as the observation (hourly ``Avg`` only)."""

HJ212_QC_FLAGS: Final = MappingProxyType(
    {
        "N": QcFlag(0),
        "M": QcFlag.MAINTENANCE,
        "C": QcFlag.MAINTENANCE,
        "D": QcFlag.MAINTENANCE,
        "S": QcFlag.MAINTENANCE,
        "F": QcFlag.STALE,
        "B": QcFlag.STALE,
        "T": QcFlag.CEILING,
    }
)
"""HJ 212-2017 表8 data flag → QC bits (module docstring)."""

_REJECT = ("line", "column", "value", "reason")

HJ212_AVAILABLE_LAG: Final = timedelta(hours=1)
"""An hourly mean is known at the end of its hour (``valid_at`` + 1 h)."""


@dataclass(frozen=True)
class Hj212Observations:
    """Observations of a batch of packets, and what was not stored.

    Attributes
    ----------
    observations : pandas.DataFrame
        ``OBSERVATION_COLUMNS`` of :mod:`forecasting.ingest.parsed` (``station``,
        ``variable``, ``valid_at`` UTC hour start, ``value`` canonical units,
        ``qc_flags`` from 表8 flags, ``source``, ``line``), plus ``mn``.
        ``attrs["standard_id"]`` is ``"cn_mee_hj212_2017"``.
    rejects : pandas.DataFrame
        ``line``, ``column``, ``value``, ``reason`` of rejected values.
    skipped : mapping of str to int
        Packets not stored, by CN (real-time, minute, daily, non-data commands).
    ignored : int
        Values of codes the partners list under ``ignore``.
    """

    observations: pd.DataFrame
    rejects: pd.DataFrame
    skipped: Mapping[str, int]
    ignored: int


def _row_counts(packets: Sequence[Hj212Packet], std: Hj212Standard) -> np.ndarray:
    """Rows :func:`packet_observations` makes per packet (same rule: statistic fields)."""
    names = {name for name, f in std.item_fields.items() if f.statistic}
    return np.array(
        [sum(name in names for item in p.cp.items for name in item.values) for p in packets],
        dtype=np.int64,
    )


def _partner_rows(
    partner: Hj212Partner,
    packets: Sequence[Hj212Packet],
    lines: np.ndarray,
    std: Hj212Standard,
    flag_map: Mapping[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Observation rows and rejects of one partner's hourly packets."""
    rows = packet_observations(
        packets, partner.units, minute_interval=partner.minute_interval, standard=std
    )
    rows["line"] = np.repeat(lines, _row_counts(packets, std))
    rows = rows[rows["statistic"].to_numpy() == HJ212_OBSERVED["2061"]]
    codes = rows["code"].to_numpy(dtype=object)
    configured = np.isin(codes, list(partner.units))
    ignored = np.isin(codes, list(partner.ignore))
    unknown = rows[~configured & ~ignored]
    rejects = pd.DataFrame(
        {
            "line": unknown["line"].to_numpy(),
            "column": unknown["code"].astype(str).to_numpy() + "-Avg",
            "value": unknown["value"].astype(str).to_numpy(),
            "reason": [
                f"factor code {c!r} of MN {partner.mn} ({partner.station}) has no configured "
                f"unit; add it to [partner.units] or to ignore in {partner.where}"
                for c in unknown["code"]
            ],
        }
    )
    kept = rows[configured]
    index, uniques = pd.factorize(kept["code"].to_numpy(dtype=object))
    factors = np.array(
        [conversion_factor(std.factors[c].variable, partner.units[c]) for c in uniques],
        dtype=np.float64,
    )
    flags = kept["flag"].map({k: int(v) for k, v in flag_map.items()}).fillna(0)
    frame = pd.DataFrame(
        {
            "station": partner.station,
            "variable": kept["variable"].to_numpy(dtype=object),
            "valid_at": pd.DatetimeIndex(kept["interval_start"]).as_unit("s"),
            "value": kept["value"].to_numpy(dtype=np.float64) * factors[index],
            "qc_flags": flags.to_numpy(dtype=np.int64),
            "line": kept["line"].to_numpy(dtype=np.int64),
            "mn": partner.mn,
        }
    )
    return frame, rejects, int(ignored.sum())


def _merge_resent(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the last value of a repeated (station, variable, valid_at); reject earlier changes."""
    keys = ["station", "variable", "valid_at"]
    later = frame.duplicated(keys, keep="last").to_numpy()
    if not later.any():
        return frame, pd.DataFrame(columns=list(_REJECT))
    last = frame[~later]
    earlier = frame[later].merge(last, on=keys, suffixes=("", "_last"))
    differs = (earlier["value"] != earlier["value_last"]) | (
        earlier["qc_flags"] != earlier["qc_flags_last"]
    )
    changed = earlier[differs.to_numpy()]
    rejects = pd.DataFrame(
        {
            "line": changed["line"].to_numpy(),
            "column": changed["variable"].astype(str).to_numpy(),
            "value": changed["value"].astype(str).to_numpy(),
            "reason": [
                f"superseded by line {n} (value {v!r}), which re-sent the same station, "
                "variable and hour"
                for n, v in zip(changed["line_last"], changed["value_last"], strict=True)
            ],
        }
    )
    return last, rejects


def hj212_observations(
    packets: Sequence[Hj212Packet],
    partners: Hj212Partners,
    *,
    lines: Sequence[int] | None = None,
    source: str = "hj212",
    flag_map: Mapping[str, int] = HJ212_QC_FLAGS,
    standard: Hj212Standard | None = None,
) -> Hj212Observations:
    """Turn parsed packets of known partners into tidy observations in canonical units.

    Parameters
    ----------
    packets : sequence of Hj212Packet
        Parsed packets (any CN), each from a device in ``partners`` and parsed in
        that partner's time zone.
    partners : Hj212Partners
        MN → station, units, ignored codes.
    lines : sequence of int, optional
        Line (or sequence number) of each packet, for rejects; default 1, 2, ….
    source : str
        Source id stored with every observation.
    flag_map : mapping of str to int
        表8 flag → QC bits; default :data:`HJ212_QC_FLAGS`.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    Hj212Observations
        Hourly ``Avg`` values [canonical units: µg m⁻³, CO mg m⁻³, mg L⁻¹, …]
        with ``valid_at`` the UTC start of the hour, rejects and counts.

    Raises
    ------
    InputDataError
        If a packet's MN is not a configured partner.

    References
    ----------
    .. [1] HJ 212-2017, 表4 (DataTime = interval start), 表8 (flags), 表9 (CN 2061).
    """
    std = standard or read_hj212()
    numbers = np.arange(1, len(packets) + 1) if lines is None else np.asarray(lines)
    skipped: Counter[str] = Counter()
    groups: dict[str, list[int]] = {}
    bad: list[tuple[int, str, str, str]] = []
    for k, packet in enumerate(packets):
        partners.require(packet.mn, f"packet {int(numbers[k])}")
        if packet.cn not in HJ212_OBSERVED:
            skipped[packet.cn] += 1
        elif packet.cp.data_time is None and packet.cp.items:
            bad.append((int(numbers[k]), "DataTime", packet.raw, "values but no DataTime"))
        else:
            groups.setdefault(packet.mn, []).append(k)
    frames: list[pd.DataFrame] = []
    rejects = [pd.DataFrame(bad, columns=list(_REJECT))]
    ignored = 0
    for mn, picks in groups.items():
        frame, rejected, n = _partner_rows(
            partners.require(mn, "packets"),
            [packets[k] for k in picks],
            numbers[picks],
            std,
            flag_map,
        )
        frames.append(frame)
        rejects.append(rejected)
        ignored += n
    columns = [*OBSERVATION_COLUMNS, "mn"]
    obs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    obs["source"] = source
    obs, resent = _merge_resent(obs[columns])
    obs = obs.reset_index(drop=True)
    obs["valid_at"] = pd.to_datetime(obs["valid_at"], utc=True).dt.as_unit("s")
    obs.attrs["standard_id"] = std.source.id
    rejects.append(resent)
    return Hj212Observations(
        observations=obs,
        rejects=pd.concat([r for r in rejects if len(r)] or rejects[:1], ignore_index=True),
        skipped=MappingProxyType(dict(skipped)),
        ignored=ignored,
    )


def read_packet_lines(path: str | Path) -> list[tuple[int, bytes]]:
    """Return ``(line number, packet bytes)`` of a packet file (LF or CR LF; ``.gz`` allowed).

    Blank lines are left out; numbers are 1-based. An unreadable file raises
    :class:`~forecasting.errors.InputDataError`.
    """
    file = Path(path)
    try:
        data = gzip.decompress(file.read_bytes()) if file.suffix == ".gz" else file.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise file_error(file, 0, None, f"cannot read the HJ 212 packet file ({exc})") from None
    return [
        (number, line.rstrip(b"\r"))
        for number, line in enumerate(data.split(b"\n"), start=1)
        if line.strip()
    ]


def parse_hj212_file(
    path: str | Path,
    partners: Hj212Partners,
    *,
    stations: Collection[str] | None = None,
    strict: bool = False,
    flag_map: Mapping[str, int] = HJ212_QC_FLAGS,
    standard: Hj212Standard | None = None,
) -> ParsedFile:
    """Parse a file of HJ 212 packets into tidy observations in canonical units.

    Parameters
    ----------
    path : str or path-like
        One packet per line (``##LLLL…CCCC``), LF or CR LF; ``.gz`` allowed.
    partners : Hj212Partners
        The partner configuration (:func:`~forecasting.ingest.hj212_partners.read_hj212_partners`).
    stations : collection of str, optional
        Registered station codes; a partner station outside them rejects the file.
    strict : bool, optional
        Raise on the first rejected line or value instead of quarantining it.
    flag_map : mapping of str to int
        表8 flag → QC bits; default :data:`HJ212_QC_FLAGS`.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    ParsedFile
        ``kind="hj212"``, ``layout="hj212-2017"``; observations (module docstring)
        whose ``source`` is ``name@sha256-prefix``; rejects with the line, the
        packet field (``CRC``, ``length``, ``PW``, ``a34004-Avg``, …) and a reason
        that gives the character position (0-based, in the line) and the QnRtn.

    Raises
    ------
    InputDataError
        ``FILE:LINE: column 'MN'`` for a device that is not in the partner file
        (nothing of the file is stored), unregistered stations, or the first
        reject with ``strict``.

    References
    ----------
    .. [1] HJ 212-2017, §6.3 (packet), 附录A (CRC16), 表3, 表4, 表7, 表8, 表9.
    """
    return _parse_file(
        path, partners, stations=stations, strict=strict, flag_map=flag_map, standard=standard
    )[0]


def _parse_file(
    path: str | Path,
    partners: Hj212Partners,
    *,
    stations: Collection[str] | None,
    strict: bool,
    flag_map: Mapping[str, int] = HJ212_QC_FLAGS,
    standard: Hj212Standard | None = None,
) -> tuple[ParsedFile, Hj212Observations]:
    std = standard or read_hj212()
    file = Path(path)
    log = RejectLog(file)
    lines = read_packet_lines(file)
    packets, numbers = _parse_lines(file, lines, partners, log, std)
    source = source_id(file)
    result = hj212_observations(
        packets, partners, lines=numbers, source=source, flag_map=flag_map, standard=std
    )
    for (column, reason), part in result.rejects.groupby(["column", "reason"], sort=False):
        log.add(part["line"].to_numpy(), str(column), part["value"].to_numpy(), str(reason))
    if strict:
        log.raise_first()
    obs = result.observations
    check_stations(file, obs["station"], obs["line"].to_numpy(), stations, "MN")
    parsed = ParsedFile(
        path=file,
        source=source,
        kind="hj212",
        layout="hj212-2017",
        observations=obs,
        rejects=log.frame()[list(REJECT_COLUMNS)],
        rows=len(lines),
        available_lag=HJ212_AVAILABLE_LAG,
        units=_declared_units(partners, {p.mn for p in packets}, std),
    )
    return parsed, result


def _parse_lines(
    file: Path,
    lines: Sequence[tuple[int, bytes]],
    partners: Hj212Partners,
    log: RejectLog,
    std: Hj212Standard,
) -> tuple[list[Hj212Packet], list[int]]:
    """Parse each line in its partner's zone; reject bad packets; refuse unknown MNs."""
    packets: list[Hj212Packet] = []
    numbers: list[int] = []
    for number, raw in lines:
        try:
            packet = parse_packet(raw, standard=std)
        except Hj212Error as exc:
            log.add([number], exc.field, [raw.decode(std.encoding, "replace")], str(exc))
            continue
        partner = partners.get(packet.mn)
        if partner is None:
            raise file_error(file, number, "MN", _unknown_mn(partners, packet.mn))
        if partner.timezone != HJ212_TIMEZONE:
            packet = parse_packet(raw, tz=partner.timezone, standard=std)
        if partner.password is not None and packet.pw != partner.password:
            log.add([number], "PW", [packet.raw], f"PW does not match {partner.where}")
            continue
        packets.append(packet)
        numbers.append(number)
    return packets, numbers


def _declared_units(
    partners: Hj212Partners, seen: Collection[str], std: Hj212Standard
) -> Mapping[str, str]:
    """Variable → declared unit(s) of the partners seen (``"a | b"`` when they differ)."""
    units: dict[str, set[str]] = {}
    for partner in partners:
        if partner.mn in seen:
            for code, unit in partner.units.items():
                units.setdefault(std.factors[code].variable, set()).add(unit)
    return MappingProxyType({v: " | ".join(sorted(u)) for v, u in sorted(units.items())})


def _unknown_mn(partners: Hj212Partners, mn: str) -> str:
    known = ", ".join(sorted(partners.by_mn)) or "none"
    where = partners.path or "the partner file"
    return f"unknown HJ 212 device MN={mn!r}; add a [[partner]] entry to {where} (known: {known})"


@dataclass(frozen=True)
class Hj212IngestResult:
    """What ingesting one HJ 212 packet file did.

    Attributes
    ----------
    ingest : IngestResult
        Rows, observations, rejects, inserted / revised / unchanged, QC flag
        counts and the quarantine report, as for every ingested file.
    skipped : mapping of str to int
        Valid packets not stored, by CN (e.g. ``{"2011": 120}`` real-time).
    ignored : int
        Values of codes the partner file lists under ``ignore``.
    """

    ingest: IngestResult
    skipped: Mapping[str, int]
    ignored: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


def ingest_hj212_files(
    store: ObservationStore,
    paths: Iterable[str | Path],
    partners: Hj212Partners,
    *,
    data_dir: str | Path,
    strict: bool = False,
    rules: QcRules | None = None,
    progress: ProgressCallback = no_progress,
    clock: Callable[[], datetime] = _utc_now,
) -> list[Hj212IngestResult]:
    """Parse, check, quality-control and store HJ 212 packet files.

    Every file is parsed and checked before anything is written (an unknown MN
    or an unregistered station in any file leaves the store unchanged); then
    each file is written in its own transaction, whole or not at all, and its
    rejects go to its quarantine report. Re-ingesting a file changes nothing; a
    changed value becomes a revision (``Store.write_observations``).

    Parameters
    ----------
    store : ObservationStore
        An open store (``forecasting.storage.Store``).
    paths : iterable of path-like
        Packet files (:func:`parse_hj212_file`).
    partners : Hj212Partners
        MN → station and units.
    data_dir : path-like
        Data directory; quarantine reports go to ``<data_dir>/quarantine``.
    strict : bool, optional
        A rejected line or value is an error instead of a quarantined row.
    rules : QcRules, optional
        QC thresholds; default the packaged rules.
    progress : callable, optional
        Receives a ``ProgressEvent`` after each stage of each file.
    clock : callable, optional
        Returns the ingestion time (tz-aware); default now, UTC.

    Returns
    -------
    list of Hj212IngestResult
        One per file, in order.

    Raises
    ------
    InputDataError
        For an unknown MN, an unregistered station, an unreadable file or (with
        ``strict``) the first reject, naming the file and line.

    References
    ----------
    .. [1] HJ 212-2017, 表4 (DataTime = interval start), 表8 (flags), 表9 (CN 2061).
    """
    known = set(store.read_stations()["station"].astype(str))
    checked = []
    for path in paths:
        parsed, result = _parse_file(path, partners, stations=known, strict=strict)
        _tell(progress, parsed, 1)
        checked.append((parsed, result, apply_qc(parsed.observations, rules)))
        _tell(progress, parsed, 2)
    out = []
    for parsed, result, frame in checked:
        summary = store.write_observations(
            frame.loc[:, list(STORE_COLUMNS)],
            ingested_at=clock(),
            available_lag=parsed.available_lag,
        )
        _tell(progress, parsed, 3)
        report = write_quarantine_report(parsed.rejects, data_dir, parsed.source)
        _tell(progress, parsed, 4)
        out.append(
            Hj212IngestResult(
                ingest=IngestResult(
                    path=parsed.path,
                    source=parsed.source,
                    layout=parsed.layout,
                    rows=parsed.rows,
                    observations=len(frame),
                    rejected=len(parsed.rejects),
                    inserted=summary.inserted,
                    revised=summary.revised,
                    unchanged=summary.unchanged,
                    flags=_flag_counts(frame["qc_flags"]),
                    quarantine=report,
                    units=parsed.units,
                ),
                skipped=result.skipped,
                ignored=result.ignored,
            )
        )
    return out


def _flag_counts(qc_flags: pd.Series) -> Mapping[str, int]:
    """Observations per QC flag name (a value with two flags counts under both)."""
    bits = qc_flags.to_numpy(dtype=np.int64)
    counts = {str(f.name): int(((bits & int(f)) != 0).sum()) for f in QcFlag}
    return MappingProxyType({k: v for k, v in sorted(counts.items()) if v})


def _tell(progress: ProgressCallback, parsed: ParsedFile, done: int) -> None:
    progress(ProgressEvent(parsed.path.name, STAGES[done - 1], done, len(STAGES)))
