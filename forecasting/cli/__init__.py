"""The ``ecocast`` command-line interface (Typer).

This package is the composition root: it wires features, models and storage.
Expected :class:`~forecasting.errors.ForecastingError` s become a one-line message
on standard error and exit code 1, never a traceback.
"""

from __future__ import annotations

from forecasting.cli.app import app, main, run

__all__ = ["app", "main", "run"]
