"""Aggregation, indicators, completeness and validation rules over checked inputs.

Everything is exact: values are fractions, only :func:`format_value` rounds (a
non-terminating quotient to :data:`PLACES` decimal places).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from .definition import DataSet, Element, Rule
from .expressions import Expression, Ref
from .periods import Period
from .values import Org, Value, Values

PLACES = 10  # decimal places of a quotient that does not terminate
COMPLETENESS = "_completeness"
TIMELINESS = "_timeliness"


def format_value(value: Value | None) -> str:
    """Exact decimal with trailing zeros stripped; a non-terminating quotient is rounded
    half up to :data:`PLACES` places. ``None`` (undefined) is the empty string."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if value.denominator == 1:  # a whole number: its digits (quicker, the same text)
        return str(value.numerator)
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    with localcontext() as ctx:
        ctx.prec = len(str(abs(value.numerator))) + len(str(value.denominator)) + PLACES + 10
        d = Decimal(value.numerator) / Decimal(value.denominator)
        if den != 1:
            d = d.quantize(Decimal(1).scaleb(-PLACES), rounding=ROUND_HALF_UP)
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------- one unit's values


def unit_cells(values: Values) -> dict[tuple[str, Period], dict[str, Value]]:
    """(unit, period) -> {"CODE": total over reported options, "CODE.OPTION": value}."""
    cells: dict[tuple[str, Period], dict[str, Value]] = defaultdict(dict)
    for (org, period, element, option), v in values.items():
        cell = cells[(org, period)]
        if option:
            cell[f"{element}.{option}"] = v
            cell[element] = cell.get(element, Fraction(0)) + v
        else:
            cell[element] = v
    return cells


def keys_of(ds: DataSet) -> list[tuple[str, Element]]:
    """Every output key of the elements (total, then each option), in form order."""
    out = []
    for el in ds.element_list():
        out.append((el.code, el))
        out.extend((f"{el.code}.{o}", el) for o in el.option_codes)
    return out


def over_time(aggregation: str, series: list[tuple[Period, Value]], periods: int) -> Value | None:
    """One unit's value for a range from its reported periods (``series`` in period order)."""
    if not series:
        return None
    if aggregation == "sum":
        return sum((v for _p, v in series), Fraction(0))
    if aggregation == "average":
        return sum((v for _p, v in series), Fraction(0)) / len(series)
    if aggregation == "last":
        return series[-1][1]
    # none: never aggregated, so defined only for a range of exactly one period
    return series[0][1] if periods == 1 else None


# ---------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class Row:
    org_code: str
    period: str
    code: str
    value: str


def ancestors(orgs: list[Org]) -> dict[str, list[str]]:
    """Each node's ancestors, itself first."""
    parent = {o.code: o.parent for o in orgs}
    out = {}
    for o in orgs:
        chain, node = [], o.code
        while node is not None and node not in chain:
            chain.append(node)
            node = parent.get(node)
        out[o.code] = chain
    return out


def node_values(
    ds: DataSet, orgs: list[Org], values: Values, period: Period
) -> dict[str, dict[str, Value | None]]:
    """Every node's exact value of every key (element, option) and indicator for ``period``:
    what :func:`aggregate` writes, before formatting."""
    periods = period.periods(ds.period_type)
    inside = set(periods)
    up = ancestors(orgs)
    cells = unit_cells({k: v for k, v in values.items() if k[1] in inside})
    keys = keys_of(ds)

    # over time, per unit and key
    series: dict[tuple[str, str], list[tuple[Period, Value]]] = defaultdict(list)
    for (org, p), cell in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        for key, v in cell.items():
            series[(org, key)].append((p, v))
    # up the tree: sum (and count, for the means of percentages) at every ancestor
    sums: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    own: dict[tuple[str, str], Value] = {}
    elements = {k: el for k, el in keys}
    for (org, key), s in series.items():
        el = elements[key]
        v = over_time(el.aggregation, s, len(periods))
        if v is None:
            continue
        if el.aggregation == "none":
            own[(org, key)] = v
            continue
        for node in up[org]:
            sums[(node, key)] += v
            counts[(node, key)] += 1

    def node_value(node: str, key: str) -> Value | None:
        el = elements[key]
        if el.aggregation == "none":
            return own.get((node, key))
        n = counts.get((node, key), 0)
        if n == 0:
            return None
        total = sums[(node, key)]
        return total / n if el.value_type == "percentage" else total

    out: dict[str, dict[str, Value | None]] = {}
    for org in orgs:
        got = {key: node_value(org.code, key) for key, _el in keys}
        for ind in ds.indicators:
            got[ind.code] = indicator_value(ind.numerator, ind.denominator, ind.factor, got)
        out[org.code] = got
    return out


