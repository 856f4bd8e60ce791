"""Exception hierarchy of ecocast.

Every error that a user can cause derives from :class:`ForecastingError`; the
command-line interface turns these into a one-line message without a traceback.
Messages say what is wrong, where (file, row, column) and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ForecastingError",
    "InputDataError",
    "InsufficientHistoryError",
    "NotFittedError",
    "RunNotFoundError",
    "RunStateError",
    "StandardTableError",
    "UnknownStandardError",
]


class ForecastingError(Exception):
    """Root of all errors that ecocast raises on purpose."""


class UnknownStandardError(ForecastingError, KeyError):
    """A standard, edition, scheme, pollutant or code that ecocast does not know.

    Parameters
    ----------
    kind : str
        What was looked up, e.g. ``"AQI edition"`` or ``"pollutant"``.
    name : str
        The value that was asked for.
    available : iterable of str
        The valid values, listed in the message.
    """

    def __init__(self, kind: str, name: object, available: Iterable[object]) -> None:
        names = ", ".join(sorted(str(a) for a in available))
        self.available = names
        self.kind = kind
        self.name = name
        super().__init__(f"unknown {kind} {name!r}; choose one of: {names}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class StandardTableError(ForecastingError, ValueError):
    """A standards data file is malformed (reported with the file and row)."""


class InputDataError(ForecastingError, ValueError):
    """Input data (a file, a frame, a packet, a request) is invalid.

    The message names the file or source, the row and column, and the value.
    """


class InsufficientHistoryError(ForecastingError, ValueError):
    """Not enough history to fit or to forecast."""


class NotFittedError(ForecastingError, ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class RunNotFoundError(ForecastingError, LookupError):
    """A forecast run id that the store does not hold (the message names it)."""


class RunStateError(ForecastingError):
    """A change that the run's status forbids, e.g. editing a published run.

    Published runs are immutable: revise them into a new draft instead.
    """
