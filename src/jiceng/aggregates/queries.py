"""Reads of aggregate data: which data sets apply where, a form's values and checks, the
forms waiting for a user, the reporting rate of a region.

All calculations are those of ``jiceng.datasets`` (the contract's engine); this module only
turns database rows into its inputs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.http import Http404
from django.utils import timezone

from jiceng.aggregates import totals as totals_module
from jiceng.aggregates.models import DataSetVersion, DataValue, OutlierBound, Report, UnitTotal
from jiceng.aggregates.totals import decimal_parts
from jiceng.core import scope
from jiceng.core.perf import paused_gc
from jiceng.datasets import DataSet, Period, is_outlier, parse_dataset, parse_period
from jiceng.datasets.engine import check_rule, completeness, expected, unit_cells
from jiceng.datasets.outliers import WINDOW
from jiceng.datasets.periods import MONTHS_IN
from jiceng.datasets.values import Org, Value
from jiceng.orgs.models import Node

_DEFINITIONS: dict[tuple, DataSet] = {}


def definition_of(version: DataSetVersion) -> DataSet:
    """The parsed definition of a loaded version (parsed once per process and source)."""
    key = (version.pk, version.code, version.version, hash(version.source))
    ds = _DEFINITIONS.get(key)
    if ds is None:
        ds = parse_dataset(version.source, version.source_name or f"{version.code}.yaml")
        if len(_DEFINITIONS) > 200:
            _DEFINITIONS.clear()
        _DEFINITIONS[key] = ds
    return ds


def latest_versions(qs) -> list[DataSetVersion]:
    """The newest active version of each data set code in ``qs``."""
    seen: dict[str, DataSetVersion] = {}
    for v in qs.filter(active=True).select_related("owner").order_by("code", "-loaded_at"):
        seen.setdefault(v.code, v)
    return list(seen.values())


def datasets_at(node: Node) -> list[DataSetVersion]:
    """Active data sets (newest version of each) that apply at ``node``'s region."""
    return latest_versions(scope.catalogs_applying_to(node, DataSetVersion.objects.all()))


def visible_datasets(user) -> list[DataSetVersion]:
    """Data sets the user sees: those applying to their node and those of regions below."""
    return scope.visible_catalogs(user, DataSetVersion.objects.select_related("owner")).order_by(
        "code", "-loaded_at"
    )


def get_dataset(user, pk: int) -> DataSetVersion:
    """One data set version the user sees, else 404."""
    version = scope.visible_catalogs(
        user, DataSetVersion.objects.select_related("owner").filter(pk=pk)
    ).first()
    if version is None:
        raise Http404("data set not found")
    return version


def reports_for(version: DataSetVersion, node: Node, period: str) -> Report | None:
    return (
        Report.objects.filter(dataset=version, node=node, period=period)
        .select_related("completed_by", "approved_by")
        .first()
    )


# ---------------------------------------------------------------- values


def stored_value(text: str, value_type: str) -> Value:
    """A stored value as the engine reads it (text elements stay text)."""
    if value_type == "text":
        return text
    if value_type in INTEGER_TYPES and text.isascii() and text.isdigit():  # quicker, same
        return Fraction(int(text))
    return Fraction(Decimal(text))


def form_values(version: DataSetVersion, node: Node, period: str) -> dict[str, str]:
    """{"CODE" or "CODE.OPTION": stored text} of one form."""
    return {
        v.key: v.value
        for v in DataValue.objects.filter(dataset=version, node=node, period=period).only(
            "element", "option", "value"
        )
    }


def _engine_values(ds: DataSet, unit: str, rows) -> dict:
    out = {}
    for element, option, period, text in rows:
        el = ds.elements.get(element)
        if el is None:
            continue
        out[(unit, parse_period(period), element, option)] = stored_value(text, el.value_type)
    return out


class Bounds:
    """Administrators' min/max of a data set in a region: for each unit, per key, the bound
    of the nearest region at or above it set for the unit's kind (one query)."""

    def __init__(self, dataset_code: str, node: Node):
        from django.db.models import Q

        from jiceng.orgs.models import path_ids

        self.all = list(
            OutlierBound.objects.filter(dataset_code=dataset_code)
            .filter(Q(owner_id__in=path_ids(node.path)) | Q(owner__path__startswith=node.path))
            .select_related("owner")
            .order_by("owner__depth")
        )

    def for_unit(self, unit: Node) -> dict[str, OutlierBound]:
        """key -> the bound that applies to ``unit`` (deeper regions override)."""
        out: dict[str, OutlierBound] = {}
        for b in self.all:  # shallowest first
            if b.kind == unit.kind and unit.path.startswith(b.owner.path):
                out[b.key] = b
        return out


def visible_bounds(user, dataset_code: str, root: Node | None) -> list[OutlierBound]:
    """The min/max bounds of a data set the user sees: set at or above their node, or below."""
    if root is None:
        if not scope.is_global(user):
            return []
        qs = OutlierBound.objects.filter(dataset_code=dataset_code).select_related("owner")
        return list(qs.order_by("owner__path", "key", "kind")[:500])
    return sorted(Bounds(dataset_code, root).all, key=lambda b: (b.owner.path, b.key, b.kind))[:500]


def get_bound(user, dataset_code: str, pk: int) -> OutlierBound:
    """One bound the user sees, else 404."""
    for b in visible_bounds(user, dataset_code, scope.scope_root(user)):
        if b.pk == pk:
            return b
    raise Http404("no such bound")


def bound_limits(bound: OutlierBound | None) -> tuple[Fraction | None, Fraction | None]:
    if bound is None:
        return None, None
    low = None if bound.minimum is None else Fraction(bound.minimum)
    high = None if bound.maximum is None else Fraction(bound.maximum)
    return low, high


