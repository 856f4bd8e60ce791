"""Progress of ingestion, reported through a callback (library code never prints).

The orchestrator calls ``progress(event)`` after each stage of each file; the
CLI turns the events into a rich progress bar, tests collect them in a list.

Examples
--------
>>> events = []
>>> report = events.append
>>> report(ProgressEvent("obs.csv", "parse", 1, len(STAGES)))
>>> events[0].fraction
0.25
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["STAGES", "ProgressCallback", "ProgressEvent", "no_progress"]

STAGES: Final = ("parse", "qc", "store", "report")
"""Stages of one file, in order."""


@dataclass(frozen=True)
class ProgressEvent:
    """One stage of one file is done.

    Attributes
    ----------
    file : str
        File name.
    stage : str
        The stage just finished, one of :data:`STAGES`.
    completed : int
        Stages of this file done so far.
    total : int
        Stages of this file in all.
    """

    file: str
    stage: str
    completed: int
    total: int

    @property
    def fraction(self) -> float:
        """Share of the file's stages done, 0 to 1."""
        return self.completed / self.total if self.total else 1.0


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """Ignore progress (the default callback)."""
    del event
