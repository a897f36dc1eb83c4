"""The one analytics request layer: a small pydantic request → rows of figures.

The visualizer page, its exports (CSV, Excel), the dashboards and the API all turn a
:class:`ViewRequest` into a :class:`Result` through :func:`run`; nothing else reads figures
for them. A measure is named by a short code:

- ``ind:CODE``: a resident-record indicator (``indicators.queries.latest_values``), a ratio;
- ``ds:DATASET:KEY``: a data element (``KEY``, ``KEY.OPTION``), a data-set indicator or the
  reporting rate (``_completeness``) of a data set, aggregated by ``jiceng.datasets``;
- ``verdict:recommended|basic|none|reached|share``: published verdicts (not withdrawn) of the
  institutions under a unit for the cycle year of the period;
- ``ledger:open|overdue|opened|closed``: ledger entries of the institutions under a unit
  (open and overdue at the end of the period, opened and closed within it).

Units outside the user's sight are 404 (``Http404``), never figures.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Literal, NamedTuple
from urllib.parse import urlencode

from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jiceng.core import scope
from jiceng.core.errors import UserError
from jiceng.core.perf import paused_gc
from jiceng.orgs.models import Node, path_ids

PeriodType = Literal["month", "quarter", "year", "ytd"]
Chart = Literal["table", "bar", "line", "stacked", "scatter"]
LEVELS = ("children", "county", "township", "village", "institution", "units")
VERDICTS = ("recommended", "basic", "none", "reached", "share")
LEDGER = ("open", "overdue", "opened", "closed")
VERDICT_LABELS = {
    "recommended": gettext_lazy("verdicts: recommended standard"),
    "basic": gettext_lazy("verdicts: basic standard"),
    "none": gettext_lazy("verdicts: standard not reached"),
    "reached": gettext_lazy("verdicts: standard reached"),
    "share": gettext_lazy("share of institutions reaching the standard"),
}
LEDGER_LABELS = {
    "open": gettext_lazy("ledger: open at the end of the period"),
    "overdue": gettext_lazy("ledger: overdue at the end of the period"),
    "opened": gettext_lazy("ledger: opened in the period"),
    "closed": gettext_lazy("ledger: closed in the period"),
}
MAX_MEASURES = 8
MAX_LINES = 30  # units drawn as lines of a line chart (the table has them all)
MAX_UNITS = 5000


class ViewRequest(BaseModel):
    """What a view asks for: measures × units × periods, and how to show them."""

    model_config = ConfigDict(extra="forbid")

    measures: list[str] = Field(default_factory=list, max_length=MAX_MEASURES)
    root: str = ""  # the region the units lie in (default: the user's own node)
    level: str = "children"
    units: list[str] = Field(default_factory=list, max_length=MAX_UNITS)
    period_type: PeriodType = "year"
    year: int = Field(default_factory=lambda: timezone.localdate().year - 1, ge=2000, le=2100)
    chart: Chart = "table"
    sort: str = ""  # "", "name", "value", "-value" (by the last period of the first measure)

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in LEVELS:
            raise ValueError(_("unknown level"))
        return v

    @field_validator("measures")
    @classmethod
    def _measures(cls, v: list[str]) -> list[str]:
        for m in v:
            kind, _sep, rest = m.partition(":")
            ok = (
                (kind == "ind" and rest)
                or (kind == "ds" and rest.count(":") == 1 and all(rest.split(":")))
                or (kind == "verdict" and rest in VERDICTS)
                or (kind == "ledger" and rest in LEDGER)
            )
            if not ok:
                raise ValueError(_("unknown measure “%(m)s”") % {"m": m})
        return list(dict.fromkeys(v))

    @field_validator("sort")
    @classmethod
    def _sort(cls, v: str) -> str:
        if v not in ("", "name", "value", "-value"):
            raise ValueError(_("unknown sort order"))
        return v

    # --- URLs -----------------------------------------------------------------------------

    def query(self) -> str:
        """The query string that opens this view (``/insights/visualizer/?…``)."""
        pairs: list[tuple[str, str]] = [("m", m) for m in self.measures]
        pairs += [
            ("root", self.root),
            ("level", self.level),
            ("pt", self.period_type),
            ("year", str(self.year)),
            ("chart", self.chart),
        ]
        pairs += [("unit", u) for u in self.units]
        if self.sort:
            pairs.append(("sort", self.sort))
        return urlencode([(k, v) for k, v in pairs if v])


FIELD_NAMES = {
    "measures": "m",
    "root": "root",
    "level": "level",
    "units": "unit",
    "period_type": "pt",
    "year": "year",
    "chart": "chart",
    "sort": "sort",
}


def parse_query(params: QueryDict | dict) -> ViewRequest:
    """A request from query parameters (``m``, ``root``, ``level``, ``unit``, ``pt``,
    ``year``, ``chart``, ``sort``); UserError naming the parameter when one is wrong."""
    getlist = params.getlist if hasattr(params, "getlist") else (lambda k: params.get(k, []))
    data: dict = {
        "measures": [m for m in getlist("m") if m],
        "units": [u for raw in getlist("unit") for u in re.split(r"[\s,，、]+", raw) if u],
    }
    for key, name in (("root", "root"), ("level", "level"), ("pt", "period_type")):
        if params.get(key):
            data[name] = params.get(key)
    for key in ("chart", "sort", "year"):
        if params.get(key):
            data[key] = params.get(key)
    return validate(data)


def validate(data: dict) -> ViewRequest:
    """``ViewRequest(**data)``, its errors as one Chinese UserError naming each parameter."""
    try:
        return ViewRequest(**data)
    except ValidationError as e:
        parts = []
        for err in e.errors():
            name = FIELD_NAMES.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else ""
            msg = _pydantic_message(err)
            parts.append(_("parameter %(name)s: %(msg)s") % {"name": name, "msg": msg})
        raise UserError("；".join(parts)) from None


def _pydantic_message(err: dict) -> str:
    """A pydantic error in the user's language."""
    kind = err.get("type", "")
    ctx = err.get("ctx", {})
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("must be a whole number, not “%(v)s”") % {"v": str(err.get("input"))[:40]}
    if kind in ("greater_than_equal", "less_than_equal"):
        return _("out of range")
    if kind == "literal_error":
        return _("must be one of %(values)s") % {"values": ctx.get("expected", "")}
    if kind == "too_long":
        return _("too many values (at most %(n)s)") % {"n": ctx.get("max_length", "")}
    return str(err["msg"])


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """One column of periods: a label and its first and last day."""

    label: str
    start: date
    end: date
    kind: PeriodType

    @property
    def year(self) -> int:
        return self.end.year


