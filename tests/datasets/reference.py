"""A small, separate reading of the aggregate contract (``shared/domain/aggregate.md``).

Written for the property tests only: plain loops over plain data, nothing shared with
``jiceng.datasets`` but the contract. Expressions are trees, never parsed text:
``("num", Fraction)``, ``("ref", element, option or None)``, ``("neg", e)`` and
``(op, left, right)`` for ``+ - * /``.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from fractions import Fraction


class DivideByZero(Exception):
    pass


# ---------------------------------------------------------------- periods as month lists


def months_of(label):
    """The (year, month) pairs of ``2025``, ``2025Q2`` or ``2025-04``."""
    if "Q" in label:
        year, q = label.split("Q")
        return [(int(year), m) for m in range(int(q) * 3 - 2, int(q) * 3 + 1)]
    if "-" in label:
        year, month = label.split("-")
        return [(int(year), int(month))]
    return [(int(label), m) for m in range(1, 13)]


def label_of(year, month, period_type):
    if period_type == "monthly":
        return f"{year}-{month:02d}"
    if period_type == "quarterly":
        return f"{year}Q{(month - 1) // 3 + 1}"
    return f"{year}"


def periods_within(label, period_type):
    """The labels of ``period_type`` inside ``label``, earliest first."""
    out = []
    for year, month in months_of(label):
        p = label_of(year, month, period_type)
        if p not in out:
            out.append(p)
    return out


def first_day(label):
    year, month = months_of(label)[0]
    return date(year, month, 1)


def last_day(label):
    year, month = months_of(label)[-1]
    return date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------- the tree


def is_in_subtree(orgs, unit, node):
    """Whether ``node`` is ``unit`` or one of its ancestors."""
    parent = {o["code"]: o["parent"] for o in orgs}
    current = unit
    while current is not None:
        if current == node:
            return True
        current = parent.get(current)
    return False


def was_open(org, label):
    if org["open"] is not None and org["open"] > last_day(label):
        return False
    if org["close"] is not None and org["close"] < first_day(label):
        return False
    return True


# ---------------------------------------------------------------- values


def cell(ds, values, unit, label, element, option):
    """A unit's value for one period: the option's, or the total of the reported options."""
    el = ds["elements"][element]
    if option is not None or not el["options"]:
        return values.get((unit, label, element, option or ""))
    reported = [
        values[(unit, label, element, o)]
        for o in el["options"]
        if (unit, label, element, o) in values
    ]
    if not reported:
        return None
    return sum(reported, Fraction(0))


def unit_value_over_time(ds, values, unit, label, element, option):
    el = ds["elements"][element]
    periods = periods_within(label, ds["period_type"])
    reported = []
    for p in periods:
        v = cell(ds, values, unit, p, element, option)
        if v is not None:
            reported.append(v)
    if not reported:
        return None
    if el["aggregation"] == "sum":
        return sum(reported, Fraction(0))
    if el["aggregation"] == "average":
        return sum(reported, Fraction(0)) / len(reported)
    if el["aggregation"] == "last":
        return reported[-1]
    if len(periods) == 1:  # none: only the very value typed in
        return reported[0]
    return None


def node_value(ds, orgs, values, node, label, element, option):
    el = ds["elements"][element]
    if el["aggregation"] == "none":
        kinds = {o["code"]: o["kind"] for o in orgs}
        if kinds[node] not in ds["kinds"]:
            return None
        return unit_value_over_time(ds, values, node, label, element, option)
    found = []
    for org in orgs:
        if org["kind"] in ds["kinds"] and is_in_subtree(orgs, org["code"], node):
            v = unit_value_over_time(ds, values, org["code"], label, element, option)
            if v is not None:
                found.append(v)
    if not found:
        return None
    if el["value_type"] == "percentage":
        return sum(found, Fraction(0)) / len(found)
    return sum(found, Fraction(0))


# ---------------------------------------------------------------- expressions


def refs(tree):
    if tree[0] == "ref":
        return [(tree[1], tree[2])]
    if tree[0] == "num":
        return []
    out = []
    for child in tree[1:]:
        out += refs(child)
    return out


def evaluate(tree, lookup):
    """Missing references count as 0; DivideByZero on a zero divisor."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "ref":
        v = lookup(tree[1], tree[2])
        return Fraction(0) if v is None else v
    if kind == "neg":
        return -evaluate(tree[1], lookup)
    a = evaluate(tree[1], lookup)
    b = evaluate(tree[2], lookup)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if b == 0:
        raise DivideByZero
    return a / b