def outside_text(bound: OutlierBound | None, value: Fraction) -> str:
    """Why ``value`` is outside ``bound`` (below its minimum / above its maximum), or ""."""
    from django.utils.translation import gettext as _

    from jiceng.datasets.engine import format_value

    low, high = bound_limits(bound)
    if low is not None and value < low:
        return _("below the minimum %(n)s") % {"n": format_value(low)}
    if high is not None and value > high:
        return _("above the maximum %(n)s") % {"n": format_value(high)}
    return ""


@dataclass
class Checks:
    """What a form's values break: rule violations and outlying values."""

    violations: list[dict] = field(default_factory=list)
    outliers: set[str] = field(default_factory=set)
    # key -> why the value is outside the administrators' min/max
    out_of_bounds: dict[str, str] = field(default_factory=dict)

    @property
    def high(self) -> list[dict]:
        return [v for v in self.violations if v["importance"] == "high"]


def form_checks(version: DataSetVersion, node: Node, period: str) -> Checks:
    """Validation rule violations and outliers of one form, from the stored values."""
    from jiceng.datasets.engine import format_value

    ds = definition_of(version)
    p = parse_period(period)
    window = {p.previous(n).label for n in range(WINDOW + 1)}
    rows = list(
        DataValue.objects.filter(
            dataset__code=version.code, node=node, period__in=window
        ).values_list("element", "option", "period", "value")
    )
    values = _engine_values(ds, node.code, rows)
    cells = unit_cells(values)
    checks = Checks()
    cell = cells.get((node.code, p), {})
    for rule in ds.rules:
        found = check_rule(rule, cell)
        if found is not None:
            checks.violations.append(
                {
                    "code": rule.code,
                    "name": rule.name,
                    "message": rule.message or rule.name,
                    "importance": rule.importance,
                    "left": format_value(found[0]),
                    "right": format_value(found[1]),
                }
            )
    series: dict[str, dict[Period, Fraction]] = defaultdict(dict)
    for (_unit, q), c in cells.items():
        for key, v in c.items():
            if isinstance(v, Fraction):
                series[key][q] = v
    bounds = Bounds(version.code, node).for_unit(node)
    for key, s in series.items():
        if p in s and is_outlier(s, p, *bound_limits(bounds.get(key))):
            checks.outliers.add(key)
            if why := outside_text(bounds.get(key), s[p]):
                checks.out_of_bounds[key] = why
    return checks


# ---------------------------------------------------------------- forms waiting


def periods_ended(period_type: str, today: date, back_months: int = 12) -> list[Period]:
    """Periods of ``period_type`` that ended before ``today``, within ``back_months`` months."""
    step = MONTHS_IN[period_type]
    now = today.year * 12 + today.month - 1
    start = now - back_months - step
    out = []
    for m in range(start - start % step, now + 1, step):
        p = Period(m, step)
        if p.end < today and p.first + step > now - back_months:
            out.append(p)
    return out


def entry_units(user) -> list[Node]:
    """The open institutions whose forms ``user`` fills (their own and those below it)."""
    inst = user.home_institution
    if inst is None or not scope.can(user, scope.Action.ENTER_DATA, inst):
        return []
    units = Node.objects.subtree(inst).filter(closed__isnull=True).order_by("path")
    return [u for u in units if u.is_institution]


def forms_to_fill(user, today: date | None = None, limit: int = 30) -> list[dict]:
    """待填报: forms of the user's units for ended periods (last 12 months) not completed."""
    today = today or timezone.localdate()
    units = entry_units(user)
    if not units:
        return []
    versions = datasets_at(units[0])
    wanted = []
    for v in versions:
        ds = definition_of(v)
        for p in periods_ended(ds.period_type, today):
            due = p.end.toordinal() + ds.due_days
            for u in units:
                if u.kind in ds.institution_kinds and Org(
                    u.code, u.name, None, u.kind, u.opened, u.closed
                ).open_during(p):
                    wanted.append((due, v, u, p))
    if not wanted:
        return []
    done = set(
        Report.objects.filter(
            dataset__in=versions,
            node__in=units,
            period__in={p.label for _d, _v, _u, p in wanted},
            completed_at__isnull=False,
        ).values_list("dataset_id", "node_id", "period")
    )
    out = []
    for due, v, u, p in sorted(wanted, key=lambda w: (w[0], w[2].path, w[1].code)):
        if (v.pk, u.pk, p.label) in done:
            continue
        out.append(
            {
                "dataset": v,
                "unit": u,
                "period": p.label,
                "due": date.fromordinal(due),
                "overdue": date.fromordinal(due) < today,
            }
        )
    return out[:limit]


def forms_to_approve(user, limit: int = 50) -> tuple[list[Report], int]:
    """待审核: completed, unlocked forms of units the user approves, oldest first, and how
    many were found (counted up to 4 × ``limit``)."""
    root = scope.scope_root(user)
    if root is None and not scope.is_global(user):
        return [], 0
    qs = Report.objects.filter(completed_at__isnull=False, locked=False)
    if root is not None:
        qs = qs.filter(node__path__startswith=root.path)
    qs = qs.select_related("dataset", "node").order_by("completed_at", "pk")
    out = [r for r in qs[: limit * 4] if scope.can(user, scope.Action.APPROVE_DATA, r.node)]
    return out[:limit], len(out)


# ---------------------------------------------------------------- reporting rate


@dataclass
class Reporting:
    """Completeness and timeliness of a data set at a node over a period."""

    node: Node
    period: Period
    total: dict
    regions: list[dict]
    late: list[dict]
    missing: list[dict]


def _orgs(node: Node) -> tuple[list[Org], dict[str, Node]]:
    """The engine's view of ``node``'s subtree (one query) and the nodes by code."""
    nodes = list(Node.objects.subtree(node).order_by("path"))
    code_of = {n.pk: n.code for n in nodes}
    orgs = [
        Org(n.code, n.name, code_of.get(n.parent_id), n.kind, n.opened, n.closed) for n in nodes
    ]
    return orgs, {n.code: n for n in nodes}