def _month_end(y: int, m: int) -> date:
    import calendar

    return date(y, m, calendar.monthrange(y, m)[1])


def spans(period_type: PeriodType, year: int) -> list[Span]:
    """The periods a view shows for ``year``: 12 months, 4 quarters, 5 years (``year`` and
    the 4 before) or 12 year-to-date months (January to the month)."""
    if period_type == "month":
        return [Span(f"{year}-{m:02d}", date(year, m, 1), _month_end(year, m), "month")
                for m in range(1, 13)]
    if period_type == "quarter":
        return [Span(f"{year}Q{q}", date(year, 3 * q - 2, 1), _month_end(year, 3 * q), "quarter")
                for q in range(1, 5)]
    if period_type == "year":
        return [Span(str(y), date(y, 1, 1), date(y, 12, 31), "year")
                for y in range(year - 4, year + 1)]
    return [Span(f"{year}-{m:02d}", date(year, 1, 1), _month_end(year, m), "ytd")
            for m in range(1, 13)]


def span_label(s: Span) -> str:
    """How a column is headed: 2025-07 is shown 1–7月 for a year-to-date view."""
    if s.kind == "ytd":
        return _("%(year)s Jan–%(month)s") % {"year": s.year, "month": s.end.strftime("%m")}
    return s.label


