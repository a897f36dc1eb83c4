"""Reads of stored indicator values: per node, per region table, trends and targets.

Every page, the API, the Excel export and the home panel ask these functions, so that a
figure is looked up (which record set speaks for a unit, previous period, target) in one
way only: ``latest_values`` and ``available_periods`` are the only readers of stored values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connections
from django.db.models import F, FloatField, Q
from django.db.models.functions import Cast

from jiceng.indicators.models import IndicatorValue, RecordSet, Target
from jiceng.orgs.models import GRASSROOTS_KINDS, KIND_LEVEL, Kind, Node, path_ids

# ---------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    # The denominator is an estimate (patients estimated from a prevalence), not a count.
    estimated: bool = False
    group: str = ""  # the group of the national service specification, in Chinese


def definitions() -> list[Indicator]:
    """The indicators of the current definitions, grouped as the national specification."""
    from jiceng.analytics import registry

    reg = registry()
    return [
        Indicator(
            d.code,
            d.name_zh,
            "_estimated" in d.denominator or "prevalence" in d.denominator,
            reg.groups.get(d.group, ""),
        )
        for d in reg.grouped()
    ]


def definition_codes() -> set[str]:
    return {d.code for d in definitions()}


# ---------------------------------------------------------------- periods


def parse(label: str):
    """The analytics ``Period`` of ``label``; ValueError (Chinese message) when malformed."""
    from jiceng.analytics import parse_period

    return parse_period(label)


def previous_period(label: str) -> str:
    """The same period one year earlier: 2025 → 2024, 2025Q2 → 2024Q2, 2025-07 → 2024-07."""
    p = parse(label)
    return f"{p.year - 1}{p.label[4:]}"


def period_sort_key(label: str) -> tuple[date, int, str]:
    """Chronological order of period labels; a year comes after its Q4 and December."""
    p = parse(label)
    return (p.end, len(p.label) == 4, p.label)


# ---------------------------------------------------------------- values


def _path_ids(node: Node) -> list[int]:
    """Ids from the root down to ``node`` (from its materialised path)."""
    return path_ids(node.path)


@dataclass(frozen=True)
class _Set:
    """A READY record set as the lookup sees it: its owner (None: no region) and load order."""

    pk: int
    owner: Node | None
    loaded: float
    record_set: RecordSet

    @property
    def owner_path(self) -> str:
        return self.owner.path if self.owner else ""

    def rank(self) -> tuple[int, float, int]:
        """Nearest owner (longest path) first, then the latest load, then the higher id."""
        return (len(self.owner_path), self.loaded, self.pk)


def _ready_sets() -> dict[int, _Set]:
    """Every READY record set with its owner. One query, whatever the size of the tree."""
    rows = RecordSet.objects.filter(status=RecordSet.Status.READY).select_related("node")
    return {
        rs.pk: _Set(rs.pk, rs.node, rs.loaded_at.timestamp() if rs.loaded_at else 0.0, rs)
        for rs in rows.only(
            "id",
            "name",
            "status",
            "loaded_at",
            "node__id",
            "node__path",
            "node__code",
            "node__name",
            "node__kind",
        )
    }


def speaks_for(owner_path: str, node: Node) -> bool:
    """Whether a record set owned by the node at ``owner_path`` may give ``node`` its figures."""
    return node.path.startswith(owner_path)


@dataclass
class SummedValue:
    """A figure of a unit above the regions that loaded record sets: their sums.

    ``numerator`` and ``denominator`` are the sums over ``regions`` (the topmost units below
    the node whose own record sets have a value); ``value`` is their quotient, never an
    average of the regions' rates.
    """

    indicator: str
    numerator: Decimal
    denominator: Decimal | None
    regions: list[Node]
    definition_version: str = ""
    record_set: None = None

    @property
    def value(self) -> float | None:
        if not self.denominator:
            return None
        return float(self.numerator / self.denominator)


def _dec(x) -> Decimal:
    """A stored figure as a Decimal (a light read gives floats: their shortest text is exact
    for the 4 decimal places stored)."""
    return x if isinstance(x, Decimal) else Decimal(repr(x))


def _sum(indicator: str, parts: list[tuple[Node, IndicatorValue]]) -> SummedValue:
    dens = [_dec(v.denominator) for _n, v in parts if v.denominator is not None]
    versions = {v.definition_version for _n, v in parts}
    return SummedValue(
        indicator=indicator,
        numerator=sum((_dec(v.numerator) for _n, v in parts), Decimal(0)),
        denominator=sum(dens, Decimal(0)) if dens else None,
        regions=[n for n, _v in parts],
        definition_version=versions.pop() if len(versions) == 1 else "",
    )


_STORED_FIELDS = (
    "record_set_id",
    "org_code",
    "period",
    "indicator",
    "numerator",
    "denominator",
    "value",
    "definition_version",
)


class StoredValue(NamedTuple):
    """A stored value read as a plain row (``latest_values(light=True)``): the fields of
    ``IndicatorValue`` that the lookup reads and its record set, without building model
    instances (numerator and denominator as floats). A named tuple, built in C."""

    record_set_id: int
    org_code: str
    period: str
    indicator: str
    numerator: float
    denominator: float | None
    value: float | None
    definition_version: str
    record_set: RecordSet | None = None


def latest_values(
    nodes: list[Node],
    periods: list[str],
    indicators: list[str] | None = None,
    light: bool = False,
) -> dict[tuple[int, str], dict[str, IndicatorValue | SummedValue]]:
    """For each (node id, period): the node's values, from its record sets or summed below.

    The rule (docs/indicator-pages.md): among READY record sets owned by the node itself or
    by one of its ancestors that hold values for the node and period, the nearest owner
    wins, then the latest load (then the higher id). When no such set has any, the node's
    figures are the sums (``SummedValue``) over the topmost regions below it whose own
    record sets have values for the period. A set without a region comes last. Values a
    record set holds for units outside its owner's subtree are never used. Two queries,
    whatever the size of the tree. ``indicators`` narrows the read to those codes; ``light``
    gives ``StoredValue`` rows instead of model instances (many units: several times faster).
    """
    if not nodes or not periods:
        return {}
    sets = _ready_sets()
    if not sets:
        return {}
    wanted = {n.pk for n in nodes}
    # Owners strictly below one of the nodes: their own figures may be summed upwards.
    below: dict[int, Node] = {}
    for s in sets.values():
        if s.owner is not None and wanted.intersection(_path_ids(s.owner)[:-1]):
            below[s.owner.pk] = s.owner
    subjects = {n.pk: n for n in nodes} | below
    by_code = {n.code: n for n in subjects.values()}
    # Matched by org code (not the node key) so that values stored without a node link
    # (e.g. computed before the unit was added to the platform) are found too.
    # Only the fields read; the record set comes from ``sets`` (its JSON fields stay unread).
    # In no order (the choice below does not depend on it): the model's ordering would
    # make PostgreSQL sort every row read.
    qs = IndicatorValue.objects.filter(
        org_code__in=list(by_code), period__in=periods, record_set_id__in=list(sets)
    ).order_by()
    if indicators is not None:
        qs = qs.filter(indicator__in=indicators)
    record_sets = {pk: s.record_set for pk, s in sets.items()}
    if light:  # StoredValue: record set id, org code, period, indicator, …, record set
        rows = _light_rows(qs, record_sets)
    else:
        rows = [(v.record_set_id, v.org_code, v.period, v.indicator, v)
                for v in qs.only(*_STORED_FIELDS)]
    # One pass: for each (node, period) the rows of the best-ranked record set seen so far
    # that speaks for the node, owned sets and sets without a region apart. Plain tuples
    # and dicts: this loop meets every stored value of the view.
    node_of = {code: (n.pk, n.path) for code, n in by_code.items()}
    set_of = {pk: (s.owner_path, s.owner is not None, s.rank()) for pk, s in sets.items()}
    owned: dict[tuple[int, str], tuple[int, dict]] = {}
    loose: dict[tuple[int, str], tuple[int, dict]] = {}
    for row in rows:
        rs, code, period, indicator = row[0], row[1], row[2], row[3]
        pk, path = node_of[code]
        owner_path, has_owner, rank = set_of[rs]
        if not path.startswith(owner_path):  # speaks_for(owner_path, node)
            continue
        pick = owned if has_owner else loose
        key = (pk, period)
        cur = pick.get(key)
        if cur is None:
            pick[key] = (rs, {indicator: row})
        elif cur[0] == rs:
            cur[1][indicator] = row
        elif rank > set_of[cur[0]][2]:
            pick[key] = (rs, {indicator: row})
    # Each choice as {indicator: value}, by indicator code as the model orders them (the
    # rows were read in no order); the model instances with their record set.
    for chosen in (owned, loose):
        for key, (rs, vals) in chosen.items():
            if len(vals) > 1:
                vals = dict(sorted(vals.items()))
            if not light:
                for indicator, row in vals.items():
                    row[4].record_set = record_sets[rs]
                    vals[indicator] = row[4]
            chosen[key] = vals
    if not below and not loose:  # every figure from a record set speaking for its unit
        return owned

    out: dict[tuple[int, str], dict] = {}
    for node in nodes:
        pk = node.pk
        # Owners below the node, found once per node (not once per node and period).
        mine = {o: n for o, n in below.items() if o != pk and n.path.startswith(node.path)}
        for period in periods:
            key = (pk, period)
            found = owned.get(key)
            if found is None and mine:
                found = _summed(node, period, mine, owned)
            if found is None:
                found = loose.get(key)
            if found:
                out[key] = found
    return out


def _light_rows(qs, record_sets: dict[int, RecordSet]) -> list[StoredValue]:
    """The rows of ``qs`` as ``StoredValue`` (numerator and denominator cast to floats by
    the database), read through the cursor: no model instances, no per-row converters."""
    light_qs = qs.annotate(
        num_f=Cast("numerator", FloatField()), den_f=Cast("denominator", FloatField())
    ).values_list(*_STORED_FIELDS[:4], "num_f", "den_f", *_STORED_FIELDS[6:])
    sql, params = light_qs.query.sql_with_params()
    new = tuple.__new__  # a named tuple from a row without a call per field
    with connections[light_qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [new(StoredValue, (*row, record_sets[row[0]])) for row in cursor.fetchall()]


def _summed(
    node: Node, period: str, below: dict[int, Node], owned: dict[tuple[int, str], dict]
) -> dict | None:
    """Sums over the topmost owners ``below`` ``node`` (the record-set owners inside it)
    with values of their own for ``period`` (``owned``: the chosen values by node and
    period)."""
    having = {
        pk: (owner, vals) for pk, owner in below.items() if (vals := owned.get((pk, period)))
    }
    top = [
        (owner, vals)
        for owner, vals in having.values()
        if not any(a in having for a in _path_ids(owner)[:-1] if a not in _path_ids(node))
    ]
    if not top:
        return None
    top.sort(key=lambda ov: ov[0].code)
    parts: dict[str, list] = defaultdict(list)
    for owner, vals in top:
        for code, v in vals.items():
            parts[code].append((owner, v))
    return {code: _sum(code, p) for code, p in parts.items()}


def available_periods(node: Node) -> list[str]:
    """Periods with values for ``node`` (its own, or of the regions below it), oldest first.

    Its own: in a READY record set owned by the node, an ancestor or no region. Of the
    regions below: a READY record set's values for its own owner inside ``node``. One query.
    """
    labels = (
        IndicatorValue.objects.filter(record_set__status=RecordSet.Status.READY)
        .filter(
            (
                Q(org_code=node.code)
                & (Q(record_set__node_id__in=_path_ids(node)) | Q(record_set__node__isnull=True))
            )
            | (
                Q(record_set__node__path__startswith=node.path)
                & Q(org_code=F("record_set__node__code"))
            )
        )
        .values_list("period", flat=True)
        .distinct()
    )
    return sorted(set(labels), key=period_sort_key)


def latest_year_period(node: Node) -> str | None:
    """The most recent calendar-year period with values for ``node``, else any latest one."""
    periods = available_periods(node)
    years = [p for p in periods if len(p) == 4]
    if years:
        return years[-1]
    return periods[-1] if periods else None


# ---------------------------------------------------------------- coverage


@dataclass
class Coverage:
    """Which regions a summed figure covers: the units at the level of the summed regions."""

    node: Node
    kind_label: str
    covered: list[Node]
    missing: list[Node]

    def label(self, unit: Node) -> str:
        """The unit's name, after its parent's when that is not ``node`` (示范市 / 清河县)."""
        if unit.parent_id in (None, self.node.pk):
            return unit.name
        return f"{unit.parent.name} / {unit.name}"

    @property
    def missing_labels(self) -> list[str]:
        return [self.label(u) for u in self.missing]

    def sentence(self) -> str:
        """“下级地区汇总：3 个县（区）中 2 个有数据。没有数据：…” (for the Excel export)."""
        from django.utils.translation import gettext as _
        from django.utils.translation import pgettext

        out = _("Sums of the regions below: %(n)s of %(total)s %(kind)s have data.") % {
            "n": len(self.covered),
            "total": self.total,
            "kind": self.kind_label,
        }
        if self.missing:
            out += pgettext("indicators", "Without data:") + " " + "、".join(self.missing_labels)
        return out

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.missing)

    def as_dict(self) -> dict:
        return {
            "units": self.total,
            "with_data": [n.code for n in self.covered],
            "without_data": [n.code for n in self.missing],
        }


def coverage(node: Node, values: dict) -> Coverage | None:
    """The coverage of ``node``'s summed ``values`` (indicator → value); None if not summed.

    The units counted are those below ``node`` of the kind of the topmost summed regions
    (e.g. its counties); a unit has data when it or a unit below it was summed. One query.
    """
    regions: dict[int, Node] = {}
    for v in values.values():
        if isinstance(v, SummedValue):
            regions.update((r.pk, r) for r in v.regions)
    if not regions:
        return None
    level = min(KIND_LEVEL[Kind(r.kind)] for r in regions.values())
    kinds = sorted({r.kind for r in regions.values() if KIND_LEVEL[Kind(r.kind)] == level})
    units = list(
        Node.objects.subtree(node, include_self=False)
        .filter(kind__in=kinds)
        .select_related("parent")
        .order_by("code")
    )
    covered, missing = [], []
    for u in units:
        has = any(r.path.startswith(u.path) for r in regions.values())
        (covered if has else missing).append(u)
    return Coverage(node, units[0].get_kind_display() if units else "", covered, missing)


# ---------------------------------------------------------------- targets


def targets_for_nodes(nodes: list[Node], year: int) -> dict[int, dict[str, Target]]:
    """For each node: indicator → the Target on the node or its nearest ancestor for ``year``."""
    ids: set[int] = set()
    for n in nodes:
        ids.update(_path_ids(n))
    by_node: dict[int, dict[str, Target]] = defaultdict(dict)
    for t in Target.objects.filter(node_id__in=ids, year=year).select_related("node"):
        by_node[t.node_id][t.indicator] = t
    out: dict[int, dict[str, Target]] = {}
    for n in nodes:
        found: dict[str, Target] = {}
        for pk in reversed(_path_ids(n)):  # nearest first
            for code, t in by_node.get(pk, {}).items():
                found.setdefault(code, t)
        out[n.pk] = found
    return out


def target_for(node: Node, indicator: str, year: int) -> Target | None:
    """The most specific target for ``indicator`` on ``node`` or its nearest ancestor."""
    return targets_for_nodes([node], year)[node.pk].get(indicator)


# ---------------------------------------------------------------- one node


@dataclass
class Row:
    """One indicator of one node and period, with its change and its target."""

    code: str
    name: str
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    previous: float | None = None
    target: Target | None = None
    has_value_row: bool = False
    estimated: bool = False  # the denominator is an estimate (shown rounded, marked 估算)
    group: str = ""

    @property
    def change_pp(self) -> float | None:
        """Change against the previous period in percentage points."""
        if self.value is None or self.previous is None:
            return None
        return (self.value - self.previous) * 100

    @property
    def met(self) -> bool | None:
        return self.target.met_by(self.value) if self.target else None

    def as_dict(self) -> dict:
        return {
            "indicator": self.code,
            "name": self.name,
            "group": self.group,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "denominator_estimated": self.estimated,
            "value": self.value,
            "previous": self.previous,
            "change_pp": None if self.change_pp is None else round(self.change_pp, 4),
            "target": float(self.target.threshold) if self.target else None,
            "comparison": self.target.comparison if self.target else None,
            "met": self.met,
        }


def _num(d) -> float | None:
    return None if d is None else float(d)


def _rows(
    defs: list[Indicator],
    current: dict[str, IndicatorValue],
    previous: dict[str, IndicatorValue],
    targets: dict[str, Target],
) -> list[Row]:
    rows = []
    for d in defs:
        v = current.get(d.code)
        p = previous.get(d.code)
        rows.append(
            Row(
                code=d.code,
                name=d.name,
                numerator=_num(v.numerator) if v else None,
                denominator=_num(v.denominator) if v else None,
                value=v.value if v else None,
                previous=p.value if p else None,
                target=targets.get(d.code),
                has_value_row=v is not None,
                estimated=d.estimated,
                group=d.group,
            )
        )
    return rows


@dataclass
class NodeIndicators:
    node: Node
    period: str
    previous_period: str
    rows: list[Row]
    record_set: RecordSet | None = None
    definition_version: str = ""
    coverage: Coverage | None = None  # set when the figures are sums of regions below

    @property
    def has_values(self) -> bool:
        return any(r.has_value_row for r in self.rows)


def node_indicators(node: Node, period: str) -> NodeIndicators:
    """Every indicator of ``node`` for ``period`` with its previous-year value and target."""
    prev = previous_period(period)
    values = latest_values([node], [period, prev])
    current = values.get((node.pk, period), {})
    previous = values.get((node.pk, prev), {})
    targets = targets_for_nodes([node], parse(period).year)[node.pk]
    any_value = next(iter(current.values()), None)
    return NodeIndicators(
        node=node,
        period=parse(period).label,
        previous_period=prev,
        rows=_rows(definitions(), current, previous, targets),
        record_set=any_value.record_set if any_value else None,
        definition_version=any_value.definition_version if any_value else "",
        coverage=coverage(node, current),
    )


def period_kind(label: str) -> str:
    """``year``, ``quarter`` or ``month``."""
    return "quarter" if "Q" in label else ("month" if "-" in label else "year")


def trend(node: Node, like: str | None = None) -> dict:
    """Values of ``node`` over its periods (of the same kind as ``like``): ``{periods, series}``."""
    periods = available_periods(node)
    if like:
        periods = [p for p in periods if period_kind(p) == period_kind(like)]
    values = latest_values([node], periods)
    series = []
    for d in definitions():
        data = []
        for p in periods:
            v = values.get((node.pk, p), {}).get(d.code)
            data.append(None if v is None or v.value is None else round(v.value * 100, 2))
        if any(x is not None for x in data):
            series.append({"code": d.code, "name": d.name, "data": data})
    return {"periods": periods, "series": series}


def summary_for(node: Node, period: str | None = None, codes: list[str] | None = None) -> dict:
    """Context of ``indicators/_summary.html``: a few indicators of ``node`` at a glance."""
    period = period or latest_year_period(node)
    if period is None:
        return {"node": node, "period": None, "rows": []}
    data = node_indicators(node, period)
    rows = [r for r in data.rows if r.has_value_row]
    if codes:
        rows = [r for r in rows if r.code in codes]
    return {"node": node, "period": data.period, "rows": rows}


# ---------------------------------------------------------------- region table

LEVELS: dict[str, set[Kind] | None] = {
    "children": None,
    "city": {Kind.CITY},
    "county": {Kind.COUNTY},
    "township": {k for k, lv in KIND_LEVEL.items() if lv == 4},
    "village": {k for k, lv in KIND_LEVEL.items() if lv == 5},
    "institution": set(GRASSROOTS_KINDS),
}


def levels_below(node: Node) -> list[str]:
    """The level choices that make sense under ``node``."""
    out = ["children"]
    for name in ("city", "county", "township", "village"):
        kinds = LEVELS[name]
        if min(KIND_LEVEL[k] for k in kinds) > node.level:
            out.append(name)
    if not node.is_institution or node.children.exists():
        out.append("institution")
    return out


def nodes_at(node: Node, level: str) -> list[Node]:
    """The nodes below ``node`` that the region table lists for ``level``."""
    if level not in LEVELS:
        raise ValueError(level)
    kinds = LEVELS[level]
    if kinds is None:
        return list(node.children.order_by("code"))
    return list(
        Node.objects.subtree(node, include_self=False)
        .filter(kind__in=[k.value for k in kinds])
        .order_by("code")
    )


@dataclass
class TableRow:
    node: Node
    cells: dict[str, Row] = field(default_factory=dict)


@dataclass
class Table:
    node: Node
    period: str
    level: str
    sort: str
    columns: list[Indicator]
    rows: list[TableRow]
    total: TableRow | None
    hidden: int  # nodes at that level without any value
    coverage: Coverage | None = None  # of the total, when it sums regions below

    @property
    def column_groups(self) -> list[tuple[str, int]]:
        """(group name, number of columns) for each run of columns of one group."""
        out: list[tuple[str, int]] = []
        for d in self.columns:
            if out and out[-1][0] == d.group:
                out[-1] = (d.group, out[-1][1] + 1)
            else:
                out.append((d.group, 1))
        return out


def _sort_rows(rows: list[TableRow], sort: str, codes: set[str]) -> tuple[list[TableRow], str]:
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "name":
        return sorted(rows, key=lambda r: r.node.name, reverse=desc), sort
    if key in codes:
        present = [r for r in rows if r.cells[key].value is not None]
        missing = [r for r in rows if r.cells[key].value is None]
        present.sort(key=lambda r: (r.cells[key].value, r.node.code), reverse=desc)
        return present + sorted(missing, key=lambda r: r.node.code), sort
    if key != "code":
        sort, desc = "code", False
    return sorted(rows, key=lambda r: r.node.code, reverse=desc), sort


def region_table(node: Node, period: str, level: str = "children", sort: str = "code") -> Table:
    """Rows = nodes below ``node`` at ``level`` that have values; columns = indicators."""
    period = parse(period).label
    defs = definitions()
    children = nodes_at(node, level)
    prev = previous_period(period)
    values = latest_values([*children, node], [period, prev])
    year = parse(period).year
    targets = targets_for_nodes([*children, node], year)
    rows: list[TableRow] = []
    hidden = 0
    for child in children:
        current = values.get((child.pk, period), {})
        if not current:
            hidden += 1
            continue
        cells = _rows(defs, current, values.get((child.pk, prev), {}), targets[child.pk])
        rows.append(TableRow(child, {r.code: r for r in cells}))
    rows, sort = _sort_rows(rows, sort, {d.code for d in defs})
    shown = [
        d
        for d in defs
        if any(r.cells[d.code].value is not None for r in rows)
        or (values.get((node.pk, period), {}).get(d.code) is not None)
    ]
    total = None
    if values.get((node.pk, period)):
        cells = _rows(
            defs, values[(node.pk, period)], values.get((node.pk, prev), {}), targets[node.pk]
        )
        total = TableRow(node, {r.code: r for r in cells})
    cov = coverage(node, values.get((node.pk, period), {}))
    return Table(node, period, level, sort, shown or defs, rows, total, hidden, cov)


# ---------------------------------------------------------------- below target


def below_target(node: Node, period: str | None = None, limit: int = 10) -> list[tuple]:
    """(node, Row) pairs at ``node`` and its children whose value misses the target."""
    period = period or latest_year_period(node)
    if period is None:
        return []
    nodes = [node, *node.children.order_by("code")]
    values = latest_values(nodes, [period])
    targets = targets_for_nodes(nodes, parse(period).year)
    defs = definitions()
    out = []
    for n in nodes:
        current = values.get((n.pk, period))
        if not current:
            continue
        for r in _rows(defs, current, {}, targets[n.pk]):
            if r.met is False:
                out.append((n, r))
    return out[:limit]
