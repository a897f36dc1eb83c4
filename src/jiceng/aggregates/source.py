"""A definition as YAML text: how a data set loaded from the Excel layout is stored (the
platform keeps every version's source as text and parses it again when needed)."""

from __future__ import annotations

import yaml

from jiceng.datasets import DataSet
from jiceng.datasets.engine import format_value


def dataset_yaml(ds: DataSet) -> str:
    """``ds`` in the YAML format of ``docs/aggregate-data.md`` (parses back to ``ds``)."""
    data = {
        "code": ds.code,
        "version": ds.version,
        "name": ds.name,
        "period_type": ds.period_type,
        "institution_kinds": list(ds.institution_kinds),
        "due_days": ds.due_days,
        "sections": [
            {
                **({"code": s.code} if s.code else {}),
                **({"name": s.name} if s.name else {}),
                "elements": [_element(ds.elements[c]) for c in s.elements],
            }
            for s in ds.sections
        ],
    }
    if ds.indicators:
        data["indicators"] = [
            {
                "code": i.code,
                "name": i.name,
                "numerator": i.numerator.text,
                "denominator": i.denominator.text,
                "factor": format_value(i.factor),
                **(
                    {"target": f"{i.target.operator} {format_value(i.target.value)}"}
                    if i.target
                    else {}
                ),
            }
            for i in ds.indicators
        ]
    if ds.rules:
        data["validation_rules"] = [
            {
                "code": r.code,
                "name": r.name,
                "left": r.left.text,
                "operator": r.operator,
                "right": r.right.text,
                "importance": r.importance,
                "missing": r.missing,
                **({"message": r.message} if r.message else {}),
            }
            for r in ds.rules
        ]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _element(el) -> dict:
    out = {
        "code": el.code,
        "name": el.name,
        "value_type": el.value_type,
        "aggregation": el.aggregation,
    }
    if el.options:
        out["options"] = [{"code": o.code, "name": o.name} for o in el.options]
    if el.zero_is_significant:
        out["zero_is_significant"] = True
    return out