def previous_year(s: Span) -> Span:
    """The same period one year earlier."""
    return Span(
        s.label.replace(str(s.year), str(s.year - 1), 1),
        s.start.replace(year=s.start.year - 1),
        _month_end(s.end.year - 1, s.end.month),
        s.kind,
    )


# --- results ---------------------------------------------------------------------------------


class Cell(NamedTuple):
    """One figure: a value, and for a share its numerator and denominator. A named tuple:
    a view at province scale builds tens of thousands of them."""

    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None


@dataclass
class Measure:
    code: str
    name: str
    ratio: bool  # a share (0..1): shown in percent, change in percentage points
    unit: str = ""
    targets: dict[int, float] = field(default_factory=dict)  # node id → threshold (ratio)


@dataclass
class Line:
    """One unit's figures: measure code → period label → cell."""

    node: Node
    cells: dict[str, dict[str, Cell]]


@dataclass
class Result:
    request: ViewRequest
    root: Node
    measures: list[Measure]
    periods: list[Span]
    lines: list[Line]
    total: Line  # the figures of the root region itself
    before: dict[str, dict[int, dict[str, Cell]]]  # measure → node id → prior label → cell

    def cell(self, line: Line, measure: str, label: str) -> Cell:
        return line.cells.get(measure, {}).get(label) or Cell()

    def change(self, line: Line, m: Measure, idx: int, against: str) -> float | None:
        """Change of ``line``'s ``m`` at period ``idx`` against the previous period
        (``against="previous"``) or the same period last year (``"year"``): percentage points
        for shares, the difference for counts and sums."""
        s = self.periods[idx]
        now = self.cell(line, m.code, s.label).value
        if against == "previous":
            if idx > 0:
                prior = self.cell(line, m.code, self.periods[idx - 1].label).value
            else:
                prior = self.before.get(m.code, {}).get(line.node.pk, {}).get("prev:" + s.label)
                prior = prior.value if prior else None
        else:
            got = self.before.get(m.code, {}).get(line.node.pk, {}).get("year:" + s.label)
            prior = got.value if got else None
        return _delta(now, prior, m.ratio)

    def rows(self) -> FigureRows:
        """Flat rows: one per unit × measure × period, the total last (the API, CSV and
        Excel); built when read, so that a page of the API builds only its own rows."""
        return FigureRows(self)

    def line_rows(self, line: Line) -> list[tuple]:
        """The flat rows of one unit as tuples of ``ROW_FIELDS``: the same figures and
        changes as :meth:`cell` and :meth:`change`, computed once per measure."""
        node = line.node
        total = line is self.total
        labels = [s.label for s in self.periods]
        first = labels[0] if labels else ""
        out = []
        for m in self.measures:
            cells = line.cells.get(m.code, {})
            before = self.before.get(m.code, {}).get(node.pk, {})
            target = m.targets.get(node.pk)
            k = 100 if m.ratio else 1  # _delta's rule, inlined: this loop meets every row
            prior = before.get("prev:" + first)
            prior = prior.value if prior else None
            for label in labels:
                c = cells.get(label) or _EMPTY
                now = c.value
                year = before.get("year:" + label)
                year = year.value if year else None
                out.append((
                    node.code, node.name, total, m.code, m.name, label,
                    now, c.numerator, c.denominator,
                    None if now is None or prior is None else round((now - prior) * k, 4),
                    None if now is None or year is None else round((now - year) * k, 4),
                    target,
                ))
                prior = now
        return out


ROW_FIELDS = (
    "org_code", "org_name", "total", "measure", "measure_name", "period", "value",
    "numerator", "denominator", "change_previous", "change_last_year", "target",
)
_EMPTY = Cell()


def _delta(now: float | None, prior: float | None, ratio: bool) -> float | None:
    """The change rule of :meth:`Result.change` (percentage points for shares)."""
    if now is None or prior is None:
        return None
    return (now - prior) * 100 if ratio else now - prior


