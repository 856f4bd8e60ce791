"""HJ 212-2017 code tables: systems, commands, flags, return codes and factor codes.

The tables live in ``forecasting/standards/data/cn_mee_hj212_2017.toml`` with their
citation; :func:`read_hj212` loads them into an immutable :class:`Hj212Standard`
that the packet functions (:mod:`forecasting.standards.hj212`) take as an argument.

This module also holds :class:`Hj212Error`, the error every HJ 212 function raises
for a bad packet: it carries the ``QnRtn`` (表7) and ``ExeRtn`` (表6) codes that a
central station should answer with.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 表3 (Flag), 表5 (ST), 表6
   (ExeRtn), 表7 (QnRtn), 表8 (data flags), 表9 (CN), 附录B 表B.1/B.2 (factor codes).
   Data file id ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, StandardTableError, UnknownStandardError
from forecasting.standards.tables import Citation, read_standard

__all__ = [
    "HJ212_2017",
    "Hj212DataCommand",
    "Hj212Error",
    "Hj212Factor",
    "Hj212ItemField",
    "Hj212Standard",
    "factor_variables",
    "read_hj212",
]

HJ212_2017 = "cn_mee_hj212_2017"
"""Id of the HJ 212-2017 data file (the default standard)."""


class Hj212Error(InputDataError):
    """An HJ 212 packet (or a value meant for one) is invalid.

    Parameters
    ----------
    message : str
        What is wrong, naming the value and the valid options.
    field : str
        The packet part or field, e.g. ``"CRC"``, ``"Flag"`` or ``"a34004-Avg"``.
    position : int or None
        0-based character offset of the offending text in the packet, if known.
    qn_rtn : int
        The ``QnRtn`` (HJ 212-2017 表7) a central station should answer with:
        the field's own code where 表7 has one (3 PW, 4 MN, 5 ST, 6 Flag, 7 QN,
        8 CN, 9 CRC), otherwise ``standard.rejected_qn_rtn`` (2, 请求被拒绝).
    exe_rtn : int or None
        The ``ExeRtn`` (表6) for a command whose data area is wrong: 3
        (命令请求条件错误, ``standard.bad_data_area_exe_rtn``); None where the packet
        is rejected before execution.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str,
        qn_rtn: int,
        position: int | None = None,
        exe_rtn: int | None = None,
    ) -> None:
        self.field = field
        self.position = position
        self.qn_rtn = qn_rtn
        self.exe_rtn = exe_rtn
        super().__init__(message)


@dataclass(frozen=True)
class Hj212Factor:
    """One pollutant factor code of 附录B and its ecocast variable.

    Attributes
    ----------
    code : str
        Factor code as sent in packets, e.g. ``"a34004"``.
    name_zh : str
        Name as printed, e.g. ``"细微颗粒物 PM2.5"``.
    variable : str
        ecocast variable name (README glossary), e.g. ``"pm25"``.
    s5_default_unit : str
        The standard's default unit, for information only: never use it to
        interpret values (PM is printed in ng/m³).
    s5_data_type : str
        The standard's default data type, e.g. ``"N3.3"``.
    table : str
        Where the code is printed (``"表B.1"`` water, ``"表B.2"`` air).
    status : str
        ``"primary"``, ``"secondary"`` or ``"unverified"`` (configuration).
    note : str
        Anything a user should know about the row.
    """

    code: str
    name_zh: str
    variable: str
    s5_default_unit: str
    s5_data_type: str
    table: str
    status: str
    note: str


@dataclass(frozen=True)
class Hj212ItemField:
    """A per-pollutant field ``xxxxxx-<name>`` of the data area (表4).

    Attributes
    ----------
    name : str
        Field name after the dash, e.g. ``"Avg"`` (case-sensitive).
    kind : {"numeric", "flag", "text"}
        How the value is parsed.
    statistic : str
        ecocast statistic of observation rows (``"rtd"``, ``"avg"``, ``"min"``,
        ``"max"``, ``"cou"``); empty when the field is not an observation.
    meaning : str
        Meaning as summarised from 表4.
    """

    name: str
    kind: Literal["numeric", "flag", "text"]
    statistic: str
    meaning: str


