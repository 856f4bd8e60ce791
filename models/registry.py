"""Model registry: experiment files name estimators by string, with hyper-parameters.

An experiment's ``[model]`` table (and each baseline) says ``name = "direct_gbm"`` and
gives hyper-parameters by their constructor names; :func:`make_model` builds the
estimator. A :class:`models.combination.Combination` names its members the same way::

    [model]
    name = "combination"
    params = { method = "inverse_error", members = [
        { name = "direct_gbm", params = { learning_rate = 0.1 } },
        { name = "sarimax" },
    ] }

Unknown names raise :class:`forecasting.errors.UnknownStandardError` listing the valid
ones; unknown hyper-parameters raise :class:`forecasting.errors.InputDataError` listing
the valid ones (style guide §3.5: declare options as data, say how to fix).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from forecasting.errors import InputDataError, UnknownStandardError
from models.base import Forecaster
from models.baselines import Climatology, DampedPersistence, Persistence, SeasonalNaive
from models.combination import Combination
from models.gbm import DirectGBM
from models.statistical import SarimaxForecaster

__all__ = ["MODELS", "available_models", "make_model", "model_class"]

#: Registered estimators, by the name experiment files use (read-only).
MODELS: Mapping[str, type[Forecaster]] = MappingProxyType(
    {
        "persistence": Persistence,
        "seasonal_naive": SeasonalNaive,
        "climatology": Climatology,
        "damped_persistence": DampedPersistence,
        "direct_gbm": DirectGBM,
        "sarimax": SarimaxForecaster,
        "combination": Combination,
    }
)


def available_models() -> tuple[str, ...]:
    """Return the registered model names, sorted."""
    return tuple(sorted(MODELS))


def model_class(name: str) -> type[Forecaster]:
    """Return the estimator class registered under ``name``.

    Raises
    ------
    forecasting.errors.UnknownStandardError
        For an unregistered name, listing the registered ones.
    """
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise UnknownStandardError("model", name, MODELS) from None


def _parameters(cls: type[Forecaster]) -> list[str]:
    signature = inspect.signature(cls.__init__)
    return [p for p in signature.parameters if p != "self"]


def _member(spec: Any, where: str) -> Forecaster:
    if isinstance(spec, Forecaster):
        return spec
    if isinstance(spec, str):
        return make_model(spec)
    if isinstance(spec, Mapping) and "name" in spec:
        extra = set(spec) - {"name", "params"}
        if extra:
            raise InputDataError(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}; a member is "
                "{ name = ..., params = { ... } }"
            )
        return make_model(str(spec["name"]), **dict(spec.get("params", {})))
    raise InputDataError(
        f"{where} is {spec!r}; give a model name, {{ name = ..., params = {{...}} }} or an "
        "estimator"
    )


def make_model(name: str, /, **params: Any) -> Forecaster:
    """Build a registered estimator from its name and hyper-parameters.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    **params
        Constructor arguments. For ``"combination"``, ``members`` is a list of names,
        ``{"name": ..., "params": {...}}`` mappings or estimators.

    Returns
    -------
    Forecaster
        Unfitted.

    Raises
    ------
    forecasting.errors.UnknownStandardError
        For an unknown model name.
    forecasting.errors.InputDataError
        For an unknown hyper-parameter or a malformed member.

    Examples
    --------
    >>> make_model("persistence", target="no2").get_params()["target"]
    'no2'
    """
    cls = model_class(name)
    valid = _parameters(cls)
    unknown = [p for p in params if p not in valid]
    if unknown:
        raise InputDataError(
            f"model {name!r} has no hyper-parameter(s) {', '.join(unknown)}; valid: "
            f"{', '.join(valid)}"
        )
    if cls is Combination and "members" in params:
        members = params["members"]
        if isinstance(members, str | Mapping) or not hasattr(members, "__iter__"):
            raise InputDataError(f"combination members must be a list; got {members!r}")
        params = params | {
            "members": tuple(
                _member(spec, f"combination member {i}") for i, spec in enumerate(members)
            )
        }
    return cls(**params)