class FigureRows(Sequence):
    """The flat rows of a result (dicts of ``ROW_FIELDS``), counted without being built;
    a slice builds only the units it touches, iterating builds them one unit at a time."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.lines = [*result.lines, result.total]
        self.per_line = len(result.measures) * len(result.periods)

    def __len__(self) -> int:
        return len(self.lines) * self.per_line

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step < 0:
                return list(self)[index]
            if start >= stop or not self.per_line:
                return []
            first, last = start // self.per_line, (stop - 1) // self.per_line
            rows = [t for ln in self.lines[first:last + 1] for t in self.result.line_rows(ln)]
            base = first * self.per_line
            return [dict(zip(ROW_FIELDS, t, strict=True)) for t in rows[start - base:stop - base:step]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self[index:index + 1][0]

    def __iter__(self) -> Iterator[dict]:
        for t in self.tuples():
            yield dict(zip(ROW_FIELDS, t, strict=True))

    def tuples(self) -> Iterator[tuple]:
        """Every row as a tuple of ``ROW_FIELDS`` (the exports: no dict per row)."""
        for ln in self.lines:
            yield from self.result.line_rows(ln)


# --- resolving units -------------------------------------------------------------------------


def _visible_node(user, code: str) -> Node:
    node = Node.objects.filter(code=code).first()
    if node is None or not scope.can_see(user, node):
        raise Http404("organisation unit not found")
    return node


def resolve_units(user, req: ViewRequest) -> tuple[Node, list[Node]]:
    """The root region and the units of the view; 404 for any unit out of the user's sight."""
    from jiceng.indicators.queries import nodes_at

    if req.root:
        root = _visible_node(user, req.root)
    else:
        root = scope.scope_root(user)
        if root is None:
            root = Node.objects.filter(parent__isnull=True).order_by("code").first()
        if root is None or not scope.can_see(user, root):
            raise Http404("organisation unit not found")
    if req.level == "units":
        found = {n.code: n for n in Node.objects.filter(code__in=req.units)}
        units = []
        for code in req.units:
            n = found.get(code)
            if n is None or not scope.can_see(user, n):
                raise Http404("organisation unit not found")
            units.append(n)
        return root, units
    return root, nodes_at(root, req.level)


# --- sources ---------------------------------------------------------------------------------


def _resident(
    codes: list[str], nodes: list[Node], labels: list[str], year_of: dict[str, int]
) -> tuple[dict, list[Measure]]:
    from jiceng.indicators import queries

    names = {d.code: d.name for d in queries.definitions()}
    for c in codes:
        if c not in names:
            raise UserError(_("parameter m: unknown indicator “%(code)s”") % {"code": c})
    values = queries.latest_values(nodes, labels, indicators=codes, light=True)
    out: dict[str, dict[int, dict[str, Cell]]] = {c: defaultdict(dict) for c in codes}
    stored, new = queries.StoredValue, tuple.__new__
    for (pk, label), by_code in values.items():
        for c, v in by_code.items():
            if c not in out:
                continue
            if v.__class__ is stored:  # floats already: the cell built in C
                out[c][pk][label] = new(Cell, (v.value, v.numerator, v.denominator))
            else:  # summed: Decimals
                num, den = v.numerator, v.denominator
                out[c][pk][label] = Cell(
                    v.value,
                    None if num is None else float(num),
                    None if den is None else float(den),
                )
    years = sorted(set(year_of.values()))
    targets = queries.targets_for_nodes(nodes, years[-1]) if years else {}
    measures = []
    for c in codes:
        m = Measure(f"ind:{c}", names[c], True)
        for pk, by in targets.items():
            if c in by:
                m.targets[pk] = float(by[c].threshold)
        measures.append(m)
    return out, measures


