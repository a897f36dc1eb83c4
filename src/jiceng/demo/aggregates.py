"""Demo stage "aggregates": the five sample data sets with two years of values.

The sample definitions are loaded once for the province. For every unit of the county
(``region.county``) that reports a data set and every period that ended within the last 24
months, plausible values are written (each unit has its own level, each period varies it,
the rules hold) and the form is completed: most on time, some late, some never (missing);
a few forms break a rule (with the reason the clerk gave) or hold an outlier; older forms
are approved. The most recent period of the demo clerks' own units is left to fill
(待填报). History is written in bulk (no audit rows): it stands for past reporting.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from fractions import Fraction

from django.db import transaction

from jiceng.aggregates import totals
from jiceng.aggregates.actions import do_load_dataset
from jiceng.aggregates.models import DataSetVersion, DataValue, Report
from jiceng.datasets import DataSet, Period, format_value
from jiceng.datasets.definition import load_dataset_file, sample_dataset_paths
from jiceng.datasets.engine import check_rule
from jiceng.datasets.periods import MONTHS_IN
from jiceng.demo.region import Region
from jiceng.orgs.models import Node

MONTHS = 24  # of history
P_MISSING = 0.06
P_LATE = 0.12
P_BROKEN = 0.03  # forms with a value that breaks a high-importance rule
P_OUTLIER = 0.02  # forms with an outlying value
REASON = "已与科室核实，数据属实"


def datasets(region: Region) -> list[DataSetVersion]:
    """The sample data sets of the province, loaded on the first call."""
    loaded = list(DataSetVersion.objects.filter(owner=region.province).order_by("code"))
    if loaded:
        return loaded
    out = []
    for path in sample_dataset_paths():
        ds = load_dataset_file(path)
        text = path.read_text(encoding="utf-8")
        out.append(do_load_dataset(None, ds, text, path.name, owner=region.province))
    return out


def _leaves(ds: DataSet) -> list[tuple[str, str, str]]:
    """(key, element, option) of every cell of the form (text elements left out)."""
    out = []
    for el in ds.element_list():
        if el.value_type == "text":
            continue
        if el.options:
            out.extend((f"{el.code}.{o}", el.code, o) for o in el.option_codes)
        else:
            out.append((el.code, el.code, ""))
    return out


def _cell(ds: DataSet, leaves: dict[str, Fraction]) -> dict[str, Fraction]:
    """The engine's view of one form: each leaf and each element's total."""
    cell = dict(leaves)
    for key, v in leaves.items():
        element, _sep, option = key.partition(".")
        if option:
            cell[element] = cell.get(element, Fraction(0)) + v
    return cell


def _round(ds: DataSet, element: str, value: float) -> Fraction:
    el = ds.elements[element]
    if el.value_type == "percentage":
        return Fraction(round(min(max(value, 0), 100), 1)).limit_denominator(10)
    if el.value_type == "yes_no":
        return Fraction(1 if value >= 0.5 else 0)
    if el.value_type == "number":
        return Fraction(round(max(value, 0), 1)).limit_denominator(10)
    return Fraction(max(0, math.floor(value)))


def _set(ds: DataSet, leaves: dict[str, Fraction], key: str, value: Fraction) -> None:
    """Give ``key`` (a leaf, or an element total spread over its options) ``value``."""
    if key in leaves:
        leaves[key] = _round(ds, key.partition(".")[0], float(value))
        return
    parts = [k for k in leaves if k.startswith(f"{key}.")]
    total = sum((leaves[k] for k in parts), Fraction(0)) or Fraction(len(parts))
    for k in parts:
        share = leaves[k] / total if total else Fraction(1, len(parts))
        leaves[k] = _round(ds, key, float(value * share))


def _repair(ds: DataSet, leaves: dict[str, Fraction], rng: random.Random) -> None:
    """Move left-hand values until every rule holds (a few rounds)."""
    for _attempt in range(6):
        broken = False
        for rule in ds.rules:
            found = check_rule(rule, _cell(ds, leaves))
            if found is None or len(rule.left.refs) != 1:
                continue
            broken = True
            left, right = found
            key = rule.left.refs[0].key
            if rule.operator in ("<=", "<", "=="):
                target = right * Fraction(rng.randint(40, 95), 100)
                if rule.operator == "==":
                    target = right
            else:
                target = right + max(1, abs(right) // 5) + rng.randint(0, 3)
            _set(ds, leaves, key, target)
        if not broken:
            return


def _levels(ds: DataSet, rng: random.Random) -> dict[str, float]:
    """A unit's own level of each cell."""
    out = {}
    for key, element, _option in _leaves(ds):
        el = ds.elements[element]
        if el.value_type == "percentage":
            out[key] = rng.uniform(55, 95)
        elif el.value_type == "yes_no":
            out[key] = 1.0 if rng.random() < 0.6 else 0.0
        else:
            out[key] = rng.lognormvariate(math.log(30), 0.9)
    return out


