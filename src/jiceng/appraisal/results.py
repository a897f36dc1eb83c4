"""A year's appraisal results: computed live for a draft (gathered values scored by the core),
frozen in the appraisal once published (later data changes do not move them).

:func:`results_of` is what every page, export and API read asks; it returns a
:class:`Table` whatever the appraisal's state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from jiceng.appraisal import engine, sources
from jiceng.appraisal_core.scheme import VERDICT_NAMES
from jiceng.appraisal_core.scoring import compute as core_compute
from jiceng.appraisal_core.scoring import parse_value
from jiceng.orgs.models import Node


@dataclass
class ItemCell:
    """One item of one unit as shown: the value, the points earned (None: left out), flags."""

    value: str
    points: str | None
    flags: list[str]


@dataclass
class Row:
    unit: str
    name: str
    path: str  # the unit's tree path (whose rows a user may see)
    parent: str
    kind: str
    score: str | None  # rounded half-up to 2 places
    exact: str | None  # the exact score as "numerator/denominator" (sorting)
    rank: int | None
    grade: str | None
    population: int | None
    weight: str | None  # population × score (score_population)
    amount: str | None
    vetoed: list[str]
    items: dict[str, ItemCell]
    share: str | None = None  # the core's exact yuan before rounding (score_population)

    @property
    def exact_score(self) -> Fraction | None:
        return Fraction(self.exact) if self.exact is not None else None


@dataclass
class Table:
    units: list[Row]
    warnings: list[str] = field(default_factory=list)
    weight_total: str | None = None
    error: str = ""  # the fund could not be shared (the scores stand)

    def row(self, code: str) -> Row | None:
        for r in self.units:
            if r.unit == code:
                return r
        return None

    @property
    def total_amount(self) -> Decimal:
        return sum((Decimal(r.amount) for r in self.units if r.amount), Decimal(0))


def units_of(appraisal) -> list[Node]:
    """The appraised units: nodes of the region of the scheme's kinds, open in the year."""
    scheme = engine.scheme_of(appraisal.scheme)
    start = dt.date(appraisal.year, 1, 1)
    return list(
        Node.objects.subtree(appraisal.region)
        .filter(kind__in=scheme.unit_kinds)
        .exclude(closed__lt=start)
        .select_related("parent")
        .order_by("code")
    )


def peer_key(scheme, unit: Node) -> str:
    """The peer group a unit is ranked in: its kind under its parent, or everyone."""
    if scheme.peer_group == "parent":
        return f"{unit.kind}@{unit.parent_id}"
    return ""


def value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return VERDICT_NAMES.get(value, value)
    return engine.plain(value)


def compute(appraisal, today: dt.date | None = None) -> Table:
    """Gather every unit's values from the sources and score them with the core."""
    from jiceng.core.errors import ValidationFailed

    scheme = engine.scheme_of(appraisal.scheme)
    units = units_of(appraisal)
    needs = []
    for item in scheme.items:
        kind, code = engine.source_of(item)
        needs.append(sources.Need(item.code, kind, code))
    values = sources.gather(appraisal.region, units, appraisal.year, needs, appraisal, today)
    checked: dict[str, dict] = {}
    unusable: list[str] = []
    for u in units:
        row = {}
        for item in scheme.items:
            v = values[u.code].get(item.code)
            try:
                row[item.code] = parse_value(item, v)
            except ValueError as exc:  # e.g. a value the map does not list: 无数据, and said
                row[item.code] = None
                unusable.append(f"{u.name} {item.name}：{exc}")
        checked[u.code] = row
    pops = sources.populations(appraisal.region, units, appraisal.year)
    peers = {u.code: peer_key(scheme, u) for u in units}
    error = ""
    try:
        result = core_compute(
            scheme, checked, {k: v for k, v in pops.items() if v is not None}, peers
        )
    except ValidationFailed as exc:
        error = "；".join(str(p) for p in exc.problems)
        result = core_compute(dataclasses.replace(scheme, fund=None), checked, None, peers)
    by_code = {u.code: u for u in units}
    rows = []
    for r in result.units:
        node = by_code[r.unit]
        rows.append(
            Row(
                unit=r.unit,
                name=node.name,
                path=node.path,
                parent=node.parent.name if node.parent_id else "",
                kind=node.kind,
                score=str(r.display) if r.display is not None else None,
                exact=str(r.score) if r.score is not None else None,
                rank=r.rank,
                grade=r.grade,
                population=pops.get(r.unit),
                weight=engine.plain(r.weight) if r.weight is not None else None,
                amount=str(r.amount) if r.amount is not None else None,
                share=engine.plain(r.share) if getattr(r, "share", None) is not None else None,
                vetoed=list(r.vetoed),
                items={
                    code: ItemCell(
                        value_text(s.value),
                        engine.plain(s.points) if s.points is not None else None,
                        list(s.flags),
                    )
                    for code, s in r.items.items()
                },
            )
        )
    weight_total = result.weight_total
    return Table(
        rows,
        list(result.warnings) + unusable,
        engine.plain(weight_total) if weight_total is not None else None,
        error,
    )