def _dataset(
    code: str, keys: list[str], root: Node, nodes: list[Node], spans_: list[Span]
) -> tuple[dict, list[Measure]]:
    from jiceng.aggregates.models import DataSetVersion
    from jiceng.aggregates.queries import _completions, _orgs, _subtree_values, definition_of
    from jiceng.datasets import aggregate
    from jiceng.datasets.engine import COMPLETENESS, TIMELINESS
    from jiceng.datasets.periods import Period

    version = (
        DataSetVersion.objects.filter(code=code, active=True).order_by("-loaded_at", "-pk").first()
    )
    if version is None:
        raise UserError(_("parameter m: unknown data set “%(code)s”") % {"code": code})
    ds = definition_of(version)
    names = {COMPLETENESS: _("reporting rate"), TIMELINESS: _("reporting on time")}
    for el in ds.element_list():
        names[el.code] = el.name
        for o in el.options:
            names[f"{el.code}.{o.code}"] = f"{el.name}（{o.name}）"
    percent = {i.code for i in ds.indicators}
    for ind in ds.indicators:
        names[ind.code] = ind.name
    for k in keys:
        if k not in names:
            raise UserError(
                _("parameter m: data set %(ds)s has no “%(key)s”") % {"ds": code, "key": k}
            )
    periods = {}
    for s in spans_:
        first = s.start.year * 12 + s.start.month - 1
        months = (s.end.year - s.start.year) * 12 + s.end.month - s.start.month + 1
        p = Period(first, months)
        try:
            p.periods(ds.period_type)
        except ValueError:
            continue  # shorter than the data set's own period: nothing to show
        periods[s.label] = p
    labels = sorted({q.label for p in periods.values() for q in p.periods(ds.period_type)})
    orgs, _by_code = _orgs(root)
    values = _subtree_values(ds, version, root, labels)
    done = _completions(version, root, labels)
    wanted = {n.code: n.pk for n in nodes}
    out: dict[str, dict[int, dict[str, Cell]]] = {k: defaultdict(dict) for k in keys}
    for label, p in periods.items():
        for r in aggregate(ds, orgs, values, p, done):
            if r.org_code in wanted and r.code in out and r.value != "":
                v = float(Fraction(r.value))
                out[r.code][wanted[r.org_code]][label] = Cell(v)
    measures = [
        Measure(f"ds:{code}:{k}", f"{ds.name} · {names[k]}", k in (COMPLETENESS, TIMELINESS))
        for k in keys
    ]
    for m in measures:
        m.unit = "%" if m.code.rsplit(":", 1)[1] in percent else ""
    return out, measures


def _owner_ids(paths: list[str], nodes: list[Node]) -> dict[str, list[int]]:
    """For each institution path: the ids of the view's units it lies under (or is)."""
    ids = {n.pk for n in nodes}
    return {p: [i for i in path_ids(p) if i in ids] for p in paths}


def _verdicts(kinds: list[str], nodes: list[Node], root: Node, spans_: list[Span]):
    from jiceng.assessments.models import VerdictRecord

    rows = list(
        VerdictRecord.objects.filter(institution__path__startswith=root.path)
        .exclude(status=VerdictRecord.Status.WITHDRAWN)
        .filter(publication__isnull=False)
        .values_list("institution__path", "cycle__year", "verdict")
    )
    under = _owner_ids(sorted({r[0] for r in rows}), nodes)
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, year, verdict in rows:
        for pk in under[path]:
            counts[(pk, year)][verdict] += 1
    out: dict[str, dict[int, dict[str, Cell]]] = {k: defaultdict(dict) for k in kinds}
    for (pk, year), c in counts.items():
        reached = c["basic"] + c["recommended"]
        total = reached + c["none"]
        for s in spans_:
            if s.year != year:
                continue
            for k in kinds:
                if k == "share":
                    out[k][pk][s.label] = Cell(reached / total if total else None, reached, total)
                elif k == "reached":
                    out[k][pk][s.label] = Cell(float(reached))
                else:
                    out[k][pk][s.label] = Cell(float(c[k]))
    return out, [Measure(f"verdict:{k}", str(VERDICT_LABELS[k]), k == "share") for k in kinds]