def _subtree_values(
    ds: DataSet, version: DataSetVersion, node: Node, labels: list[str], elements=None
):
    """The engine's values of ``node``'s subtree for the periods ``labels`` (one query),
    only of ``elements`` when given."""
    values = {}
    period_of: dict[str, Period] = {}
    qs = DataValue.objects.filter(
        dataset__code=version.code, node__path__startswith=node.path, period__in=labels
    )
    if elements is not None:
        qs = qs.filter(element__in=sorted(elements))
    for code, p, element, option, text in qs.values_list(
        "node__code", "period", "element", "option", "value"
    ):
        el = ds.elements.get(element)
        if el is not None:
            q = period_of.get(p) or period_of.setdefault(p, parse_period(p))
            values[(code, q, element, option)] = stored_value(text, el.value_type)
    return values


def _completions(
    version: DataSetVersion, node: Node, labels: list[str]
) -> dict[tuple[str, Period], date]:
    """(unit code, period) -> the day its form was completed, in ``node``'s subtree."""
    completions: dict[tuple[str, Period], date] = {}
    for code, p, at in Report.objects.filter(
        dataset__code=version.code,
        node__path__startswith=node.path,
        period__in=labels,
        completed_at__isnull=False,
    ).values_list("node__code", "period", "completed_at"):
        completions[(code, parse_period(p))] = timezone.localdate(at)
    return completions


def _change(current: Fraction | None, before: Fraction | None, rate: bool) -> Decimal | None:
    """The change from ``before`` to ``current``: percentage points for a rate, else the
    relative change in per cent; None when either is missing (or ``before`` is 0)."""
    if current is None or before is None:
        return None
    if rate:
        diff = current - before
    elif before == 0:
        return None
    else:
        diff = (current - before) / abs(before) * 100
    return (Decimal(diff.numerator) / Decimal(diff.denominator)).quantize(Decimal("0.1"))


def _fraction(text: str) -> Fraction | None:
    if text == "":
        return None
    try:
        return Fraction(Decimal(text))
    except ArithmeticError:
        return None  # a text element's value


@dataclass(frozen=True)
class Span:
    """What the values page compares: the period shown, the one before and last year's."""

    shown: Period
    previous: Period
    last_year: Period
    ytd: bool = False


def span_of(period: Period, ytd: bool = False) -> Span:
    """``period`` (or January up to its end, ``ytd``) with its previous period (for a year to
    date: the year to date one period earlier) and the same months a year earlier."""
    from jiceng.datasets.periods import same_period_last_year, year_to_date

    if ytd and period.months < 12:
        shown = year_to_date(period)
        return Span(shown, year_to_date(period.previous()), same_period_last_year(shown), True)
    return Span(period, period.previous(), same_period_last_year(period))


@paused_gc()
def aggregated(version: DataSetVersion, node: Node, period: Period, ytd: bool = False) -> dict:
    """The aggregated values and indicators of ``node`` and its children for ``period`` (or
    the year to date ending with it), by the contract's ``aggregate``, with for ``node``
    the previous period, the same period last year, the changes, and indicator targets:
    ``{"columns": [nodes], "rows": [{code, name, level, values, ...}], ...}``."""
    from jiceng.datasets.engine import format_value

    ds = definition_of(version)
    span = span_of(period, ytd)
    tree = _orgs(node)
    orgs, by_code = tree
    columns = [node] + [n for n in by_code.values() if n.parent_id == node.pk]
    shown_periods = span.shown.periods(ds.period_type)
    counts = completeness(
        ds, orgs, shown_periods, _completions(version, node, [p.label for p in shown_periods])
    )
    # only the nodes shown: the node and its children
    computed = province_aggregate(version, node, span.shown, tree, {n.code for n in columns})
    table: dict[tuple[str, str], str] = {
        (n.code, code): format_value(v) for n in columns for code, v in computed[n.code].items()
    }

    def rate(n: Node, i: int) -> str:
        e = counts.get(n.code, (0, 0, 0))
        return format_value(Fraction(e[i], e[0])) if e[0] else ""

    # the node's own values for the previous period and last year's
    earlier = []
    for r in (span.previous, span.last_year):  # of a year, the same period: computed once
        if earlier and r == span.previous:
            earlier.append(earlier[0])
            continue
        got = province_aggregate(version, node, r, tree, {node.code})[node.code]
        earlier.append({code: format_value(v) for code, v in got.items()})
    targets = {i.code: i.target for i in ds.indicators if i.target is not None}
    rates = {i.code for i in ds.indicators if i.factor == 100 and i.denominator.text != "1"}
    rates |= {e.code for e in ds.element_list() if e.value_type == "percentage"}
    out = []

    def add(code: str, name: str, level: int) -> None:
        shown = [table.get((n.code, code), "") for n in columns]
        current = _fraction(shown[0])
        before, year_ago = (_fraction(e.get(code, "")) for e in earlier)
        rate = code.partition(".")[0] in rates
        target = targets.get(code)
        met = [target.met_by(_fraction(v)) if target else None for v in shown]
        out.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "values": shown,
                "rate": rate,
                "previous": earlier[0].get(code, ""),
                "last_year": earlier[1].get(code, ""),
                "change_previous": _change(current, before, rate),
                "change_last_year": _change(current, year_ago, rate),
                "target": target,
                "met": met,
                "cells": list(zip(shown, met, strict=True)),
            }
        )

    for el in ds.element_list():
        add(el.code, el.name, 0)
        for o in el.options:
            add(f"{el.code}.{o.code}", o.name, 1)
    for ind in ds.indicators:
        add(ind.code, ind.name, 0)
    return {
        "columns": columns,
        "rows": out,
        "span": span,
        "indicators": {i.code for i in ds.indicators},
        "completeness": [rate(n, 1) for n in columns],
        "timeliness": [rate(n, 2) for n in columns],
    }


