"""A progress display for long jobs: one bar per stage (ingest, features, fit, issues)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from forecasting.cli.console import make_console

__all__ = ["stage_progress"]


@contextmanager
def stage_progress() -> Iterator[object]:
    """Yield a ``progress(stage, done, total)`` callback drawing one bar per stage on stderr."""
    bars = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=make_console(stderr=True),
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        key = stage.split(" ")[0] if stage.startswith("fit") else stage
        if key not in tasks:
            tasks[key] = bars.add_task(key, total=total)
        bars.update(tasks[key], completed=done, total=total, description=stage)

    with bars:
        yield update