def _ledger(kinds: list[str], nodes: list[Node], root: Node, spans_: list[Span]):
    from jiceng.rectification.models import LedgerEntry

    rows = list(
        LedgerEntry.objects.filter(institution__path__startswith=root.path).values_list(
            "institution__path", "opened_on", "deadline", "closed_at"
        )
    )
    under = _owner_ids(sorted({r[0] for r in rows}), nodes)
    out: dict[str, dict[int, dict[str, Cell]]] = {k: defaultdict(dict) for k in kinds}
    for s in spans_:
        counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LEDGER, 0))
        for path, opened, deadline, closed_at in rows:
            closed = timezone.localdate(closed_at) if isinstance(closed_at, datetime) else None
            is_open = opened <= s.end and (closed is None or closed > s.end)
            flags = {
                "open": is_open,
                "overdue": is_open and deadline < s.end,
                "opened": s.start <= opened <= s.end,
                "closed": closed is not None and s.start <= closed <= s.end,
            }
            for pk in under[path]:
                for k, yes in flags.items():
                    if yes:
                        counts[pk][k] += 1
        for pk in {n.pk for n in nodes}:
            for k in kinds:
                out[k][pk][s.label] = Cell(float(counts[pk][k]) if pk in counts else 0.0)
    return out, [Measure(f"ledger:{k}", str(LEDGER_LABELS[k]), False) for k in kinds]


def _prior_spans(shown: list[Span]) -> tuple[list[Span], dict[str, str]]:
    """The periods needed for the changes: the one before the first shown, and each shown
    period one year earlier; with their keys (``prev:LABEL``, ``year:LABEL``)."""
    first = shown[0]
    if first.kind == "year":
        before = previous_year(first)
    elif first.kind in ("month", "quarter"):
        before = previous_year(shown[-1])  # December / Q4 of the year before
    else:
        before = None  # January year-to-date has no previous period in its year
    extra: list[Span] = []
    keys: dict[str, str] = {}
    if before is not None:
        extra.append(before)
        keys["prev:" + first.label] = before.label
    for s in shown:
        p = previous_year(s)
        if p not in extra:
            extra.append(p)
        keys["year:" + s.label] = p.label
    return extra, keys


def run(user, req: ViewRequest) -> Result:
    """The figures of ``req`` for ``user``: every measure × unit × period, the root region's
    own figures as the total, and the prior periods the changes need."""
    with paused_gc():  # tens of thousands of small rows at province scale
        return _run(user, req)


def _run(user, req: ViewRequest) -> Result:
    root, units = resolve_units(user, req)
    shown = spans(req.period_type, req.year)
    extra, keys = _prior_spans(shown)
    every = shown + [s for s in extra if s.label not in {x.label for x in shown}]
    nodes = [*units, root] if root.pk not in {u.pk for u in units} else units
    data: dict[str, dict[int, dict[str, Cell]]] = {}
    measures: dict[str, Measure] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for m in req.measures:
        kind, _sep, rest = m.partition(":")
        groups[kind if kind != "ds" else "ds:" + rest.split(":")[0]].append(rest)
    for kind, rests in groups.items():
        if kind == "ind":
            got, ms = _resident(rests, nodes, [s.label for s in every],
                                {s.label: s.year for s in shown})
            got = {f"ind:{k}": v for k, v in got.items()}
        elif kind.startswith("ds:"):
            code = kind[3:]
            ks = [r.split(":", 1)[1] for r in rests]
            got, ms = _dataset(code, ks, root, nodes, every)
            got = {f"ds:{code}:{k}": v for k, v in got.items()}
        elif kind == "verdict":
            got, ms = _verdicts(rests, nodes, root, every)
            got = {f"verdict:{k}": v for k, v in got.items()}
        else:
            got, ms = _ledger(rests, nodes, root, every)
            got = {f"ledger:{k}": v for k, v in got.items()}
        data.update(got)
        measures.update({x.code: x for x in ms})
    ordered = [measures[m] for m in req.measures if m in measures]
    shown_labels = {s.label for s in shown}

    def line(n: Node) -> Line:
        return Line(n, {m.code: {k: c for k, c in data[m.code].get(n.pk, {}).items()
                                 if k in shown_labels} for m in ordered})

    before: dict[str, dict[int, dict[str, Cell]]] = {}
    for m in ordered:
        per = {}
        for n in nodes:
            got = data[m.code].get(n.pk, {})
            per[n.pk] = {key: got[label] for key, label in keys.items() if label in got}
        before[m.code] = per
    lines = [line(u) for u in units]
    result = Result(req, root, ordered, shown, lines, line(root), before)
    result.lines = sort_lines(result)
    return result