def region_outliers(version: DataSetVersion, node: Node, period: Period) -> list[dict]:
    """Outlying values of ``node``'s subtree within ``period``, each judged against the same
    unit's and key's 24 earlier periods (``jiceng.datasets.is_outlier``)."""
    from jiceng.datasets.engine import format_value

    ds = definition_of(version)
    inside = period.periods(ds.period_type)
    window = {q.previous(n).label for q in inside for n in range(WINDOW + 1)}
    _orgs_list, by_code = _orgs(node)
    cells = unit_cells(_subtree_values(ds, version, node, sorted(window)))
    series: dict[tuple[str, str], dict[Period, Fraction]] = defaultdict(dict)
    for (unit, q), cell in cells.items():
        for key, v in cell.items():
            if isinstance(v, Fraction):
                series[(unit, key)][q] = v
    names = {}
    for el in ds.element_list():
        names[el.code] = el.name
        for o in el.options:
            names[f"{el.code}.{o.code}"] = f"{el.name}（{o.name}）"
    bounds = Bounds(version.code, node)
    unit_bounds: dict[str, dict[str, OutlierBound]] = {}
    out = []
    for (unit, key), s in sorted(series.items()):
        if unit not in unit_bounds:
            unit_bounds[unit] = bounds.for_unit(by_code[unit])
        bound = unit_bounds[unit].get(key)
        for q in inside:
            if q in s and is_outlier(s, q, *bound_limits(bound)):
                out.append(
                    {
                        "unit": by_code[unit],
                        "period": q.label,
                        "key": key,
                        "name": names.get(key, key),
                        "value": format_value(s[q]),
                        "reason": outside_text(bound, s[q]),
                    }
                )
    out.sort(key=lambda o: (o["unit"].path, o["period"], o["key"]))
    return out


@paused_gc()
def violations(version: DataSetVersion, node: Node, period: Period) -> list[dict]:
    """Validation rule analysis: every violation in ``node``'s subtree within ``period``,
    as the engine's ``validate`` finds them (``tests/aggregates/test_rule_analysis.py``).

    The database gives, in one query, each unit-period's value of every reference the rules
    read (:func:`_rule_cells`); each rule is compiled once (``engine.rule_checker``) and
    called for every unit of the reporting kinds open in each period."""
    from jiceng.datasets.engine import expected, format_value, rule_checker

    ds = definition_of(version)
    periods = period.periods(ds.period_type)
    orgs, by_code = _orgs(node)
    refs = list(dict.fromkeys(r for rule in ds.rules for r in rule.refs))
    index = {r: i for i, r in enumerate(refs)}
    cells = _rule_cells(ds, version, node, [p.label for p in periods], refs)
    checks = [(rule, rule_checker(rule), [index[r] for r in rule.refs]) for rule in ds.rules]
    empty = (None,) * len(refs)
    found = []
    for org, p in expected(ds, orgs, periods):
        row = cells.get((by_code[org.code].pk, p.label), empty)
        for rule, check, at in checks:
            got = check(*[row[i] for i in at])
            if got is not None:
                found.append((org.code, p.label, rule, got))
    found.sort(key=lambda f: (f[0], f[1], f[2].code))
    return [
        {
            "unit": by_code[code],
            "period": label,
            "rule": rule,
            "left": format_value(got[0]),
            "right": format_value(got[1]),
        }
        for code, label, rule, got in found
    ]


def _rule_cells(
    ds: DataSet, version: DataSetVersion, node: Node, labels: list[str], refs: list
) -> dict[tuple[int, str], tuple]:
    """``{(unit id, period label): (value of each of refs, None when missing)}`` of
    ``node``'s subtree, one query grouped by unit and period. ``#{CODE}`` is the total over
    the options reported. Whole numbers are summed by the database (exact, ints); other
    numbers come back as their stored texts (joined) and are added up here as exact
    decimals, never as floating point."""
    from django.db import connection


    if not refs:
        return {}
    q = connection.ops.quote_name
    concat = "STRING_AGG({}, ' ')" if connection.vendor == "postgresql" else "GROUP_CONCAT({}, ' ')"
    columns, args, texts = [], [], []
    for i, ref in enumerate(refs):
        el = ds.elements.get(ref.element)
        if el is None or el.value_type == "text":
            columns.append("NULL")
            continue
        test = f"d.{q('element')} = %s"
        args.append(ref.element)
        if ref.option is not None:
            test += f" AND d.{q('option')} = %s"
            args.append(ref.option)
        if el.value_type in INTEGER_TYPES:
            columns.append(f"SUM(CASE WHEN {test} THEN d.{q('number')} END)")
        else:
            columns.append(concat.format(f"CASE WHEN {test} THEN d.{q('value')} END"))
            texts.append(i)
    (versions, v_args), (units, u_args) = _version_and_unit_sql(version, node)
    elements = sorted({r.element for r in refs})
    # SQLite: "+" keeps the planner on the (data set, period) index, not the unit's
    node_col = f"+d.{q('node_id')}" if connection.vendor == "sqlite" else f"d.{q('node_id')}"
    sql = (
        f"SELECT d.{q('node_id')}, d.{q('period')}, {', '.join(columns)} "
        f"FROM {q(DataValue._meta.db_table)} d "
        f"WHERE d.{q('dataset_id')} IN ({versions}) AND {node_col} IN ({units}) "
        f"AND d.{q('period')} IN ({', '.join(['%s'] * len(labels))}) "
        f"AND d.{q('element')} IN ({', '.join(['%s'] * len(elements))}) "
        f"GROUP BY d.{q('node_id')}, d.{q('period')}"
    )
    out: dict[tuple[int, str], tuple] = {}
    with connection.cursor() as cur:
        cur.execute(sql, [*args, *v_args, *u_args, *labels, *elements])
        for row in cur.fetchall():
            values = list(row[2:])
            for i, v in enumerate(values):
                if v is None or type(v) is int:
                    continue
                if i in texts:
                    values[i] = _exact(_decimal_sum(v.split(" ")))
                else:
                    values[i] = _exact(v)
            out[(row[0], row[1])] = tuple(values)
    return out