def indicator(ind, lookup):
    for side in (ind["numerator"], ind["denominator"]):
        rs = refs(side)
        if rs and all(lookup(e, o) is None for e, o in rs):
            return None
    try:
        num = evaluate(ind["numerator"], lookup)
        den = evaluate(ind["denominator"], lookup)
    except DivideByZero:
        return None
    if den == 0:
        return None
    return num / den * ind["factor"]


# ---------------------------------------------------------------- the commands


def aggregate(ds, orgs, values, label, completions=None):
    """{(org_code, code): Fraction or None} for every node."""
    out = {}
    for org in orgs:
        node = org["code"]

        def lookup(element, option, node=node):
            return node_value(ds, orgs, values, node, label, element, option)

        for code, el in ds["elements"].items():
            out[(node, code)] = lookup(code, None)
            for o in el["options"]:
                out[(node, f"{code}.{o}")] = lookup(code, o)
        for ind in ds["indicators"]:
            out[(node, ind["code"])] = indicator(ind, lookup)
        if completions is not None:
            expected = received = on_time = 0
            for p in periods_within(label, ds["period_type"]):
                for unit in orgs:
                    if unit["kind"] not in ds["kinds"]:
                        continue
                    if not is_in_subtree(orgs, unit["code"], node) or not was_open(unit, p):
                        continue
                    expected += 1
                    done = completions.get((unit["code"], p))
                    if done is not None:
                        received += 1
                        if done <= last_day(p) + timedelta(days=ds["due_days"]):
                            on_time += 1
            out[(node, "_completeness")] = Fraction(received, expected) if expected else None
            out[(node, "_timeliness")] = Fraction(on_time, expected) if expected else None
    return out


def validate(ds, orgs, values, label):
    """[(org_code, period, rule, left, right)] sorted."""
    out = []
    for unit in orgs:
        if unit["kind"] not in ds["kinds"]:
            continue
        for p in periods_within(label, ds["period_type"]):
            if not was_open(unit, p):
                continue

            def lookup(element, option, unit=unit, p=p):
                return cell(ds, values, unit["code"], p, element, option)

            for rule in ds["rules"]:
                rs = refs(rule["left"]) + refs(rule["right"])
                missing = [lookup(e, o) is None for e, o in rs]
                if rule["missing"] == "skip_if_any_missing" and any(missing):
                    continue
                if rule["missing"] == "skip_if_all_missing" and rs and all(missing):
                    continue
                try:
                    left = evaluate(rule["left"], lookup)
                    right = evaluate(rule["right"], lookup)
                except DivideByZero:
                    continue
                holds = {
                    "==": left == right,
                    "!=": left != right,
                    ">": left > right,
                    ">=": left >= right,
                    "<": left < right,
                    "<=": left <= right,
                }[rule["operator"]]
                if not holds:
                    out.append((unit["code"], p, rule["code"], left, right))
    return sorted(out, key=lambda v: (v[0], v[1], v[2]))


# ---------------------------------------------------------------- outliers


def middle(values):
    s = sorted(values)
    if len(s) % 2 == 1:
        return s[len(s) // 2]
    return (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def is_outlier(earlier, value):
    """``earlier``: the values reported in the 24 periods before, in any order."""
    if len(earlier) < 6:
        return False
    m = middle(earlier)
    mad = middle([abs(v - m) for v in earlier])
    spread = 3 * Fraction("1.4826") * mad
    return value < m - spread or value > m + spread