@dataclass(frozen=True)
class Hj212DataCommand:
    """A data command (CN) and what its ``DataTime`` labels (表4, 附录C).

    Attributes
    ----------
    cn : str
        Command code, e.g. ``"2061"``.
    data_time : {"instant", "interval_start"}
        ``DataTime`` is the sampling instant (real-time data) or the start of the
        interval (minute, hourly, daily data).
    interval : str
        Interval length as a pandas offset string (``"1h"``, ``"1D"``, ``"0s"``
        for an instant); empty for minute data, whose length (``MinInterval``) is
        configured per partner.
    """

    cn: str
    data_time: Literal["instant", "interval_start"]
    interval: str


@dataclass(frozen=True)
class Hj212Standard:
    """The HJ 212 tables, loaded from a data file.

    Attributes
    ----------
    source : Citation
        The data file's citation; ``source.id`` names the standard in results.
    header, trailer : str
        Packet header (``"##"``) and trailer (CR LF).
    length_digits : int
        Digits of the data-segment length field.
    data_segment_max_length, cp_max_length : int
        Longest data segment and ``CP=&&…&&`` [characters].
    crc_hex_digits, crc_initial, crc_polynomial, crc_bits_per_byte : int
        CRC16 parameters of 附录A.
    encoding : str
        Text encoding of packets.
    field_lengths : mapping of str to int
        表3 lengths of the data-segment fields, including ``"name="``.
    flag_bits : tuple of str
        Flag bit names as printed, most significant first.
    version_shift, version_width, split_mask, ack_mask : int
        Flag layout derived from ``flag_bits``.
    protocol_versions : mapping of int to str
        Protocol version number to the document it denotes.
    current_version : int
        Version written by :func:`encode_flag` by default.
    system_codes, command_codes, data_flags : mapping of str to str
        表5, 表9 and 表8: code to meaning.
    exe_rtn, qn_rtn : mapping of int to str
        表6 and 表7: code to meaning.
    qn_rtn_by_field : mapping of str to int
        表7 codes that report on one packet part, e.g. ``{"CRC": 9}``.
    rejected_qn_rtn, bad_data_area_exe_rtn : int
        ecocast's answer to other errors: refuse (2), bad request conditions (3).
    interaction : mapping of str to str
        ``st`` and the CNs of the answers (``qn_response_cn``, ``exe_response_cn``,
        ``notice_ack_cn``, ``data_ack_cn``).
    data_commands : mapping of str to Hj212DataCommand
        The commands that carry observations.
    item_fields : mapping of str to Hj212ItemField
        表4 per-pollutant field names.
    time_format_digits : int
        Digits of ``DataTime`` (N14).
    min_interval_minutes : tuple of int
        Allowed ``MinInterval`` values [min].
    rtd_interval_seconds : tuple of int
        Allowed ``RtdInterval`` range [s].
    factors : mapping of str to Hj212Factor
        Factor codes of 附录B with ecocast variables.
    factor_units_warning : str
        Why 附录B default units must not be used.
    """

    source: Citation
    header: str
    trailer: str
    length_digits: int
    data_segment_max_length: int
    cp_max_length: int
    crc_hex_digits: int
    crc_initial: int
    crc_polynomial: int
    crc_bits_per_byte: int
    encoding: str
    field_lengths: Mapping[str, int]
    flag_bits: tuple[str, ...]
    version_shift: int
    version_width: int
    split_mask: int
    ack_mask: int
    protocol_versions: Mapping[int, str]
    current_version: int
    system_codes: Mapping[str, str]
    command_codes: Mapping[str, str]
    data_flags: Mapping[str, str]
    exe_rtn: Mapping[int, str]
    qn_rtn: Mapping[int, str]
    qn_rtn_by_field: Mapping[str, int]
    rejected_qn_rtn: int
    bad_data_area_exe_rtn: int
    interaction: Mapping[str, str]
    data_commands: Mapping[str, Hj212DataCommand]
    item_fields: Mapping[str, Hj212ItemField]
    time_format_digits: int
    min_interval_minutes: tuple[int, ...]
    rtd_interval_seconds: tuple[int, ...]
    factors: Mapping[str, Hj212Factor]
    factor_units_warning: str

    def describe(self, table: str, code: object) -> str:
        """Return the meaning of ``code`` in one of the code tables.

        Parameters
        ----------
        table : {"ST", "CN", "Flag", "ExeRtn", "QnRtn"}
            表5, 表9, 表8, 表6 or 表7.
        code : str or int
            The code, e.g. ``"22"`` for ST or ``9`` for QnRtn.

        Returns
        -------
        str
            The meaning as transcribed.

        Raises
        ------
        UnknownStandardError
            If the table or the code is unknown; the message lists the valid ones.
        """
        tables: dict[str, Mapping[Any, str]] = {
            "ST": self.system_codes,
            "CN": self.command_codes,
            "Flag": self.data_flags,
            "ExeRtn": self.exe_rtn,
            "QnRtn": self.qn_rtn,
        }
        if table not in tables:
            raise UnknownStandardError("HJ 212 code table", table, tables)
        return _lookup(f"HJ 212 {table} code", tables[table], code)

    def variable_code(self, variable: str) -> str:
        """Return the factor code of an ecocast variable, e.g. ``"pm25"`` → ``"a34004"``.

        Raises
        ------
        UnknownStandardError
            If no factor maps to ``variable``; the message lists the known variables.
        """
        by_variable = {f.variable: f.code for f in self.factors.values()}
        return _lookup("HJ 212 factor variable", by_variable, variable)


