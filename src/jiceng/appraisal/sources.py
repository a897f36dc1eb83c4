"""Gathering each appraised unit's item values for a year from the platform's sources.

One function, :func:`gather`, asks every source a fixed number of queries for all units at
once (never a query per unit), so the ranking of 2,000 units costs what the ranking of
ten does. Values are exact: a :class:`~fractions.Fraction` (percentages as 0–100), a
verdict word, or None when the source has nothing (the item then earns 0 and 无数据,
unless it is exempt).

Sources (the contract's, ``shared/domain/appraisal.md``): ``indicator:CODE``,
``data:CODE``, ``verdict``, ``ledger_closed_rate``, ``ledger_overdue``,
``satisfaction:CODE`` (the surveys app's rate of questionnaire kind CODE: :func:`satisfaction_rates`),
``manual``; and the core's two more: ``verdict_share:LEVEL`` (a region's share of
institutions at LEVEL or better) and ``bad_practice`` (points recorded in the year).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

from jiceng.orgs.models import Node

Value = Fraction | str | None
VERDICT_ORDER = {"none": 0, "basic": 1, "recommended": 2}


@dataclass(frozen=True)
class Need:
    """One item to gather: its code, the source kind (``indicator``, ``manual`` …) and the
    source's code (``indicator:CODE``'s CODE, or "")."""

    item: str
    kind: str
    code: str = ""


def year_end(year: int, today: dt.date | None = None) -> dt.date:
    """The day a year's values are read at: 31 December, or today while the year runs."""
    today = today or timezone.localdate()
    return min(dt.date(year, 12, 31), today)


def _frac(d: Decimal | float | int | None) -> Fraction | None:
    if d is None:
        return None
    return Fraction(Decimal(str(d)))


def _ancestor_ids(node_path: str) -> list[int]:
    return [int(s) for s in node_path.strip("/").split("/") if s]


def indicator_values(units: list[Node], year: int, codes: set[str]) -> dict:
    """{(unit pk, CODE): percentage} from the newest computed record-set values of the year."""
    from jiceng.indicators.models import IndicatorValue

    out: dict[tuple[int, str], Fraction | None] = {}
    if not codes or not units:
        return out
    rows = (
        IndicatorValue.objects.filter(
            node__in=[u.pk for u in units], period=str(year), indicator__in=codes
        )
        .order_by("computed_at", "id")
        .values_list("node_id", "indicator", "numerator", "denominator")
    )
    for node_id, code, num, den in rows:  # the newest computation wins
        if den is None or den == 0:
            out[(node_id, code)] = None
        else:
            out[(node_id, code)] = Fraction(Decimal(num)) / Fraction(Decimal(den)) * 100
    return out


def data_values(region: Node, units: list[Node], year: int, codes: set[str]) -> dict:
    """{(unit pk, CODE): value} of data-set elements and indicators for the year, aggregated
    by the data-set engine over the region (one query per data set that holds a code)."""
    from jiceng.aggregates.queries import _orgs, _subtree_values, datasets_at, definition_of
    from jiceng.datasets import parse_period

    out: dict[tuple[int, str], Fraction | None] = {}
    if not codes or not units:
        return out
    from jiceng.datasets import aggregate

    wanted = {u.code: u.pk for u in units}
    period = parse_period(str(year))
    orgs = None
    for version in datasets_at(region):
        ds = definition_of(version)
        held = {c for c in codes if c in ds.elements or c in {i.code for i in ds.indicators}}
        if not held:
            continue
        if orgs is None:
            orgs, _nodes = _orgs(region)
        labels = [p.label for p in period.periods(ds.period_type)]
        values = _subtree_values(ds, version, region, labels)
        for row in aggregate(ds, orgs, values, period):
            if row.code in held and row.org_code in wanted and row.value != "":
                out.setdefault((wanted[row.org_code], row.code), Fraction(row.value))
    return out


def verdicts(units: list[Node], on: dt.date) -> dict[int, str]:
    """{institution pk: verdict word} in force on ``on`` (newest valid, not withdrawn)."""
    from jiceng.assessments.models import VerdictRecord

    out: dict[int, str] = {}
    rows = (
        VerdictRecord.objects.filter(
            institution__in=[u.pk for u in units], valid_from__lte=on, valid_until__gte=on
        )
        .exclude(status=VerdictRecord.Status.WITHDRAWN)
        .order_by("valid_from", "id")
        .values_list("institution_id", "verdict")
    )
    for pk, verdict in rows:
        out[pk] = verdict
    return out


