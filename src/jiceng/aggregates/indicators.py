"""Data-set indicators where the resident-record indicators are shown (a unit's indicators
page, the region table) and for other apps (appraisal): :func:`indicator_value`.

The periods are read as the indicators pages read them: year to date (``2025Q2`` is January
to June, ``2025`` the whole year). A data set's indicator is defined for a period made of
whole periods of the data set's type (a quarterly set has none for ``2025-05``); the value
is the contract's ``aggregate`` of the stored values (``jiceng.datasets.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from jiceng.aggregates.models import DataSetVersion, DataValue
from jiceng.aggregates.queries import _orgs, datasets_at, definition_of, stored_value
from jiceng.datasets import Period, parse_period
from jiceng.datasets.definition import Target
from jiceng.datasets.engine import node_values
from jiceng.datasets.periods import MONTHS_IN, year_to_date
from jiceng.orgs.models import Node


@dataclass(frozen=True)
class DataSetIndicator:
    """One indicator of a data set, as a column or a row of the indicators pages."""

    key: str  # "DATASET.INDICATOR": unique over data sets
    code: str
    name: str
    dataset: DataSetVersion
    rate: bool  # in per cent (factor 100): changes in percentage points
    target: Target | None


def range_of(label: str, period_type: str) -> Period | None:
    """The year to date of ``label`` when it is whole periods of ``period_type``, else None."""
    try:
        span = year_to_date(parse_period(label))
    except ValueError:
        return None
    return span if span.months % MONTHS_IN[period_type] == 0 else None


def indicators_at(node: Node) -> list[DataSetIndicator]:
    """The indicators of the data sets that apply at ``node`` (newest version of each)."""
    out = []
    for version in datasets_at(node):
        ds = definition_of(version)
        for ind in ds.indicators:
            out.append(
                DataSetIndicator(
                    f"{version.code}.{ind.code}",
                    ind.code,
                    ind.name,
                    version,
                    ind.factor == 100,
                    ind.target,
                )
            )
    return out


def values_below(
    root: Node, labels: list[str], indicators: list[DataSetIndicator] | None = None
) -> dict[tuple[int, str, str], Fraction | None]:
    """``(node pk, indicator key, label) -> value`` for every node of ``root``'s subtree and
    every label (year to date), from three queries whatever the size of the region."""
    indicators = indicators_at(root) if indicators is None else indicators
    versions = {i.dataset.pk: i.dataset for i in indicators}.values()
    if not versions:
        return {}
    ranges = {}
    for v in versions:
        for label in labels:
            r = range_of(label, v.period_type)
            if r is not None:
                ranges[(v.code, label)] = r
    wanted = {
        p.label
        for (code, _label), r in ranges.items()
        for p in r.periods(next(v.period_type for v in versions if v.code == code))
    }
    orgs, by_code = _orgs(root)
    rows = DataValue.objects.filter(
        dataset__code__in={v.code for v in versions},
        node__path__startswith=root.path,
        period__in=wanted,
    ).values_list("dataset__code", "node__code", "period", "element", "option", "value")
    by_set: dict[str, dict] = {v.code: {} for v in versions}
    defs = {v.code: definition_of(v) for v in versions}
    for set_code, unit, period, element, option, text in rows:
        el = defs[set_code].elements.get(element)
        if el is not None:
            key = (unit, parse_period(period), element, option)
            by_set[set_code][key] = stored_value(text, el.value_type)
    out: dict[tuple[int, str, str], Fraction | None] = {}
    for (set_code, label), r in ranges.items():
        computed = node_values(defs[set_code], orgs, by_set[set_code], r)
        for unit, got in computed.items():
            pk = by_code[unit].pk
            for ind in defs[set_code].indicators:
                v = got.get(ind.code)
                out[(pk, f"{set_code}.{ind.code}", label)] = v if isinstance(v, Fraction) else None
    return out


def indicator_value(
    node: Node, dataset_code: str, indicator_code: str, period: str
) -> Fraction | None:
    """The value of a data set's indicator at ``node`` for ``period`` (year to date, as on the
    indicators pages), or None when undefined (no values, no such indicator, or a period that
    is not whole periods of the data set's type). For other apps, e.g. appraisal."""
    try:
        period = parse_period(period).label
    except ValueError:
        return None
    key = f"{dataset_code}.{indicator_code}"
    wanted = [i for i in indicators_at(node) if i.key == key]
    if not wanted:
        return None
    return values_below(node, [period], wanted).get((node.pk, key, period))


def _shown(value: Fraction | None) -> str:
    """A value as the indicators pages show it: two decimal places at most."""
    from decimal import Decimal

    if value is None:
        return ""
    d = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))
    text = f"{d:f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@dataclass
class Line:
    """A data-set indicator's figures at one node: value, last year's, change, target."""

    indicator: DataSetIndicator
    value: Fraction | None
    previous: Fraction | None

    @property
    def shown(self) -> str:
        return _shown(self.value)

    @property
    def previous_shown(self) -> str:
        return _shown(self.previous)

    @property
    def change(self) -> str:
        """Percentage points for a rate, the relative change in per cent otherwise."""
        from jiceng.aggregates.queries import _change

        c = _change(self.value, self.previous, self.indicator.rate)
        if c is None:
            return ""
        sign = "+" if c > 0 else ""
        return f"{sign}{c}" if self.indicator.rate else f"{sign}{c}%"

    @property
    def met(self) -> bool | None:
        t = self.indicator.target
        return t.met_by(self.value) if t else None


def node_lines(node: Node, period: str, previous: str) -> list[Line]:
    """Every data-set indicator at ``node`` for ``period`` and ``previous`` (the indicators
    page's same period last year)."""
    indicators = indicators_at(node)
    got = values_below(node, [period, previous], indicators)
    return [
        Line(i, got.get((node.pk, i.key, period)), got.get((node.pk, i.key, previous)))
        for i in indicators
    ]


def table_lines(
    root: Node, nodes: list[Node], period: str
) -> tuple[list[DataSetIndicator], list[tuple[Node, list[Line]]]]:
    """The data-set indicators (columns) and, for each of ``nodes`` (within ``root``'s
    subtree), its line of values for ``period``."""
    indicators = indicators_at(root)
    got = values_below(root, [period], indicators)
    return indicators, [
        (n, [Line(i, got.get((n.pk, i.key, period)), None) for i in indicators]) for n in nodes
    ]