def _lookup(kind: str, table: Mapping[Any, str], key: object) -> str:
    if key in table:
        return table[key]
    raise UnknownStandardError(kind, key, table)


def _rows(raw: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    rows = raw.get(key)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise StandardTableError(f"{where}: [[{key}]] must be a non-empty array of tables")
    return rows


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    table = raw.get(key)
    if not isinstance(table, dict):
        raise StandardTableError(f"{where}: [{key}] is missing or not a table")
    return table


def _mapping(
    rows: Iterable[Mapping[str, Any]], key: str, value: str, where: str
) -> Mapping[Any, str]:
    out: dict[Any, str] = {}
    for k, row in enumerate(rows, start=1):
        if key not in row or value not in row:
            raise StandardTableError(f"{where}, row {k}: needs {key!r} and {value!r}")
        if row[key] in out:
            raise StandardTableError(f"{where}, row {k}: duplicate {key} {row[key]!r}")
        out[row[key]] = str(row[value])
    return MappingProxyType(out)


def _flag_layout(flag: Mapping[str, Any], where: str) -> dict[str, Any]:
    bits = tuple(str(b) for b in flag.get("bits", ()))
    version_bits = tuple(str(b) for b in flag.get("version_bits", ()))
    names = (*version_bits, flag.get("split_bit"), flag.get("ack_bit"))
    if not bits or any(name not in bits for name in names) or len(set(bits)) != len(bits):
        raise StandardTableError(f"{where}: [flag] bits {bits} do not name every bit once")
    position = {name: len(bits) - 1 - i for i, name in enumerate(bits)}
    shifts = [position[b] for b in version_bits]
    if shifts != list(range(shifts[0], shifts[0] - len(shifts), -1)):
        raise StandardTableError(f"{where}: [flag] version bits must be contiguous")
    versions = {int(v["bits"], 2): str(v["document"]) for v in _rows(flag, "version", where)}
    return {
        "flag_bits": bits,
        "version_shift": shifts[-1],
        "version_width": len(shifts),
        "split_mask": 1 << position[flag["split_bit"]],
        "ack_mask": 1 << position[flag["ack_bit"]],
        "protocol_versions": MappingProxyType(versions),
        "current_version": int(flag["current_version"], 2),
    }


@cache
def read_hj212(standard_id: str = HJ212_2017) -> Hj212Standard:
    """Load an HJ 212 data file into an :class:`Hj212Standard` (cached).

    Parameters
    ----------
    standard_id : str
        Data file stem; default ``"cn_mee_hj212_2017"``.

    Returns
    -------
    Hj212Standard
        The immutable tables, with their citation.

    Raises
    ------
    UnknownStandardError
        If there is no such data file.
    StandardTableError
        If the file lacks a table or a row is malformed (named in the message).

    References
    ----------
    .. [1] HJ 212-2017, 表2–表9, 附录A, 附录B (data file ``cn_mee_hj212_2017``).
    """
    citation, raw = read_standard(standard_id)
    where = f"{standard_id}.toml"
    try:
        packet = _table(raw, "packet", where)
        crc = _table(raw, "crc", where)
        data_area = _table(raw, "data_area", where)
        factors = _table(raw, "factors", where)
        errors = _table(raw, "error_codes", where)
        fields = [
            Hj212ItemField(r["name"], r["kind"], r["statistic"], r["meaning"])
            for r in _rows(raw, "item_field", where)
        ]
        commands = [
            Hj212DataCommand(r["cn"], r["data_time"], r["interval"])
            for r in _rows(raw, "data_command", where)
        ]
        factor_rows = [Hj212Factor(**r) for r in _rows(factors, "code", f"{where} [factors]")]
        return Hj212Standard(
            source=citation,
            header=packet["header"],
            trailer=packet["trailer"],
            length_digits=packet["length_digits"],
            data_segment_max_length=packet["data_segment_max_length"],
            cp_max_length=packet["cp_max_length"],
            crc_hex_digits=packet["crc_hex_digits"],
            crc_initial=crc["initial"],
            crc_polynomial=crc["polynomial"],
            crc_bits_per_byte=crc["bits_per_byte"],
            encoding=packet["encoding"],
            field_lengths=MappingProxyType(
                {str(r["name"]): int(r["length"]) for r in _rows(raw, "field", where)}
            ),
            **_flag_layout(_table(raw, "flag", where), where),
            system_codes=_mapping(_rows(raw, "system", where), "code", "name_zh", where),
            command_codes=_mapping(_rows(raw, "command", where), "code", "meaning", where),
            data_flags=_mapping(_rows(raw, "data_flag", where), "flag", "meaning", where),
            exe_rtn=_mapping(_rows(raw, "exe_rtn", where), "code", "meaning", where),
            qn_rtn=_mapping(_rows(raw, "qn_rtn", where), "code", "meaning", where),
            qn_rtn_by_field=MappingProxyType(
                {r["field"]: r["code"] for r in _rows(raw, "qn_rtn", where) if "field" in r}
            ),
            rejected_qn_rtn=errors["rejected_qn_rtn"],
            bad_data_area_exe_rtn=errors["bad_data_area_exe_rtn"],
            interaction=MappingProxyType(dict(_table(raw, "interaction", where))),
            data_commands=MappingProxyType({c.cn: c for c in commands}),
            item_fields=MappingProxyType({f.name: f for f in fields}),
            time_format_digits=data_area["time_format_digits"],
            min_interval_minutes=tuple(data_area["min_interval_minutes"]),
            rtd_interval_seconds=tuple(data_area["rtd_interval_seconds"]),
            factors=MappingProxyType({f.code: f for f in factor_rows}),
            factor_units_warning=factors["warning"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, StandardTableError):
            raise
        raise StandardTableError(f"{where}: missing or malformed entry: {exc!r}") from exc


def factor_variables(
    codes: npt.ArrayLike | pd.Series[str], standard: Hj212Standard | None = None
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Map factor codes to ecocast variable names (vectorised).

    Parameters
    ----------
    codes : array_like of str
        Factor codes as sent, e.g. ``["a34004", "w01009", "LA"]``.
    standard : Hj212Standard, optional
        Factor table; default :func:`read_hj212` ().

    Returns
    -------
    variables : ndarray of str (object)
        ecocast variable names; an unknown code is kept as is.
    known : ndarray of bool
        True where the code is in the factor table.

    Notes
    -----
    The factor table gives names only. Units are never inferred from it: 附录B
    prints PM in ng/m³ (see ``standard.factor_units_warning``).

    References
    ----------
    .. [1] HJ 212-2017, 附录B 表B.1 (water) and 表B.2 (air).

    Examples
    --------
    >>> variables, known = factor_variables(["a34004", "LA"])
    >>> variables.tolist(), known.tolist()
    (['pm25', 'LA'], [True, False])
    """
    std = standard or read_hj212()
    index, uniques = pd.factorize(np.asarray(codes, dtype=object).ravel(), use_na_sentinel=False)
    factors = [std.factors.get(code) for code in uniques]
    known = np.array([f is not None for f in factors], dtype=bool)
    variables = np.array(
        [code if f is None else f.variable for code, f in zip(uniques, factors, strict=True)],
        dtype=object,
    )
    return variables[index], known[index]