def verdict_shares(region: Node, units: list[Node], on: dt.date) -> dict[tuple[int, str], Fraction]:
    """{(unit pk, LEVEL): percentage of its institutions whose verdict is LEVEL or better}.

    The institutions counted are those open on ``on`` of the kinds evaluated against the
    service capability standards (township and community centres)."""
    from jiceng.assessments.models import VerdictRecord

    evaluated = ("township_hc", "community_hc")
    pks = {u.pk for u in units}
    insts = list(
        Node.objects.subtree(region)
        .filter(kind__in=evaluated)
        .exclude(closed__lte=on)
        .values_list("pk", "path")
    )
    best: dict[int, str] = {}
    for pk, verdict in (
        VerdictRecord.objects.filter(
            institution__path__startswith=region.path, valid_from__lte=on, valid_until__gte=on
        )
        .exclude(status=VerdictRecord.Status.WITHDRAWN)
        .order_by("valid_from", "id")
        .values_list("institution_id", "verdict")
    ):
        best[pk] = verdict
    totals: dict[int, int] = defaultdict(int)
    at: dict[tuple[int, str], int] = defaultdict(int)
    for pk, path in insts:
        for anc in _ancestor_ids(path):
            if anc not in pks:
                continue
            totals[anc] += 1
            rank = VERDICT_ORDER.get(best.get(pk, "none"), 0)
            for level, need in VERDICT_ORDER.items():
                if rank >= need:
                    at[(anc, level)] += 1
    out: dict[tuple[int, str], Fraction] = {}
    for anc, n in totals.items():
        for level in VERDICT_ORDER:
            out[(anc, level)] = Fraction(at[(anc, level)] * 100, n)
    return out


def ledger(region: Node, units: list[Node], year: int, on: dt.date) -> dict:
    """{(unit pk, "closed_rate" | "overdue"): value} over the ledger entries opened in the
    year at or below each unit: the percentage closed by ``on``, and the count not closed by
    then and past their deadline. A unit without entries has no closed rate (无数据) and 0
    overdue. Appraisals read it on the day they compute (published ones keep that day's)."""
    from jiceng.rectification.models import LedgerEntry, Status

    pks = {u.pk for u in units}
    total: dict[int, int] = defaultdict(int)
    closed: dict[int, int] = defaultdict(int)
    overdue: dict[int, int] = defaultdict(int)
    rows = LedgerEntry.objects.filter(
        institution__path__startswith=region.path, opened_on__year=year
    ).values_list("institution__path", "status", "deadline", "closed_at")
    for path, status, deadline, closed_at in rows:
        is_closed = status == Status.CLOSED and (
            closed_at is None or timezone.localdate(closed_at) <= on
        )
        for anc in _ancestor_ids(path):
            if anc not in pks:
                continue
            total[anc] += 1
            closed[anc] += is_closed
            overdue[anc] += (not is_closed) and deadline < on
    out: dict[tuple[int, str], Fraction | None] = {}
    for pk in pks:
        out[(pk, "closed_rate")] = Fraction(closed[pk] * 100, total[pk]) if total[pk] else None
        out[(pk, "overdue")] = Fraction(overdue[pk])
    return out


def satisfaction_kind(code: str) -> str | None:
    """The surveys' questionnaire kind that ``satisfaction:CODE`` names: the kind's code in
    any case (``public_health``, ``PUBLIC_HEALTH``) or its Chinese name (公共卫生服务)."""
    from jiceng.surveys.questionnaire import kind_code

    return kind_code(code) or kind_code(code.lower())


def satisfaction_rates(region: Node, units: list[Node], year: int, codes: set[str]) -> dict:
    """{(unit pk, CODE): satisfaction percentage of the year}, CODE a questionnaire kind.

    The surveys app's rate (satisfied ÷ answered the overall question, every respondent at
    or below the unit, the year's four quarters pooled), kept exact; None when nobody was
    surveyed. One query per kind, whatever the number of units."""
    from jiceng.surveys import satisfaction_rates as rates_of

    out: dict[tuple[int, str], Fraction | None] = {}
    if not units:
        return out
    by_kind: dict[str, dict[int, tuple[int, int]]] = {}
    for code in sorted(codes):
        kind = satisfaction_kind(code)
        if kind is None:  # not a questionnaire kind: no data (the scheme check refuses it)
            continue
        if kind not in by_kind:
            by_kind[kind] = rates_of(units, kind, str(year))
        for pk, (sat, ans) in by_kind[kind].items():
            out[(pk, code)] = Fraction(100 * sat, ans) if ans else None
    return out


