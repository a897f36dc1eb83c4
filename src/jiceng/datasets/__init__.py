"""Aggregate reporting: data set definitions, data values, aggregation, validation rules,
completeness and outliers (pure Python, no Django; ``docs/aggregate-data.md``)."""

from .definition import DataSet, Element, Indicator, Rule, load_dataset_file, parse_dataset
from .engine import aggregate, completeness, format_value, validate
from .expressions import Expression, ExpressionError, Ref, parse_expression
from .outliers import is_outlier, mad_bounds
from .periods import Period, parse_period
from .values import read_completions, read_orgs, read_values

__all__ = [
    "DataSet",
    "Element",
    "Expression",
    "ExpressionError",
    "Indicator",
    "Period",
    "Ref",
    "Rule",
    "aggregate",
    "completeness",
    "format_value",
    "is_outlier",
    "load_dataset_file",
    "mad_bounds",
    "parse_dataset",
    "parse_expression",
    "parse_period",
    "read_completions",
    "read_orgs",
    "read_values",
    "validate",
]
