"""Indicator engine: record sets in, indicator values out (no Django imports).

Public interface used by the web pages, the commands and the benchmarks.
"""

from .compute import IndicatorValue, compute_indicators
from .definitions import Definition, Registry, registry
from .periods import Period, parse_period
from .recordset import CheckResult, LoadResult, check_recordset, load_recordset
from .synthetic import generate_recordset, synthetic_tree
from .tree import OrgRow

__all__ = [
    "CheckResult",
    "Definition",
    "IndicatorValue",
    "LoadResult",
    "OrgRow",
    "Period",
    "Registry",
    "check_recordset",
    "compute_indicators",
    "generate_recordset",
    "load_recordset",
    "parse_period",
    "registry",
    "synthetic_tree",
]
