"""Load the quality-control rules (``forecasting/qc/data/qc_rules.toml``).

The thresholds of every check are data: a TOML file whose comments say where
each number comes from. :func:`read_qc_rules` turns it into frozen
dataclasses; the checks in :mod:`forecasting.qc.checks` and
:mod:`forecasting.qc.temporal` take those objects as arguments.

References
----------
.. [1] shared/data/README.md (2026-11-23): ceilings, stuck runs, censored
   values and stale readings of the shared Beijing and CNEMC files.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from forecasting.errors import InputDataError, UnknownStandardError

__all__ = [
    "DEFAULT_RULES_FILE",
    "DomainRule",
    "QcRules",
    "SpikeRule",
    "VariableRule",
    "default_qc_rules",
    "read_qc_rules",
]

Domain = Literal["air", "water"]
DEFAULT_RULES_FILE = "qc_rules.toml"
_VARIABLE_KEYS = frozenset(
    {
        "domain",
        "unit",
        "range",
        "nonnegative",
        "ceilings",
        "detection_limit",
        "stuck_hours",
        "stuck_min_value",
        "spike_floor",
    }
)


@dataclass(frozen=True)
class VariableRule:
    """QC thresholds of one variable, in its canonical unit.

    Attributes
    ----------
    name : str
        ecocast variable name, e.g. ``"pm25"``.
    domain : {"air", "water"}
        Which network the variable belongs to.
    unit : str
        Canonical unit the thresholds are expressed in, e.g. ``"ug/m3"``.
    lower, upper : float
        Plausible range [unit]; outside is OUT_OF_RANGE.
    nonnegative : bool
        Whether a negative value is flagged NEGATIVE.
    ceilings : tuple of float
        Instrument or display ceilings [unit]; equal is CEILING.
    detection_limit : float or None
        Method detection limit [unit]; at or below is CENSORED.
    stuck_hours : float or None
        Shortest span of a run of identical values that is STUCK [h].
    stuck_min_value : float or None
        Runs at or below this value are not checked [unit].
    spike_floor : float or None
        Smallest robust scale of the spike test [unit]; None disables it.
    """

    name: str
    domain: Domain
    unit: str
    lower: float = -math.inf
    upper: float = math.inf
    nonnegative: bool = False
    ceilings: tuple[float, ...] = ()
    detection_limit: float | None = None
    stuck_hours: float | None = None
    stuck_min_value: float | None = None
    spike_floor: float | None = None


@dataclass(frozen=True)
class DomainRule:
    """Series settings of one domain.

    Attributes
    ----------
    max_gap_hours : float
        Readings further apart than this start a new series segment [h].
    stale_gap_hours : float or None
        Isolation that makes a reading STALE [h]; None disables the test.
    """

    max_gap_hours: float
    stale_gap_hours: float | None = None


@dataclass(frozen=True)
class SpikeRule:
    """Settings of the rolling median / IQR spike test.

    Attributes
    ----------
    window : int
        Readings in the centred window (odd).
    min_periods : int
        Fewest readings in a window for the test to apply.
    k : float
        Threshold in robust standard deviations.
    """

    window: int
    min_periods: int
    k: float


@dataclass(frozen=True)
class QcRules:
    """All QC rules, as loaded from one TOML file.

    Attributes
    ----------
    source : str
        File the rules came from (its name) and version.
    variables : Mapping[str, VariableRule]
        Rules per variable name.
    domains : Mapping[str, DomainRule]
        Series settings per domain (``"air"``, ``"water"``).
    spike : SpikeRule
        Spike-test settings.
    pm25_gt_pm10_tolerance : float
        PM2.5 > PM10 + tolerance is flagged [µg m⁻³].
    """

    source: str
    variables: Mapping[str, VariableRule]
    domains: Mapping[str, DomainRule]
    spike: SpikeRule
    pm25_gt_pm10_tolerance: float

    def variable(self, name: str) -> VariableRule:
        """Return the rule of one variable.

        Raises
        ------
        forecasting.errors.UnknownStandardError
            For a variable without a rule; the message lists the known ones.
        """
        try:
            return self.variables[name]
        except KeyError:
            raise UnknownStandardError("QC variable", name, self.variables) from None


def read_qc_rules(path: str | Path | None = None) -> QcRules:
    """Read and validate a QC rules file.

    Parameters
    ----------
    path : str or path-like, optional
        A TOML file in the layout of the packaged ``qc_rules.toml``. Default:
        the packaged file (loaded once and cached; see :func:`default_qc_rules`).

    Returns
    -------
    QcRules
        The validated rules.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the file and the key of a missing or invalid entry.
    """
    if path is None:
        return default_qc_rules()
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputDataError(f"{file}: cannot read QC rules ({exc})") from None
    return _build(raw, file.name)


@functools.cache
def default_qc_rules() -> QcRules:
    """Return the packaged rules (``forecasting/qc/data/qc_rules.toml``), cached."""
    text = (resources.files("forecasting.qc") / "data" / DEFAULT_RULES_FILE).read_text("utf-8")
    return _build(tomllib.loads(text), DEFAULT_RULES_FILE)


def _build(raw: Mapping[str, Any], name: str) -> QcRules:
    version = str(_table(raw, "about", name).get("version", "unversioned"))
    domains = {
        key: DomainRule(
            max_gap_hours=_number(value, "max_gap_hours", f"{name} [domain.{key}]"),
            stale_gap_hours=_optional(value, "stale_gap_hours", f"{name} [domain.{key}]"),
        )
        for key, value in _table(raw, "domain", name).items()
    }
    for needed in ("air", "water"):
        if needed not in domains:
            raise InputDataError(f"{name}: missing table [domain.{needed}]")
    spike_raw = _table(raw, "spike", name)
    where = f"{name} [spike]"
    spike = SpikeRule(
        window=int(_number(spike_raw, "window", where)),
        min_periods=int(_number(spike_raw, "min_periods", where)),
        k=_number(spike_raw, "k", where),
    )
    if spike.window < 3 or spike.window % 2 == 0 or not 1 <= spike.min_periods <= spike.window:
        raise InputDataError(f"{where}: window must be odd and >= 3, 1 <= min_periods <= window")
    tolerance = _number(_table(raw, "consistency", name), "pm25_gt_pm10_tolerance", name)
    variables = {
        key: _variable(key, value, f"{name} [variable.{key}]")
        for key, value in _table(raw, "variable", name).items()
    }
    return QcRules(
        source=f"{name}@{version}",
        variables=MappingProxyType(variables),
        domains=MappingProxyType(domains),
        spike=spike,
        pm25_gt_pm10_tolerance=tolerance,
    )


def _variable(key: str, raw: Mapping[str, Any], where: str) -> VariableRule:
    unknown = sorted(set(raw) - _VARIABLE_KEYS)
    if unknown:
        raise InputDataError(
            f"{where}: unknown key(s) {unknown}; allowed: {', '.join(sorted(_VARIABLE_KEYS))}"
        )
    domain = raw.get("domain")
    if domain not in ("air", "water"):
        raise InputDataError(f"{where}: domain {domain!r} must be 'air' or 'water'")
    lower, upper = -math.inf, math.inf
    if "range" in raw:
        bounds = raw["range"]
        if not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] < bounds[1]):
            raise InputDataError(f"{where}: range {bounds!r} must be [lower, upper], lower < upper")
        lower, upper = float(bounds[0]), float(bounds[1])
    ceilings = raw.get("ceilings", [])
    if not isinstance(ceilings, list):
        raise InputDataError(f"{where}: ceilings {ceilings!r} must be a list of numbers")
    return VariableRule(
        name=key,
        domain=cast(Domain, domain),
        unit=str(raw.get("unit", "")),
        lower=lower,
        upper=upper,
        nonnegative=bool(raw.get("nonnegative", False)),
        ceilings=tuple(_as_float(c, f"{where} ceilings") for c in ceilings),
        detection_limit=_optional(raw, "detection_limit", where),
        stuck_hours=_optional(raw, "stuck_hours", where),
        stuck_min_value=_optional(raw, "stuck_min_value", where),
        spike_floor=_optional(raw, "spike_floor", where),
    )


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise InputDataError(f"{where}: missing table [{key}]")
    return value


def _number(raw: Mapping[str, Any], key: str, where: str) -> float:
    if key not in raw:
        raise InputDataError(f"{where}: missing key {key!r}")
    return _as_float(raw[key], f"{where} {key}")


def _optional(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    return _as_float(raw[key], f"{where} {key}") if key in raw else None


def _as_float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputDataError(f"{where}: {value!r} is not a number")
    return float(value)
