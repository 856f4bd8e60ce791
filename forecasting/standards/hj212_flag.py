"""The HJ 212-2017 packet ``Flag``: protocol version, split (D) and acknowledge (A) bits.

``Flag`` is an integer 0–255 whose bits are printed as ``V5 V4 V3 V2 V1 V0 D A``:
V5–V0 is the protocol version (``000000`` HJ/T 212-2005, ``000001`` HJ 212-2017),
D = 1 says the packet is one part of a split message and carries ``PNUM``/``PNO``,
A = 1 asks for an acknowledgement. ``Flag=4`` is a 2017 packet without split or
acknowledgement, ``Flag=5`` asks for an acknowledgement, ``Flag=7`` is split and
asks for one. The layout is read from the data file, not hard-coded.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 表3 (Flag), data file
   ``cn_mee_hj212_2017`` (``[flag]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from forecasting.errors import UnknownStandardError
from forecasting.standards.hj212_codes import Hj212Error, Hj212Standard, read_hj212

__all__ = ["Hj212Flag", "decode_flag", "encode_flag"]


@dataclass(frozen=True)
class Hj212Flag:
    """The packet ``Flag`` decoded (表3: bits ``V5 V4 V3 V2 V1 V0 D A``).

    Attributes
    ----------
    value : int
        The integer sent in ``Flag=`` (0–255).
    version : int
        Protocol version V5–V0: 0 = HJ/T 212-2005, 1 = HJ 212-2017.
    split : bool
        D bit: the message is split and the packet carries ``PNUM``/``PNO``.
    ack : bool
        A bit: the command requires an acknowledgement.
    """

    value: int
    version: int
    split: bool
    ack: bool


def decode_flag(value: int, standard: Hj212Standard | None = None) -> Hj212Flag:
    """Decode the packet ``Flag`` integer into version, D and A bits.

    Parameters
    ----------
    value : int
        The ``Flag=`` value, 0–255.
    standard : Hj212Standard, optional
        Flag layout; default :func:`read_hj212` ().

    Returns
    -------
    Hj212Flag

    Raises
    ------
    Hj212Error
        ``qn_rtn`` 6 (Flag 错) if the value is out of range or its protocol
        version is unknown.

    References
    ----------
    .. [1] HJ 212-2017, 表3 (Flag: ``V5 V4 V3 V2 V1 V0 D A``).

    Examples
    --------
    >>> decode_flag(5)
    Hj212Flag(value=5, version=1, split=False, ack=True)
    """
    std = standard or read_hj212()
    top = 1 << len(std.flag_bits)
    if not 0 <= value < top:
        raise Hj212Error(
            f"Flag {value} is out of range; it must be an integer 0–{top - 1}",
            field="Flag",
            qn_rtn=std.qn_rtn_by_field["Flag"],
        )
    version = (value >> std.version_shift) & ((1 << std.version_width) - 1)
    if version not in std.protocol_versions:
        known = ", ".join(f"{v} ({d})" for v, d in std.protocol_versions.items())
        raise Hj212Error(
            f"Flag {value} carries protocol version {version}; known versions: {known}",
            field="Flag",
            qn_rtn=std.qn_rtn_by_field["Flag"],
        )
    return Hj212Flag(value, version, bool(value & std.split_mask), bool(value & std.ack_mask))


def encode_flag(
    *,
    version: int | None = None,
    split: bool = False,
    ack: bool = False,
    standard: Hj212Standard | None = None,
) -> Hj212Flag:
    """Build a packet ``Flag`` from its parts.

    Parameters
    ----------
    version : int, optional
        Protocol version; default the standard's own (1 = HJ 212-2017).
    split : bool
        Set D: the packet is one of ``PNUM`` parts.
    ack : bool
        Set A: the receiver must acknowledge.
    standard : Hj212Standard, optional
        Flag layout; default :func:`read_hj212` ().

    Returns
    -------
    Hj212Flag
        With ``value`` the integer to send.

    Raises
    ------
    UnknownStandardError
        If ``version`` is not a known protocol version.

    References
    ----------
    .. [1] HJ 212-2017, 表3 (Flag).

    Examples
    --------
    >>> encode_flag(ack=True).value
    5
    """
    std = standard or read_hj212()
    v = std.current_version if version is None else version
    if v not in std.protocol_versions:
        raise UnknownStandardError("HJ 212 protocol version", v, std.protocol_versions)
    value = v << std.version_shift
    value |= (std.split_mask if split else 0) | (std.ack_mask if ack else 0)
    return Hj212Flag(value, v, split, ack)
