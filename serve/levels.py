"""Texts of AQI levels and warning levels for responses, from the standards' data files.

The category, colour, health effects and advice of an AQI level come from the
HJ 633 edition in force on the local date the level is for (HJ 633—2012 before
2026-03-01, HJ 633—2026 from then on; see
:func:`~forecasting.standards.aqi_hj633_standard.edition_for_dates`),
and the label and colour of a warning level from its warning scheme's data file.
Nothing here computes an AQI or a warning: those are stored with the run.

References
----------
.. [1] HJ 633—2012 表2 and 附录A 表A.1; HJ 633—2026 表1 and 附录A 表A.1.
.. [2] The warning schemes of :mod:`forecasting.standards.warning_schemes`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from forecasting.errors import ForecastingError
from forecasting.standards.aqi_hj633_standard import edition_for_dates, load_hj633
from forecasting.standards.aqi_levels import level_info
from forecasting.standards.warning_schemes import load_warning_scheme

__all__ = ["AqiLevelText", "WarningLabel", "aqi_level_text", "warning_label"]


@dataclass(frozen=True)
class AqiLevelText:
    """What a response says about an AQI level.

    Attributes
    ----------
    name : str
        类别 as printed, e.g. ``"良"``.
    name_en : str
        English translation of the category.
    colour : str
        ``#RRGGBB`` of 附录A 表A.1.
    health_effects : str
        对健康影响情况, verbatim for the edition.
    advice : str
        建议采取的措施, verbatim for the edition.
    """

    name: str
    name_en: str
    colour: str
    health_effects: str
    advice: str


@dataclass(frozen=True)
class WarningLabel:
    """Label and colour of a warning level of a scheme.

    Attributes
    ----------
    label : str
        English name, e.g. ``"Yellow warning"``.
    label_zh : str or None
        Chinese name, e.g. ``"黄色预警"``.
    colour : str or None
        Colour name of the scheme, e.g. ``"yellow"``.
    """

    label: str
    label_zh: str | None
    colour: str | None


def aqi_level_text(level: int | None, on: dt.date) -> AqiLevelText | None:
    """Return the texts of AQI ``level`` under the HJ 633 edition in force on ``on``.

    Parameters
    ----------
    level : int or None
        AQI level, 1–6; None or 0 (no AQI) gives None.
    on : datetime.date
        Local date the level is for; chooses the edition.

    Returns
    -------
    AqiLevelText or None

    Raises
    ------
    forecasting.errors.UnknownStandardError
        If ``level`` is not 0–6.

    Examples
    --------
    >>> aqi_level_text(3, dt.date(2016, 2, 27)).colour
    '#FF7E00'
    """
    if not level:
        return None
    edition = str(edition_for_dates([on])[0])
    info = level_info(int(level), load_hj633(edition))
    return AqiLevelText(
        name=info.category,
        name_en=info.category_en,
        colour=info.hex,
        health_effects=info.health_effects,
        advice=info.advice,
    )


def warning_label(scheme_id: str, level: int) -> WarningLabel:
    """Return the label and colour of warning ``level`` (1 = least severe) of a scheme.

    A scheme that ecocast does not ship (a local file) or a level beyond the
    scheme's gives a generic label rather than an error, so that a stored
    warning is always shown.

    Examples
    --------
    >>> warning_label("cn_mee_warning_2024", 1).label_zh
    '黄色预警'
    """
    generic = WarningLabel(label=f"warning level {level} ({scheme_id})", label_zh=None, colour=None)
    try:
        scheme = load_warning_scheme(scheme_id)
    except ForecastingError:
        return generic
    if not 1 <= level <= len(scheme.levels):
        return generic
    found = scheme.levels[level - 1]
    return WarningLabel(label=found.name_en, label_zh=found.name_zh, colour=found.colour)
