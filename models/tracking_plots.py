"""Figures that every train and backtest run stores in MLflow.

Four plots, each a pure function of a frame that returns a
:class:`matplotlib.figure.Figure`: forecast against observed, skill by lead, a
reliability diagram of the quantiles, and feature importance. Figures are built
with the object-oriented API (``Figure()``, no ``pyplot``), so nothing is
displayed, no global figure registry fills up and the Agg canvas renders them
whatever backend the process has selected. Pass them to
:func:`models.tracking.log_run` as ``figures={"name": fig}``.

Frames follow the backtest contract of ``docs/product.md``: forecast columns
``value`` (point forecast), ``q10`` and ``q90``; tidy metrics with columns
``variable``, ``lead``, ``metric`` and ``value``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecasting.errors import InputDataError

__all__ = [
    "HEXBIN_THRESHOLD",
    "feature_importance",
    "forecast_vs_observed",
    "reliability_diagram",
    "skill_by_lead",
]

HEXBIN_THRESHOLD = 5_000
"""Above this many points per panel, forecast against observed is a hexbin density."""

_PANEL_SIZE = (4.0, 3.6)  # [in] width, height of one panel


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{what} needs column(s) {missing}; got {list(map(str, frame.columns))}"
        )


def _panels(n: int, ncols: int = 3) -> tuple[Figure, list[Axes]]:
    cols = max(1, min(n, ncols))
    rows = max(1, -(-n // cols))
    fig = Figure(figsize=(_PANEL_SIZE[0] * cols, _PANEL_SIZE[1] * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[: max(n, 1)]


def _groups(frame: pd.DataFrame, column: str) -> list[tuple[str, pd.DataFrame]]:
    if column not in frame.columns:
        return [("", frame)]
    return [(str(key), part) for key, part in frame.groupby(column, sort=True, dropna=False)]


def _lines(frame: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    if not keys:
        return [("", frame)]
    out: list[tuple[str, pd.DataFrame]] = []
    for key, part in frame.groupby(keys, sort=True, dropna=False):
        parts = key if isinstance(key, tuple) else (key,)
        out.append((" ".join(str(k) for k in parts if isinstance(k, str) and k), part))
    return out


def forecast_vs_observed(frame: pd.DataFrame, *, observed: str = "observed") -> Figure:
    """Plot point forecasts against observations, one panel per variable.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``value`` (point forecast) and ``observed`` (or the column
        named by ``observed``), in the variable's units ([µg m⁻³], CO
        [mg m⁻³]); optional ``variable`` for one panel each. Rows with a
        missing forecast or observation are left out.
    observed : str, default "observed"
        Name of the observation column.

    Returns
    -------
    matplotlib.figure.Figure
        Scatter (hexbin density above :data:`HEXBIN_THRESHOLD` points) with
        the 1:1 line.

    Raises
    ------
    forecasting.errors.InputDataError
        When a required column is missing.
    """
    _require(frame, ["value", observed], "forecast_vs_observed")
    groups = _groups(frame, "variable")
    fig, axes = _panels(len(groups))
    for ax, (variable, part) in zip(axes, groups, strict=True):
        x = part[observed].to_numpy(dtype=float)
        y = part["value"].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        if x.size > HEXBIN_THRESHOLD:
            ax.hexbin(x, y, gridsize=60, mincnt=1, bins="log", cmap="viridis")
        else:
            ax.scatter(x, y, s=6, alpha=0.5, rasterized=True)
        top = float(max(x.max(initial=0.0), y.max(initial=0.0))) or 1.0
        ax.plot([0.0, top], [0.0, top], color="black", linewidth=0.8, label="1:1")
        ax.set(title=f"{variable} (n={x.size})".strip(), xlabel="observed", ylabel="forecast")
    return fig


def skill_by_lead(metrics: pd.DataFrame) -> Figure:
    """Plot each metric against lead time, one panel per metric.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Tidy metrics: ``lead`` [h] or [d], ``metric`` (e.g. ``mae_error``),
        ``value``, and optional ``variable`` and ``model`` (one line each;
        baselines such as ``persistence`` or ``climatology`` beside the
        candidate). Rows without a lead (whole-window scores) are left out.

    Returns
    -------
    matplotlib.figure.Figure
        Lines of metric value against lead.

    Raises
    ------
    forecasting.errors.InputDataError
        When a required column is missing.
    """
    _require(metrics, ["lead", "metric", "value"], "skill_by_lead")
    by_lead = metrics[metrics["lead"].notna()]
    panels = _groups(by_lead, "metric")
    fig, axes = _panels(len(panels))
    keys = [c for c in ("variable", "model") if c in by_lead.columns]
    for ax, (metric, part) in zip(axes, panels, strict=True):
        lines = _lines(part, keys)
        for label, line in lines:
            line = line.sort_values("lead")
            ax.plot(line["lead"], line["value"], marker=".", label=label or None)
        ax.set(title=metric, xlabel="lead", ylabel=metric)
        if keys:
            ax.legend(fontsize="small")
    return fig


def reliability_diagram(table: pd.DataFrame) -> Figure:
    """Plot the observed frequency below each forecast quantile against its level.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``nominal`` (quantile level, e.g. 0.1 for ``q10``) [1] and
        ``observed`` (fraction of observations below that quantile) [1];
        optional ``variable`` for one line each. A reliable forecast lies on
        the diagonal.

    Returns
    -------
    matplotlib.figure.Figure
        One panel with the diagonal and a line per variable.

    Raises
    ------
    forecasting.errors.InputDataError
        When a required column is missing or a fraction lies outside [0, 1].
    """
    _require(table, ["nominal", "observed"], "reliability_diagram")
    values = table[["nominal", "observed"]].to_numpy(dtype=float)
    outside = np.flatnonzero(np.any((values < 0.0) | (values > 1.0), axis=1))
    if outside.size:
        row = int(outside[0])
        raise InputDataError(
            f"reliability_diagram: row {row} has nominal={values[row, 0]}, "
            f"observed={values[row, 1]}; both must be fractions in [0, 1]"
        )
    fig = Figure(figsize=_PANEL_SIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0.0, 1.0], [0.0, 1.0], color="black", linewidth=0.8, label="perfect")
    for variable, part in _groups(table, "variable"):
        part = part.sort_values("nominal")
        ax.plot(part["nominal"], part["observed"], marker="o", label=variable or "forecast")
    ax.set(xlim=(0.0, 1.0), ylim=(0.0, 1.0), xlabel="quantile level", ylabel="observed frequency")
    ax.set_title("reliability of quantiles")
    ax.legend(fontsize="small")
    return fig


def feature_importance(
    names: Sequence[str], importances: Sequence[float] | np.ndarray, *, top: int = 30
) -> Figure:
    """Plot the ``top`` most important features as horizontal bars.

    Parameters
    ----------
    names : sequence of str
        Feature names.
    importances : sequence of float
        Importance of each feature (e.g. LightGBM gain), same length as
        ``names``.
    top : int, default 30
        How many features to show, the most important at the top.

    Returns
    -------
    matplotlib.figure.Figure
        A bar chart.

    Raises
    ------
    forecasting.errors.InputDataError
        When ``names`` and ``importances`` differ in length.
    """
    values = np.asarray(importances, dtype=float)
    if values.shape != (len(names),):
        raise InputDataError(
            f"feature_importance: {len(names)} names but importances of shape {values.shape}; "
            "give one importance per feature name"
        )
    order = np.argsort(-values, kind="stable")[: max(top, 1)][::-1]
    fig = Figure(figsize=(6.0, 0.25 * len(order) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(np.arange(order.size), values[order])
    ax.set_yticks(np.arange(order.size), [str(names[i]) for i in order])
    ax.set(xlabel="importance", title="feature importance")
    return fig