def _periods(period_type: str, today: dt.date) -> list[Period]:
    step = MONTHS_IN[period_type]
    now = today.year * 12 + today.month - 1
    first = now - MONTHS
    start = first + (-first) % step
    return [p for m in range(start, now + 1, step) if (p := Period(m, step)).end < today]


def populate(region: Region, rng: random.Random) -> None:
    """Values, completions and approvals of the county's units for the sample data sets."""
    versions = datasets(region)
    today = region.today
    units = list(Node.objects.subtree(region.county).filter(closed__isnull=True).order_by("path"))
    own = {u.home_institution.pk for u in region.users.values() if u.home_institution}
    values: list[DataValue] = []
    reports: list[Report] = []
    for version in versions:
        ds = version.definition()
        periods = _periods(ds.period_type, today)
        for unit in units:
            if unit.kind not in ds.institution_kinds:
                continue
            levels = _levels(ds, rng)
            for i, p in enumerate(periods):
                due = p.end + dt.timedelta(days=ds.due_days)
                latest = i == len(periods) - 1
                if latest and (unit.pk in own or due >= today and rng.random() < 0.5):
                    continue  # still to fill (待填报)
                if rng.random() < P_MISSING:
                    continue
                f = 1 + rng.gauss(0, 0.12)
                leaves = {
                    key: _round(ds, element, levels[key] * (f if levels[key] > 1 else 1))
                    for key, element, _o in _leaves(ds)
                }
                _repair(ds, leaves, rng)
                reason = ""
                breakable = [
                    r
                    for r in ds.rules
                    if r.importance == "high"
                    and r.operator in ("<=", "<")
                    and len(r.left.refs) == 1
                ]
                if breakable and rng.random() < P_BROKEN:
                    rule = rng.choice(breakable)
                    cell = _cell(ds, leaves)
                    right = rule.right.evaluate(lambda ref, c=cell: c.get(ref.key))
                    _set(ds, leaves, rule.left.refs[0].key, right * Fraction(11, 10) + 2)
                    reason = REASON
                elif i >= 6 and rng.random() < P_OUTLIER:
                    key = rng.choice(list(leaves))
                    leaves[key] = _round(ds, key.partition(".")[0], float(leaves[key]) * 6 + 10)
                for key, v in leaves.items():
                    element, _sep, option = key.partition(".")
                    text = format_value(v)
                    values.append(
                        DataValue(
                            dataset=version,
                            node=unit,
                            period=p.label,
                            element=element,
                            option=option,
                            value=text,
                            number=Decimal(text),
                        )
                    )
                late = rng.random() < P_LATE
                day = (
                    due + dt.timedelta(days=rng.randint(3, 40))
                    if late
                    else (p.end + dt.timedelta(days=rng.randint(1, max(ds.due_days, 1))))
                )
                if day >= today:
                    day = today - dt.timedelta(days=1)
                at = dt.datetime.combine(day, dt.time(9 + rng.randint(0, 8), rng.randint(0, 59)))
                at = at.replace(tzinfo=dt.UTC) - dt.timedelta(hours=8)
                approved = (today - due).days > 45 and rng.random() < 0.7
                reports.append(
                    Report(
                        dataset=version,
                        node=unit,
                        period=p.label,
                        completed_at=at,
                        completion_reason=reason,
                        approved_at=at + dt.timedelta(days=5) if approved else None,
                        locked=approved,
                    )
                )
    with transaction.atomic():
        DataValue.objects.bulk_create(values, batch_size=2000)
        Report.objects.bulk_create(reports, batch_size=2000)
        for code in sorted({v.code for v in versions}):  # the units' yearly totals
            totals.refresh(code, [u.pk for u in units])
