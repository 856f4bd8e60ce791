"""Quality control of observations: flags beside the raw value, never a changed value.

* :mod:`forecasting.qc.flags`: the :class:`QcFlag` bits and :data:`EXCLUDE_DEFAULT`.
* :mod:`forecasting.qc.rules`: thresholds as data (``data/qc_rules.toml``).
* :mod:`forecasting.qc.checks`: value-wise checks (negative, range, ceiling,
  censored, PM2.5 > PM10).
* :mod:`forecasting.qc.temporal`: series checks (stuck, spike, stale).
* :mod:`forecasting.qc.apply`: :func:`apply_qc`, all checks over a tidy frame.
* :mod:`forecasting.qc.report`: the QC report of a store.
"""

from forecasting.qc.apply import apply_qc
from forecasting.qc.flags import (
    ALL_FLAGS,
    EXCLUDE_DEFAULT,
    QcFlag,
    explode_flag_counts,
    flag_names,
    parse_flags,
)
from forecasting.qc.report import QcReport, qc_report, summarise_flags
from forecasting.qc.rules import QcRules, VariableRule, default_qc_rules, read_qc_rules

__all__ = [
    "ALL_FLAGS",
    "EXCLUDE_DEFAULT",
    "QcFlag",
    "QcReport",
    "QcRules",
    "VariableRule",
    "apply_qc",
    "default_qc_rules",
    "explode_flag_counts",
    "flag_names",
    "parse_flags",
    "qc_report",
    "read_qc_rules",
    "summarise_flags",
]