def aggregate(
    ds: DataSet,
    orgs: list[Org],
    values: Values,
    period: Period,
    completions: dict[tuple[str, Period], date] | None = None,
) -> list[Row]:
    """The rows of ``jiceng datavalues aggregate``: every node, every key, for ``period``."""
    periods = period.periods(ds.period_type)
    computed = node_values(ds, orgs, values, period)
    codes = [key for key, _el in keys_of(ds)] + [ind.code for ind in ds.indicators]
    done = completeness(ds, orgs, periods, completions) if completions is not None else {}
    rows: list[Row] = []
    label = period.label
    for org in sorted(orgs, key=lambda o: o.code):
        got = computed[org.code]
        for code in codes:
            rows.append(Row(org.code, label, code, format_value(got[code])))
        if completions is not None:
            expected, received, on_time = done.get(org.code, (0, 0, 0))
            for code, n in ((COMPLETENESS, received), (TIMELINESS, on_time)):
                rate = Fraction(n, expected) if expected else None
                rows.append(Row(org.code, label, code, format_value(rate)))
    return rows


def _lookup(values: dict[str, Value | None]):
    def value_of(ref: Ref) -> Fraction | None:
        v = values.get(ref.key)
        return v if isinstance(v, Fraction) else None

    return value_of


def indicator_value(
    numerator: Expression,
    denominator: Expression,
    factor: Fraction,
    values: dict[str, Value | None],
) -> Fraction | None:
    """numerator / denominator × factor; undefined when every operand of the numerator (or
    of the denominator) is missing, or the denominator is 0. Other missing operands are 0."""
    value_of = _lookup(values)
    for side in (numerator, denominator):
        refs = side.refs
        if refs and all(value_of(r) is None for r in refs):
            return None
    try:
        num = numerator.evaluate(value_of)
        den = denominator.evaluate(value_of)
    except ZeroDivisionError:
        return None
    if den == 0:
        return None
    return num / den * factor


# ---------------------------------------------------------------- completeness


def expected(
    ds: DataSet, orgs: list[Org], periods: Iterable[Period]
) -> Iterator[tuple[Org, Period]]:
    """(unit, period) for each unit of the reporting kinds open during each period: the
    forms expected, and the unit-periods the validation rules are checked for."""
    periods = list(periods)
    for org in orgs:
        if org.kind in ds.institution_kinds:
            for p in periods:
                if org.open_during(p):
                    yield org, p


def completeness(
    ds: DataSet,
    orgs: list[Org],
    periods: Iterable[Period],
    completions: dict[tuple[str, Period], date],
) -> dict[str, tuple[int, int, int]]:
    """node -> (expected, received, on time), summed over ``periods``."""
    up = ancestors(orgs)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    due = timedelta(days=ds.due_days)
    for org, p in expected(ds, orgs, periods):
        at = completions.get((org.code, p))
        got = (1, int(at is not None), int(at is not None and at <= p.end + due))
        for node in up[org.code]:
            acc = out[node]
            for i in range(3):
                acc[i] += got[i]
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


# ---------------------------------------------------------------- validation rules

COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Violation:
    org_code: str
    period: Period
    rule: Rule
    left: Fraction
    right: Fraction


def check_rule(rule: Rule, values: dict[str, Value]) -> tuple[Fraction, Fraction] | None:
    """(left, right) when ``rule`` is violated by one unit-period's values, else None
    (held, skipped by its missing strategy, or a side divides by zero)."""
    value_of = _lookup(values)
    refs = rule.refs
    missing = [value_of(r) is None for r in refs]
    if rule.missing == "skip_if_any_missing" and any(missing):
        return None
    if rule.missing == "skip_if_all_missing" and missing and all(missing):
        return None
    try:
        left = rule.left.evaluate(value_of)
        right = rule.right.evaluate(value_of)
    except ZeroDivisionError:
        return None
    return None if COMPARE[rule.operator](left, right) else (left, right)