def sort_lines(result: Result) -> list[Line]:
    """The units in the order asked: by code, by name, or by the last period's value of the
    first measure (units without a value last)."""
    lines = sorted(result.lines, key=lambda ln: ln.node.code)
    sort = result.request.sort
    if sort == "name":
        return sorted(lines, key=lambda ln: ln.node.name)
    if sort in ("value", "-value") and result.measures:
        m, last = result.measures[0].code, result.periods[-1].label
        have = [ln for ln in lines if result.cell(ln, m, last).value is not None]
        have.sort(key=lambda ln: result.cell(ln, m, last).value, reverse=sort == "-value")
        return have + [ln for ln in lines if result.cell(ln, m, last).value is None]
    return lines


def median(values: list[float]) -> float | None:
    """The median of the values present, None when there are none."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def chart_data(result: Result) -> dict:
    """What the page's chart script draws: categories, series and target lines."""
    scale = {m.code: (100 if m.ratio else 1) for m in result.measures}
    series = []
    req = result.request
    drawn = result.lines[:MAX_LINES]
    if req.chart == "line" or (len(result.lines) <= 1 and req.chart != "scatter"):
        categories = [span_label(s) for s in result.periods]
        for m in result.measures:
            for ln in drawn or [result.total]:
                series.append({
                    "name": f"{ln.node.name} · {m.name}" if len(result.measures) > 1
                    else ln.node.name,
                    "data": [_scaled(result.cell(ln, m.code, s.label).value, scale[m.code])
                             for s in result.periods],
                })
        axis = "period"
    else:
        categories = [ln.node.name for ln in result.lines]
        last = result.periods[-1]
        periods = [last] if req.chart in ("bar", "stacked") and len(result.measures) > 1 \
            else result.periods
        for m in result.measures:
            for s in periods:
                series.append({
                    "name": f"{m.name} {span_label(s)}",
                    "data": [_scaled(result.cell(ln, m.code, s.label).value, scale[m.code])
                             for ln in result.lines],
                })
        axis = "unit"
    targets = []
    for m in result.measures:
        t = m.targets.get(result.root.pk)
        if t is not None:
            targets.append({"name": m.name, "value": round(t * scale[m.code], 4)})
    scatter = None
    if req.chart == "scatter" and len(result.measures) >= 2:
        a, b, last = result.measures[0], result.measures[1], result.periods[-1].label
        scatter = {
            "x": a.name, "y": b.name,
            "points": [
                [_scaled(result.cell(ln, a.code, last).value, scale[a.code]),
                 _scaled(result.cell(ln, b.code, last).value, scale[b.code]), ln.node.name]
                for ln in result.lines
            ],
        }
    return {
        "chart": req.chart, "axis": axis, "categories": categories, "series": series,
        "cut": axis == "period" and len(result.lines) > MAX_LINES,
        "targets": targets, "scatter": scatter,
        "percent": bool(result.measures) and all(m.ratio for m in result.measures),
    }


def _scaled(v: float | None, k: int) -> float | None:
    return None if v is None else round(v * k, 4)