def freeze(table: Table) -> dict:
    """The table as JSON (stored in ``Appraisal.frozen`` on publication)."""
    return {
        "units": {
            r.unit: {
                **{k: v for k, v in vars(r).items() if k not in ("unit", "items")},
                "items": {c: [i.value, i.points, i.flags] for c, i in r.items.items()},
            }
            for r in table.units
        },
        "order": [r.unit for r in table.units],
        "warnings": table.warnings,
        "weight_total": table.weight_total,
        "error": table.error,
    }


def thaw(data: dict) -> Table:
    units = data.get("units", {})
    rows = []
    for code in data.get("order", sorted(units)):
        d = dict(units[code])
        items = {c: ItemCell(v, p, list(f)) for c, (v, p, f) in d.pop("items", {}).items()}
        rows.append(Row(unit=code, items=items, **d))
    return Table(
        rows, list(data.get("warnings", [])), data.get("weight_total"), data.get("error", "")
    )


def results_of(appraisal) -> Table:
    """The appraisal's results: the frozen ones once published, else computed now."""
    if appraisal.is_frozen and appraisal.frozen is not None:
        return thaw(appraisal.frozen)
    return compute(appraisal)


def results_for(request, appraisal) -> Table:
    """:func:`results_of` for a page or API read, kept in the page cache until a write at or
    below the appraisal's region (a manual value, a ledger entry, a data value, points…) or
    at its ancestors changes the data it was computed from (``core/pagecache.py``)."""
    from jiceng.core import pagecache

    return pagecache.cached(
        request,
        "appraisal.results",
        appraisal.region.path,
        lambda: results_of(appraisal),
        vary=(appraisal.pk, appraisal.status, str(appraisal.published_at)),
        per_user=False,
    )


SORTS = {
    "rank": lambda r: (r.rank is None, r.rank or 0, r.unit),
    "score": lambda r: (r.exact is None, -(r.exact_score or 0), r.unit),
    "unit": lambda r: (r.unit,),
    "name": lambda r: (r.name, r.unit),
    "amount": lambda r: (r.amount is None, -Decimal(r.amount or 0), r.unit),
    "grade": lambda r: (r.grade is None, r.grade or "", r.unit),
}


def sorted_rows(table: Table, key: str) -> list[Row]:
    """Rows sorted by a column of :data:`SORTS` (``-key`` reverses); unknown keys: by rank."""
    reverse = key.startswith("-")
    fn = SORTS.get(key.lstrip("-"), SORTS["rank"])
    return sorted(table.units, key=fn, reverse=reverse)


def grade_counts(scheme, rows: list[Row]) -> list[tuple[str, int]]:
    """How many units reached each grade, best first (e.g. A类 32、B类 65、C类 28)."""
    counts = {g.label: 0 for g in scheme.grades}
    for r in rows:
        if r.grade in counts:
            counts[r.grade] += 1
    return list(counts.items())