def _rate(n: int, d: int) -> Decimal | None:
    return None if not d else (Decimal(n) * 100 / d).quantize(Decimal("0.1"))


def reporting(version: DataSetVersion, node: Node, period: Period) -> Reporting:
    """Expected/received/on time for ``node`` and its children, late and missing units."""
    ds = definition_of(version)
    periods = period.periods(ds.period_type)
    orgs, by_code = _orgs(node)
    nodes = list(by_code.values())
    completions = _completions(version, node, [p.label for p in periods])
    counts = completeness(ds, orgs, periods, completions)

    def row(n: Node) -> dict:
        e, r, t = counts.get(n.code, (0, 0, 0))
        return {
            "node": n,
            "expected": e,
            "received": r,
            "on_time": t,
            "completeness": _rate(r, e),
            "timeliness": _rate(t, e),
        }

    children = [n for n in nodes if n.parent_id == node.pk]
    regions = [row(n) for n in children if counts.get(n.code, (0, 0, 0))[0]]
    late, missing = [], []
    for org, p in expected(ds, orgs, periods):
        unit = by_code[org.code]
        at = completions.get((org.code, p))
        parent = by_code.get(org.parent) if org.parent else None
        entry = {"unit": unit, "parent": parent, "period": p.label, "completed_at": at}
        if at is None:
            missing.append(entry)
        elif at > date.fromordinal(p.end.toordinal() + ds.due_days):
            late.append(entry)
    return Reporting(node, period, row(node), regions, late, missing)


def unit_figures(version: DataSetVersion, node: Node, period: Period, key: str) -> dict[str, str]:
    """{unit code: value as text} of ``key`` (an element, ``ELEMENT.OPTION`` or an indicator)
    for every unit of ``node``'s subtree over ``period``, aggregated by the engine as on the
    values page (used by the maps). Empty values are left out. Two queries."""
    from jiceng.datasets import aggregate

    ds = definition_of(version)
    labels = [p.label for p in period.periods(ds.period_type)]
    orgs, _by_code = _orgs(node)
    values = _subtree_values(ds, version, node, labels)
    return {
        r.org_code: r.value
        for r in aggregate(ds, orgs, values, period, None)
        if r.code == key and r.value
    }


INTEGER_TYPES = ("integer", "non_negative_integer", "yes_no")