def bad_practice_points(region: Node, units: list[Node], year: int) -> dict[int, Fraction]:
    """{unit pk: points of bad practice recorded in the year at or below the unit}."""
    from jiceng.appraisal.models import BadPractice

    pks = {u.pk for u in units}
    out: dict[int, Fraction] = {pk: Fraction(0) for pk in pks}
    for path, points in BadPractice.objects.filter(
        institution__path__startswith=region.path, date__year=year
    ).values_list("institution__path", "points"):
        for anc in _ancestor_ids(path):
            if anc in pks:
                out[anc] += Fraction(Decimal(points))
    return out


def manual_values(appraisal, units: list[Node]) -> dict[tuple[int, str], Fraction]:
    """{(unit pk, item): value} entered by appraisers for this appraisal."""
    from jiceng.appraisal.models import ManualValue

    if appraisal is None or appraisal.pk is None:
        return {}
    return {
        (u, item): Fraction(Decimal(v))
        for u, item, v in ManualValue.objects.filter(appraisal=appraisal).values_list(
            "unit_id", "item", "value"
        )
    }


def gather(
    region: Node,
    units: list[Node],
    year: int,
    needs: Iterable[Need],
    appraisal=None,
    today: dt.date | None = None,
) -> dict[str, dict[str, Value]]:
    """{unit code: {item code: value or None}} for every unit and item."""
    needs = list(needs)
    on = year_end(year, today)
    by_kind: dict[str, set[str]] = defaultdict(set)
    for n in needs:
        by_kind[n.kind].add(n.code)
    ind = indicator_values(units, year, by_kind["indicator"]) if "indicator" in by_kind else {}
    data = data_values(region, units, year, by_kind["data"]) if "data" in by_kind else {}
    ver = verdicts(units, on) if "verdict" in by_kind else {}
    shares = verdict_shares(region, units, on) if "verdict_share" in by_kind else {}
    # the ledger as it stands when the appraisal reads it: an entry of the year closed since
    # counts as closed, one still open past its deadline as overdue
    led = (
        ledger(region, units, year, today or timezone.localdate())
        if {"ledger_closed_rate", "ledger_overdue"} & set(by_kind)
        else {}
    )
    sat = (
        satisfaction_rates(region, units, year, by_kind["satisfaction"])
        if "satisfaction" in by_kind
        else {}
    )
    bad = bad_practice_points(region, units, year) if "bad_practice" in by_kind else {}
    man = manual_values(appraisal, units) if "manual" in by_kind else {}
    out: dict[str, dict[str, Value]] = {}
    for u in units:
        row: dict[str, Value] = {}
        for n in needs:
            kind, code = n.kind, n.code
            if kind == "indicator":
                v: Value = ind.get((u.pk, code))
            elif kind == "data":
                v = data.get((u.pk, code))
            elif kind == "verdict":
                v = ver.get(u.pk, "none") if u.is_institution else None
            elif kind == "verdict_share":
                v = shares.get((u.pk, code))
            elif kind == "ledger_closed_rate":
                v = led.get((u.pk, "closed_rate"))
            elif kind == "ledger_overdue":
                v = led.get((u.pk, "overdue"))
            elif kind == "satisfaction":
                v = sat.get((u.pk, code))
            elif kind == "bad_practice":
                v = bad.get(u.pk, Fraction(0))
            elif kind == "manual":
                v = man.get((u.pk, n.item))
            else:
                v = None
            row[n.item] = v
        out[u.code] = row
    return out


def populations(region: Node, units: list[Node], year: int) -> dict[str, int | None]:
    """{unit code: permanent residents of the year}: the unit's own figure, else the sum of
    the nearest figures below it (a township centre's villages). One query."""
    from jiceng.orgs.models import NodeYear

    if not units:
        return {}
    figures = {
        _ancestor_ids(path)[-1]: (path, pop)
        for path, pop in NodeYear.objects.filter(
            node__path__startswith=region.path, year=year, permanent_residents__isnull=False
        ).values_list("node__path", "permanent_residents")
    }
    sums = nearest_sums(figures, {u.pk for u in units})
    return {u.code: sums.get(u.pk) for u in units}


def nearest_sums(figures: dict[int, tuple[str, int]], wanted: set[int]) -> dict[int, int]:
    """{node pk: its own figure plus the figures below it that no nearer figure hides}, for
    the nodes of ``wanted`` that have any; ``figures`` is {node pk: (tree path, figure)}."""
    sums: dict[int, int] = defaultdict(int)
    for pk, (path, pop) in figures.items():
        # a figure counts for each node between it and the nearest figure above it (exclusive)
        for anc in reversed(_ancestor_ids(path)):
            if anc != pk and anc in figures:
                break
            if anc in wanted:
                sums[anc] += pop
    return dict(sums)