def validate(ds: DataSet, orgs: list[Org], values: Values, period: Period) -> list[Violation]:
    """Every violation within ``period`` by units of the reporting kinds open at the time,
    sorted by unit, period and rule code."""
    periods = period.periods(ds.period_type)
    inside = set(periods)
    cells = unit_cells({k: v for k, v in values.items() if k[1] in inside})
    out = []
    for org, p in expected(ds, orgs, periods):
        cell = cells.get((org.code, p), {})
        for rule in ds.rules:
            found = check_rule(rule, cell)
            if found is not None:
                out.append(Violation(org.code, p, rule, *found))
    out.sort(key=lambda v: (v.org_code, v.period.label, v.rule.code))
    return out


# ---------------------------------------------------------------- rules, compiled


def _source(node, names: dict, consts: dict) -> str:
    """Python source of an expression tree over the local names of its references."""
    if isinstance(node, Fraction):
        if node.denominator == 1:
            return f"({node.numerator})"
        name = f"c{len(consts)}"
        consts[name] = node
        return name
    if isinstance(node, Ref):
        return names[node]
    if node[0] == "neg":
        return f"(-{_source(node[1], names, consts)})"
    a, b = _source(node[1], names, consts), _source(node[2], names, consts)
    return f"_div({a}, {b})" if node[0] == "/" else f"({a} {node[0]} {b})"


def _div(a, b) -> Fraction:
    if b == 0:
        raise ZeroDivisionError
    return Fraction(a) / b


def indicator_function(numerator: Expression, denominator: Expression, factor: Fraction):
    """:func:`indicator_value` compiled once into a Python function of the values dict: the
    same answer, without a closure or a tree walk per node (a province's aggregate computes
    every indicator for each of its thousands of nodes)."""
    refs = list(dict.fromkeys([*numerator.refs, *denominator.refs]))
    names = {r: f"a{i}" for i, r in enumerate(refs)}
    consts: dict[str, Fraction] = {}
    num = _source(numerator.tree, names, consts)
    den = _source(denominator.tree, names, consts)
    lines = ["def value(values):"]
    for i, r in enumerate(refs):  # as _lookup: anything but a Fraction is missing
        lines.append(f"    v{i} = values.get({r.key!r})")
        lines.append(f"    v{i} = v{i} if isinstance(v{i}, _F) else None")
    for side in (numerator, denominator):
        if side.refs:
            missing = " and ".join(f"v{names[r][1:]} is None" for r in side.refs)
            lines.append(f"    if {missing}: return None")
    for i in range(len(refs)):
        lines.append(f"    a{i} = 0 if v{i} is None else v{i}")
    lines += [
        "    try:",
        f"        num = {num}",
        f"        den = {den}",
        "    except ZeroDivisionError:",
        "        return None",
        "    if den == 0:",
        "        return None",
        "    return _F(num) / den * _factor",
    ]
    namespace = {"_div": _div, "_F": Fraction, "_factor": factor, **consts}
    exec("\n".join(lines), namespace)  # generated from the parsed tree only, never from text
    return namespace["value"]


def rule_checker(rule: Rule):
    """:func:`check_rule` compiled once into a Python function of the values of
    ``rule.refs`` in order (an int or a Fraction, None when missing): the same answer,
    (left, right) as fractions when violated, else None, without a dict or a tree walk per
    unit and period (the rule analysis of a province calls it for every unit and month)."""
    refs = rule.refs
    args = [f"v{i}" for i in range(len(refs))]
    names = {r: f"a{i}" for i, r in enumerate(refs)}
    consts: dict[str, Fraction] = {}
    left = _source(rule.left.tree, names, consts)
    right = _source(rule.right.tree, names, consts)
    lines = [f"def check({', '.join(args)}):"]
    if refs and rule.missing == "skip_if_any_missing":
        lines.append(f"    if {' or '.join(f'{a} is None' for a in args)}: return None")
    elif refs and rule.missing == "skip_if_all_missing":
        lines.append(f"    if {' and '.join(f'{a} is None' for a in args)}: return None")
    for i, a in enumerate(args):
        lines.append(f"    a{i} = 0 if {a} is None else {a}")
    op = {"==": "==", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}[rule.operator]
    lines += [
        "    try:",
        f"        left = {left}",
        f"        right = {right}",
        "    except ZeroDivisionError:",
        "        return None",
        f"    return None if left {op} right else (_F(left), _F(right))",
    ]
    namespace = {"_div": _div, "_F": Fraction, **consts}
    exec("\n".join(lines), namespace)  # generated from the parsed tree only, never from text
    return namespace["check"]