@paused_gc()  # hundreds of thousands of small objects for a province
def province_aggregate(
    version: DataSetVersion,
    node: Node,
    period: Period,
    tree: tuple | None = None,
    only: set[str] | None = None,
) -> dict:
    """Every node of ``node``'s subtree (or only the codes in ``only``): its exact value of
    every element, option and indicator for ``period`` (the contract's aggregation),
    ``{node code: {code: value}}``.

    Summed elements and averaged ones without options (most of a data set) are added up by
    the database, per unit and then per ancestor, in one query (:func:`_roll_up`: exact
    integers, or PostgreSQL's exact ``numeric``; SQLite's decimals as whole and fractional
    digits apart). The others (stocks, averages by option, and decimals SQLite could not
    split exactly) go through the engine or are added up here as exact decimals. A whole
    year of a monthly or quarterly data set is read from the units' yearly totals instead
    (:func:`_roll_up_year`, :func:`_latest_of_year`). The result equals ``node_values``
    over every value (``tests/aggregates``). ``tree``: the subtree as ``_orgs(node)`` gives
    it, when the caller has it already."""
    from jiceng.datasets.engine import ancestors, indicator_function, keys_of, node_values

    ds = definition_of(version)
    labels = [p.label for p in period.periods(ds.period_type)]
    orgs, by_code = tree or _orgs(node)
    wanted = [o for o in orgs if only is None or o.code in only]
    rolled = {el.code for el in ds.element_list() if _rolled_up(el)}
    lengths = {len(by_code[o.code].path) for o in wanted}
    totals = None
    whole_year = ds.period_type != "yearly" and period.months == 12 and period.first % 12 == 0
    if rolled and whole_year:
        # a whole year: from the units' yearly totals (a twelfth of a monthly data set's rows)
        totals = _roll_up_year(ds, version, by_code, period.first // 12, rolled, lengths)
    if totals is None:
        totals = _roll_up(ds, version, node, labels, rolled, lengths) if rolled else {}
    in_python: list[str] = []
    if totals is None:  # a decimal SQLite cannot split exactly: those added up here
        in_python = sorted(c for c in rolled if not _in_database(ds.elements[c]))
        rolled.difference_update(in_python)
        totals = _roll_up(ds, version, node, labels, rolled, lengths) or {}
    rest = [el.code for el in ds.element_list() if el.code not in rolled | set(in_python)]
    in_subtree = DataValue.objects.filter(
        dataset__code=version.code, node__path__startswith=node.path, period__in=labels
    )
    # the engine, for the elements the database does not add up; of a whole year, stocks'
    # latest values are kept in the yearly totals
    slow_values = {}
    if rest:
        rows = []
        if whole_year:
            stocks = [
                c
                for c in rest
                if ds.elements[c].aggregation == "last" and ds.elements[c].value_type != "text"
            ]
            rows = _latest_of_year(ds, version, by_code, period.first // 12, stocks)
            rest_rows = [c for c in rest if c not in stocks]
        else:
            rest_rows = rest
        if rest_rows:
            rows += _engine_rows(ds, version, node, labels, rest_rows)
        period_of: dict[str, Period] = {}
        for code, p, element, option, text in rows:
            el = ds.elements[element]
            q = period_of.get(p) or period_of.setdefault(p, parse_period(p))
            slow_values[(code, q, element, option)] = stored_value(text, el.value_type)
    slow = node_values(ds, orgs, slow_values, period) if rest else {}
    if in_python:  # exact decimals, added into each wanted ancestor's entries
        code_of = {n.pk: n.code for n in by_code.values()}
        keep = {o.code for o in wanted}
        up = ancestors(orgs)
        for node_id, key, value in _unit_decimals(ds, in_subtree.filter(element__in=in_python)):
            for anc in up[code_of[node_id]]:
                if anc in keep:
                    at = totals.setdefault(by_code[anc].path, {})
                    total, n = at.get(key, (0, 0))
                    at[key] = (total + value, n + 1)
    fast = rolled | set(in_python)
    keys = [key for key, el in keys_of(ds) if el.code in fast]
    percentage = {key for key, el in keys_of(ds) if el.value_type == "percentage"}
    indicators = [
        (i.code, indicator_function(i.numerator, i.denominator, i.factor)) for i in ds.indicators
    ]
    out = {}
    nothing: dict = {}
    for org in wanted:
        got = dict(slow.get(org.code, nothing))
        entries = totals.get(by_code[org.code].path, nothing)
        for key in keys:
            e = entries.get(key)
            if e is None or not e[1]:
                got[key] = None
            else:  # percentages: the unweighted mean of the units that reported
                got[key] = Fraction(e[0]) / e[1] if key in percentage else Fraction(e[0])
        for code, value_of in indicators:
            got[code] = value_of(got)
        out[org.code] = got
    return out


def _engine_rows(
    ds: DataSet, version: DataSetVersion, node: Node, labels: list[str], codes: list[str]
) -> list[tuple]:
    """``(unit code, period, element, option, text)`` of ``codes`` in ``node``'s subtree over
    the periods ``labels`` that the engine needs: of stocks (``last``) only each unit's,
    element's and option's latest period (a window function; this gives the engine's
    answer: the latest period any option was reported in is the latest of each option
    reported then); every value of the others."""
    from django.db import connection


    q = connection.ops.quote_name
    last = [c for c in codes if ds.elements[c].aggregation == "last"]
    other = [c for c in codes if c not in last]
    (versions, v_args), (units, u_args) = _version_and_unit_sql(version, node)
    rows: list[tuple] = []
    for wanted, latest in ((other, False), (last, True)):
        if not wanted:
            continue
        rank = (
            f", ROW_NUMBER() OVER (PARTITION BY d.{q('node_id')}, d.{q('element')}, "
            f"d.{q('option')} ORDER BY d.{q('period')} DESC) AS rank"
            if latest
            else ", 1 AS rank"
        )
        sql = (
            f"SELECT code, period, element, option, value FROM (SELECT n.{q('code')} AS code, "
            f"d.{q('period')} AS period, d.{q('element')} AS element, d.{q('option')} AS option, "
            f"d.{q('value')} AS value{rank} FROM {q(DataValue._meta.db_table)} d "
            f"JOIN {q(Node._meta.db_table)} n ON n.{q('id')} = d.{q('node_id')} "
            f"WHERE d.{q('dataset_id')} IN ({versions}) AND d.{q('node_id')} IN ({units}) "
            f"AND d.{q('period')} IN ({', '.join(['%s'] * len(labels))}) "
            f"AND d.{q('element')} IN ({', '.join(['%s'] * len(wanted))})) ranked "
            "WHERE rank = 1"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [*v_args, *u_args, *labels, *wanted])
            rows += cur.fetchall()
    return rows


def _latest_of_year(
    ds: DataSet, version: DataSetVersion, by_code: dict[str, Node], year: int, codes: list[str]
) -> list[tuple]:
    """What :func:`_engine_rows` gives for stocks ``codes`` over the whole ``year``: each
    unit's, element's and option's latest period and value, as the yearly totals keep them."""
    from django.db import connection

    if not codes:
        return []
    q = connection.ops.quote_name
    where, args = _year_totals(ds, version, by_code, year, codes)
    sql = (
        f"SELECT n.{q('code')}, t.{q('last_period')}, t.{q('element')}, t.{q('option')}, "
        f"t.{q('last_value')} {where}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _year_totals(
    ds: DataSet, version: DataSetVersion, by_code: dict[str, Node], year: int, codes: list[str]
) -> tuple[str, list]:
    """``FROM … WHERE …`` (and its parameters) of the yearly totals ``t`` of ``codes`` in
    ``year`` of every unit ``n`` of the subtree ``by_code``."""
    from django.db import connection

    q = connection.ops.quote_name
    root = min(by_code.values(), key=lambda n: n.depth)  # paths: digits and "/" only
    where = (
        f"FROM {q(UnitTotal._meta.db_table)} t "
        f"JOIN {q(Node._meta.db_table)} n ON n.{q('id')} = t.{q('node_id')} "
        f"WHERE n.{q('path')} LIKE %s AND t.{q('dataset_code')} = %s AND t.{q('year')} = %s "
        f"AND t.{q('months')} = %s AND t.{q('element')} IN ({', '.join(['%s'] * len(codes))})"
    )
    return where, [root.path + "%", version.code, year, MONTHS_IN[ds.period_type], *codes]


def _rolled_up(el) -> bool:
    """Whether :func:`_roll_up` adds ``el`` up: a number summed, or averaged without options."""
    return el.value_type != "text" and (
        el.aggregation == "sum" or (el.aggregation == "average" and not el.options)
    )


SCALE = totals_module.SCALE  # decimal places of SQLite's fractional digits (:func:`_roll_up`)


def _roll_up(
    ds: DataSet,
    version: DataSetVersion,
    node: Node,
    labels: list[str],
    elements: set[str],
    lengths: set[int],
) -> dict[str, dict[str, tuple[int | Fraction, int]]] | None:
    """``{ancestor path: {"CODE" or "CODE.OPTION": (value, units that reported)}}`` of
    ``elements`` (summed, or averaged without options) in ``node``'s subtree over the
    periods ``labels``, for every ancestor whose path is ``lengths`` long (a unit's path
    prefix is its ancestor's path); ``value`` is the sum over units of each unit's sum (or
    mean) over the periods. An element's total is over all its options.

    One query: the database adds each unit's periods once (a materialised ``WITH``: the
    sum, the periods reported), then each level its units, ``GROUP BY`` the path prefix
    and, for averages, the number of periods (so that the sum of the units' means is
    Σ over n of (sum of those units' sums) / n, exact, here). Whole numbers are summed as
    integers; decimals as PostgreSQL's exact ``numeric`` or, on SQLite, as two integers
    parsed from the stored text: the whole part and the first :data:`SCALE` fractional
    digits. None when a SQLite decimal does not fit that (more than :data:`SCALE` places
    or 15 whole digits, or not plain digits): the caller adds those up another way."""
    from django.db import connection, transaction


    q = connection.ops.quote_name
    sqlite = connection.vendor != "postgresql"
    decimals = sorted(c for c in elements if sqlite and not _in_database(ds.elements[c]))
    averaged = sorted(c for c in elements if ds.elements[c].aggregation == "average")
    whole_numbers = sorted(elements.difference(decimals))
    (versions, v_args), (units, u_args) = _version_and_unit_sql(version, node)
    # SQLite: "+" keeps the planner on the (data set, period) index, not the unit's
    node_col = f"+d.{q('node_id')}" if sqlite else f"d.{q('node_id')}"

    def per_unit(ip: str, fp: str, bad: str, names: list[str]) -> str:
        args.extend([*v_args, *u_args, *labels, *names])
        return (
            f"SELECT d.{q('node_id')}, d.{q('element')}, d.{q('option')}, SUM({ip}), "
            f"SUM({fp}), COUNT(*), MAX({bad}) FROM {q(DataValue._meta.db_table)} d "
            f"WHERE d.{q('dataset_id')} IN ({versions}) AND {node_col} IN ({units}) "
            f"AND d.{q('period')} IN ({', '.join(['%s'] * len(labels))}) "
            f"AND d.{q('element')} IN ({', '.join(['%s'] * len(names))}) "
            f"GROUP BY d.{q('node_id')}, d.{q('element')}, d.{q('option')}"
        )

    args: list = []
    parts = [per_unit(f"d.{q('number')}", "0", "0", whole_numbers)] if whole_numbers else []
    if decimals:  # SQLite: the whole part and the first SCALE places of the stored text
        parts.append(per_unit(*decimal_parts(f"d.{q('value')}"), decimals))
    inner = " UNION ALL ".join(parts)
    node_table = q(Node._meta.db_table)
    # each unit's element totals (over options), with its path; averages (never with
    # options: one row a unit) keep their number of periods, the others 0
    if averaged:
        per = f"CASE WHEN u.{q('element')} IN ({', '.join(['%s'] * len(averaged))}) THEN u.n ELSE 0 END"
        args += averaged
    else:
        per = "0"
    totals = (
        f"SELECT n.{q('path')}, u.{q('element')}, {per}, SUM(u.ip), SUM(u.fp), MAX(u.bad) "
        f"FROM u JOIN {node_table} n ON n.{q('id')} = u.node_id GROUP BY 1, 2, 3"
    )
    options = (
        f"SELECT n.{q('path')}, u.{q('element')}, u.{q('option')}, u.ip, u.fp, u.bad "
        f"FROM u JOIN {node_table} n ON n.{q('id')} = u.node_id WHERE u.{q('option')} <> ''"
    )
    selects = []
    for length in sorted(lengths):
        prefix = f"SUBSTR({q('path')}, 1, {int(length)})"
        deep = f"LENGTH({q('path')}) >= {int(length)}"  # units at least this deep
        selects.append(
            f"SELECT {prefix}, {q('element')}, '', g, SUM(ip), SUM(fp), COUNT(*), MAX(bad) "
            f"FROM e WHERE {deep} GROUP BY 1, 2, 4"
        )
        selects.append(
            f"SELECT {prefix}, {q('element')}, {q('option')}, 0, SUM(ip), SUM(fp), COUNT(*), "
            f"MAX(bad) FROM o WHERE {deep} GROUP BY 1, 2, 3"
        )
    if not selects:
        return {}
    sql = (
        f"WITH u (node_id, {q('element')}, {q('option')}, ip, fp, n, bad) AS MATERIALIZED "
        f"({inner}), e ({q('path')}, {q('element')}, g, ip, fp, bad) AS MATERIALIZED "
        f"({totals}), o ({q('path')}, {q('element')}, {q('option')}, ip, fp, bad) AS "
        f"MATERIALIZED ({options}) " + " UNION ALL ".join(selects)
    )
    unit = 10**SCALE
    out: dict[str, dict[str, tuple[int | Fraction, int]]] = {}
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":  # a province's units hashed in memory
            cur.execute("SET LOCAL work_mem = '64MB'")  # (this transaction only)
        cur.execute(sql, args)
        rows = cur.fetchall()
    for path, element, option, periods, ip, fp, n, wrong in rows:
        if wrong:
            return None
        total = _exact(ip) if type(ip) is not int else ip
        if fp:
            total += Fraction(fp, unit)
        if periods > 1:
            total = Fraction(total, periods) if type(total) is int else total / periods
        at = out.get(path) or out.setdefault(path, {})
        key = f"{element}.{option}" if option else element
        got = at.get(key)
        at[key] = (total, n) if got is None else (got[0] + total, got[1] + n)
    return out


def _roll_up_year(
    ds: DataSet,
    version: DataSetVersion,
    by_code: dict[str, Node],
    year: int,
    elements: set[str],
    lengths: set[int],
) -> dict[str, dict[str, tuple[int | Fraction, int]]] | None:
    """What :func:`_roll_up` gives for the whole ``year``, read from the units' yearly
    totals (:mod:`jiceng.aggregates.totals`: one row a unit, element and option where a
    monthly data set has twelve values) and added up the tree here: each node's entries
    into its parent's, deepest first, so that every unit's total is added once per level
    it belongs to, not once per ancestor. None when a total is inexact (SQLite)."""
    from django.db import connection

    q = connection.ops.quote_name
    nodes = list(by_code.values())
    root = min(nodes, key=lambda n: n.depth)
    averaged = sorted(c for c in elements if ds.elements[c].aggregation == "average")
    where, args = _year_totals(ds, version, by_code, year, sorted(elements))
    # averages (never with options) keep their number of periods, the others 0
    g = (
        f"CASE WHEN t.{q('element')} IN ({', '.join(['%s'] * len(averaged))}) "
        f"THEN t.{q('periods')} ELSE 0 END"
        if averaged
        else "0"
    )
    sql = (
        f"SELECT t.{q('node_id')}, t.{q('element')}, t.{q('option')}, {g}, t.{q('whole')}, "
        f"t.{q('fraction')}, t.{q('inexact')} {where}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [*averaged, *args])
        rows = cur.fetchall()
    # each node's own entries: (key, periods of an average or 0) -> [whole, fraction, units]
    own: dict[int, dict[tuple[str, int], list]] = defaultdict(dict)
    for node_id, element, option, g, whole, fraction, inexact in rows:
        if inexact:
            return None
        entries = own[node_id]
        if option:
            entries[(f"{element}.{option}", 0)] = [whole, fraction, 1]
        e = entries.get((element, g))
        if e is None:
            entries[(element, g)] = [whole, fraction, 1]
        else:  # an element's total is over its options; the unit counts once
            e[0] += whole
            e[1] += fraction
    # up the tree, deepest first: a node's entries (its own and its subtree's) into its parent's
    for n in sorted(nodes, key=lambda n: -n.depth):
        entries = own.get(n.pk)
        if not entries or n is root:
            continue
        up = own[n.parent_id]
        for k, (whole, fraction, units) in entries.items():
            e = up.get(k)
            if e is None:
                up[k] = [whole, fraction, units]
            else:
                e[0] += whole
                e[1] += fraction
                e[2] += units
    unit = 10**SCALE
    out: dict[str, dict[str, tuple[int | Fraction, int]]] = {}
    for n in nodes:
        if len(n.path) not in lengths or n.pk not in own:
            continue
        at = out[n.path] = {}
        for (key, g), (whole, fraction, units) in own[n.pk].items():
            total = _exact(whole) if type(whole) is not int else whole
            if fraction:
                total += Fraction(fraction, unit)
            if g > 1:
                total = Fraction(total, g) if type(total) is int else total / g
            got = at.get(key)
            at[key] = (total, units) if got is None else (got[0] + total, got[1] + units)
    return out


def _exact(total) -> int | Fraction:
    """A database sum as an exact number (an int when whole)."""
    total = total if isinstance(total, Decimal) else Decimal(str(total))
    return int(total) if total == total.to_integral_value() else Fraction(total)


def _decimal_sum(texts) -> Decimal:
    """The exact sum of decimal texts (an error rather than a rounded figure)."""
    from decimal import Context, Inexact, Overflow

    exact = Context(prec=400, traps=[Inexact, Overflow])
    total = Decimal(0)
    for t in texts:
        total = exact.add(total, Decimal(t))
    return total


def _unit_decimals(ds: DataSet, values) -> list[tuple[int, str, int | Fraction]]:
    """``(unit id, "CODE" or "CODE.OPTION", value)`` over the periods of ``values`` (a
    ``DataValue`` query of summed elements and of averaged ones without options): the sum,
    or the mean of the periods reported, added up exactly as decimals (an error rather
    than a rounded figure). An element's total is over all its options."""
    from decimal import Context, Inexact, Overflow

    exact = Context(prec=400, traps=[Inexact, Overflow])
    totals: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    rows: dict[tuple[int, str], int] = defaultdict(int)
    for node_id, element, option, text in values.values_list(
        "node_id", "element", "option", "value"
    ).order_by():
        d = Decimal(text)
        totals[(node_id, element)] = exact.add(totals[(node_id, element)], d)
        rows[(node_id, element)] += 1
        if option:
            key = (node_id, f"{element}.{option}")
            totals[key] = exact.add(totals[key], d)
    out: list[tuple[int, str, int | Fraction]] = []
    for (node_id, key), total in totals.items():
        if ds.elements[key.partition(".")[0]].aggregation == "average":
            out.append((node_id, key, Fraction(total) / rows[(node_id, key)]))
        else:
            out.append((node_id, key, _exact(total)))
    return out


def _in_database(el) -> bool:
    """Whether the database may add ``el`` up exactly: summed, or averaged without options,
    whole numbers everywhere; any number on PostgreSQL (exact ``numeric``; SQLite sums
    decimals as floating point)."""
    from django.db import connection

    exact = el.value_type in INTEGER_TYPES or (
        connection.vendor == "postgresql" and el.value_type != "text"
    )
    return exact and (el.aggregation == "sum" or (el.aggregation == "average" and not el.options))


def _version_and_unit_sql(version, node: Node) -> tuple[tuple[str, tuple], tuple[str, tuple]]:
    """Subqueries (SQL and parameters) of the ids of every version of ``version``'s data set
    and of every unit of ``node``'s subtree, for hand-written queries over the values."""
    from jiceng.aggregates.models import DataSetVersion as VersionModel

    versions = VersionModel.objects.filter(code=version.code).values("id").order_by()
    units = Node.objects.filter(path__startswith=node.path).values("id").order_by()
    return versions.query.sql_with_params(), units.query.sql_with_params()
