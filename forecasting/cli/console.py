"""Rich consoles for the command line.

Plain lines are never hard-wrapped at the terminal width (``soft_wrap``): a
path or a count split across two lines breaks whoever greps the output.
Tables still fit the width. Syntax highlighting is off so numbers in messages
are printed as they are.
"""

from __future__ import annotations

from rich.console import Console

__all__ = ["make_console"]


def make_console(*, stderr: bool = False) -> Console:
    """Return a console writing to stdout (or stderr) without hard wrapping."""
    return Console(stderr=stderr, soft_wrap=True, highlight=False)
