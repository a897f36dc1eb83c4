"""Validating an import of the organisation tree before anything is written.

:func:`plan_import` reads the workbook, checks every row against the file itself, the
database and the importing user's scope, and either returns an :class:`ImportPlan`
(rows in an order in which they can be written: parents before children) or raises
``ValidationFailed`` with every problem found. Writing is
:func:`jiceng.orgs.actions.do_import_tree`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.orgs import excel
from jiceng.orgs.models import Kind, Node, NodeYear, parent_allowed

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CODE_RE = re.compile(r"^[0-9A-Za-z_.\-]{1,32}$")
MAX_FIGURE = 2_147_483_647
YEAR_RANGE = (1949, 2100)

# (part, whole): a part of the population cannot be larger than the whole.
PARTS = (
    ("residents_65_plus", "permanent_residents"),
    ("children_0_6", "permanent_residents"),
    ("adults_18_plus", "permanent_residents"),
    ("key_population", "permanent_residents"),
    ("residents_65_plus", "adults_18_plus"),
    ("general_practitioners", "doctors"),
)


@dataclass
class NodeRow:
    row: int
    code: str
    name: str
    kind: str
    parent: str | None
    opened: dt.date | None
    closed: dt.date | None
    address: str
    depth: int = 0  # depth in the tree after the import, to order the writes
    # (longitude, latitude), both None to clear; absent (None) when the sheet has no such columns.
    point: tuple[Decimal | None, Decimal | None] | None = None


@dataclass
class YearRow:
    row: int
    code: str
    year: int
    figures: dict[str, int | None]


@dataclass
class ImportPlan:
    filename: str
    nodes: list[NodeRow] = field(default_factory=list)
    years: list[YearRow] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.nodes) + len(self.years)


def _kind_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for kind in Kind:
        lookup[kind.value] = kind.value
        for alias in excel.aliases(kind.label):
            lookup[alias] = kind.value
    return lookup


def kind_label(kind: str) -> str:
    try:
        return str(Kind(kind).label)
    except ValueError:
        return kind


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value).strip()


class _Rows:
    """Collects problems for one sheet, naming file, row, column and field."""

    def __init__(self, filename: str, sheet: excel.SheetRows, columns, problems: list[Problem]):
        self.filename = filename
        self.sheet = sheet
        self.labels = {c.key: str(c.label) for c in columns}
        self.problems = problems

    def add(self, row: int, key: str | None, message: str) -> None:
        self.problems.append(
            Problem(
                message,
                file=self.filename,
                row=row,
                column=self.sheet.cell_ref(key) if key else self.sheet.name,
                field=self.labels.get(key, "") if key else "",
                label=self.labels.get(key, "") if key else "",
            )
        )

    def required(self, row: int, values: dict, key: str) -> str:
        text = _text(values.get(key))
        if not text:
            self.add(row, key, _("The cell %(field)s is empty.") % {"field": self.labels[key]})
        return text

    def date(self, row: int, values: dict, key: str) -> tuple[dt.date | None, bool]:
        value = values.get(key)
        if value in (None, ""):
            return None, True
        if isinstance(value, dt.datetime):
            return value.date(), True
        if isinstance(value, dt.date):
            return value, True
        text = _text(value)
        if DATE_RE.match(text):
            try:
                return dt.date.fromisoformat(text), True
            except ValueError:
                pass
        self.add(
            row,
            key,
            _("“%(value)s” is not a date: enter a date cell or text in the form YYYY-MM-DD.")
            % {"value": text},
        )
        return None, False

    def count(self, row: int, values: dict, key: str) -> tuple[int | None, bool]:
        value = values.get(key)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            return None, True
        number: float | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip().replace(",", ""))
            except ValueError:
                number = None
        label = self.labels[key]
        if number is None:
            self.add(
                row,
                key,
                _("%(field)s must be a whole number, not “%(value)s”.")
                % {"field": label, "value": _text(value)},
            )
            return None, False
        if number < 0:
            self.add(
                row,
                key,
                _("%(field)s cannot be negative (%(value)s).")
                % {"field": label, "value": _text(value)},
            )
            return None, False
        if not number.is_integer():
            self.add(
                row,
                key,
                _("%(field)s must be a whole number, not %(value)s.")
                % {"field": label, "value": _text(value)},
            )
            return None, False
        if number > MAX_FIGURE:
            self.add(row, key, _("%(field)s is too large.") % {"field": label})
            return None, False
        return int(number), True

    def degrees(self, row: int, values: dict, key: str, limit: int) -> tuple[Decimal | None, bool]:
        """A longitude or latitude in decimal degrees within ±``limit``, to 6 places."""
        value = values.get(key)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            return None, True
        label = self.labels[key]
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, bool) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.add(
                row,
                key,
                _("%(field)s must be a number in decimal degrees, not “%(value)s”.")
                % {"field": label, "value": _text(value)},
            )
            return None, False
        if abs(number) > limit:
            self.add(
                row,
                key,
                _(
                    "%(field)s %(value)s is outside -%(limit)s to %(limit)s: give WGS84 "
                    "degrees, not projected coordinates."
                )
                % {"field": label, "value": _text(value), "limit": limit},
            )
            return None, False
        return number.quantize(Decimal("0.000001")), True


def _point(rows: _Rows, number: int, values: dict, columns: dict) -> tuple[object, bool]:
    """The row's (longitude, latitude), or None when the sheet has neither column."""
    if "longitude" not in columns and "latitude" not in columns:
        return None, True
    lon, ok_lon = rows.degrees(number, values, "longitude", 180)
    lat, ok_lat = rows.degrees(number, values, "latitude", 90)
    if ok_lon and ok_lat and (lon is None) != (lat is None):
        missing = "latitude" if lat is None else "longitude"
        rows.add(
            number,
            missing,
            _("Give both the longitude and the latitude, or neither."),
        )
        return None, False
    return (lon, lat), ok_lon and ok_lat


def _restricted(actor) -> bool:
    return actor is not None and not scope.is_global(actor)


def _can_manage(actor, node: Node) -> bool:
    return not _restricted(actor) or scope.can(actor, scope.Action.MANAGE_TREE, node)


def _load_nodes(codes: set[str]) -> tuple[dict[str, Node], dict[str, str | None]]:
    """Nodes of ``codes`` in the database, and the parent code of each and its ancestors."""
    found: dict[str, Node] = {}
    code_list = sorted(c for c in codes if c)
    for i in range(0, len(code_list), 500):
        for node in Node.objects.filter(code__in=code_list[i : i + 500]):
            found[node.code] = node
    ids: set[int] = set()
    for node in found.values():
        ids.update(int(s) for s in node.path.strip("/").split("/") if s)
    by_id: dict[int, tuple[str, int | None]] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 500):
        for pk, code, parent_id in Node.objects.filter(pk__in=id_list[i : i + 500]).values_list(
            "pk", "code", "parent_id"
        ):
            by_id[pk] = (code, parent_id)
    parents = {
        code: (by_id[parent_id][0] if parent_id in by_id else None)
        for code, parent_id in by_id.values()
    }
    return found, parents


def _parse_nodes(raw: excel.RawWorkbook, problems: list[Problem]) -> dict[str, NodeRow]:
    rows = _Rows(raw.filename, raw.nodes, excel.NODE_COLUMNS, problems)
    kinds = _kind_lookup()
    seen: dict[str, NodeRow] = {}
    for number, values in raw.nodes.rows:
        code = rows.required(number, values, "code")
        name = rows.required(number, values, "name")
        kind_text = rows.required(number, values, "kind")
        parent = _text(values.get("parent")) or None
        opened, ok_open = rows.date(number, values, "opened")
        closed, ok_close = rows.date(number, values, "closed")
        point, ok_point = _point(rows, number, values, raw.nodes.columns)
        ok = bool(code and name and kind_text and ok_open and ok_close and ok_point)
        if code and not CODE_RE.match(code):
            rows.add(
                number,
                "code",
                _(
                    "The code “%(code)s” may only hold digits, letters, “-”, “_” and “.”, "
                    "at most 32 of them."
                )
                % {"code": code},
            )
            ok = False
        kind = kinds.get(kind_text) if kind_text else None
        if kind_text and kind is None:
            rows.add(
                number,
                "kind",
                _("Unknown type “%(value)s”; use one of: %(choices)s.")
                % {"value": kind_text, "choices": "、".join(str(k.label) for k in Kind)},
            )
            ok = False
        if len(name) > 128:
            rows.add(number, "name", _("The name is longer than 128 characters."))
            ok = False
        if opened and closed and closed < opened:
            rows.add(
                number,
                "closed",
                _("The closing date %(closed)s is before the opening date %(opened)s.")
                % {"closed": closed, "opened": opened},
            )
            ok = False
        if code and code in seen:
            rows.add(
                number,
                "code",
                _("The code %(code)s appears twice: rows %(first)s and %(second)s.")
                % {"code": code, "first": seen[code].row, "second": number},
            )
            continue
        if not code:
            continue
        seen[code] = NodeRow(
            row=number,
            code=code,
            name=name,
            kind=kind or "",
            parent=parent,
            opened=opened,
            closed=closed,
            address=_text(values.get("address"))[:255],
            point=point,
        )
        if not ok:
            seen[code].kind = seen[code].kind or ""
            seen[code].depth = -1  # marks a row already in error
    return seen


def figure_problems(
    figures: dict[str, int | None], labels: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """(field, message) for every part of the population larger than its whole."""
    if labels is None:
        labels = {c.key: str(c.label) for c in excel.YEAR_COLUMNS}
    out: list[tuple[str, str]] = []
    for part, whole in PARTS:
        p, w = figures.get(part), figures.get(whole)
        if p is not None and w is not None and p > w:
            out.append(
                (
                    part,
                    _("%(part)s (%(p)s) is larger than %(whole)s (%(w)s).")
                    % {"part": labels[part], "p": p, "whole": labels[whole], "w": w},
                )
            )
    c, a, t = (
        figures.get("children_0_6"),
        figures.get("adults_18_plus"),
        figures.get("permanent_residents"),
    )
    if c is not None and a is not None and t is not None and c + a > t:
        out.append(
            (
                "children_0_6",
                _("%(children)s and %(adults)s together (%(sum)s) are more than %(whole)s (%(w)s).")
                % {
                    "children": labels["children_0_6"],
                    "adults": labels["adults_18_plus"],
                    "sum": c + a,
                    "whole": labels["permanent_residents"],
                    "w": t,
                },
            )
        )
    return out


def _parse_years(
    raw: excel.RawWorkbook, problems: list[Problem]
) -> tuple[list[YearRow], excel.SheetRows | None]:
    if raw.years is None:
        return [], None
    rows = _Rows(raw.filename, raw.years, excel.YEAR_COLUMNS, problems)
    present = [k for k in NodeYear.FIGURES if k in raw.years.columns]
    out: list[YearRow] = []
    seen: dict[tuple[str, int], int] = {}
    for number, values in raw.years.rows:
        code = rows.required(number, values, "code")
        year_value, ok = rows.count(number, values, "year")
        if values.get("year") in (None, ""):
            rows.required(number, values, "year")
            ok = False
        elif ok and not (YEAR_RANGE[0] <= year_value <= YEAR_RANGE[1]):
            rows.add(
                number,
                "year",
                _("The year %(year)s is not between %(low)s and %(high)s.")
                % {"year": year_value, "low": YEAR_RANGE[0], "high": YEAR_RANGE[1]},
            )
            ok = False
        figures: dict[str, int | None] = {}
        for key in present:
            figures[key], fine = rows.count(number, values, key)
            ok = ok and fine
        for key, message in figure_problems(figures, rows.labels):
            rows.add(number, key, message)
            ok = False
        if code and ok:
            key = (code, year_value)
            if key in seen:
                rows.add(
                    number,
                    "year",
                    _("%(code)s has figures for %(year)s twice: rows %(first)s and %(second)s.")
                    % {"code": code, "year": year_value, "first": seen[key], "second": number},
                )
                continue
            seen[key] = number
            out.append(YearRow(row=number, code=code, year=year_value, figures=figures))
    return out, raw.years


def _problem_order(node_sheet: str):
    def key(p: Problem):
        sheet, _sep, letters = p.column.partition("!")
        return (sheet != node_sheet, p.row or 0, len(letters), letters)

    return key


def plan_import(data: bytes, filename: str, actor=None) -> ImportPlan:
    """Validate an import file completely; return the plan or raise ValidationFailed.

    ``actor`` None means the system (a command run without ``--user``): no scope limit.
    """
    if _restricted(actor) and not (
        actor.node_id and scope.can(actor, scope.Action.MANAGE_TREE, actor.node)
    ):
        raise UserError(_("Only administrators can import the organisation tree."))
    raw = excel.read_workbook(data, filename)
    problems: list[Problem] = []
    file_nodes = _parse_nodes(raw, problems)
    years, _sheet = _parse_years(raw, problems)
    node_rows = _Rows(raw.filename, raw.nodes, excel.NODE_COLUMNS, problems)
    year_rows = _Rows(raw.filename, raw.years, excel.YEAR_COLUMNS, problems) if raw.years else None

    codes = set(file_nodes) | {r.parent for r in file_nodes.values() if r.parent}
    codes |= {y.code for y in years}
    db, db_parent = _load_nodes(codes)
    restricted = _restricted(actor)

    def visible(code: str) -> bool:
        return code in db and (not restricted or scope.can_see(actor, db[code]))

    def effective_parent(code: str) -> str | None:
        if code in file_nodes:
            return file_nodes[code].parent
        return db_parent.get(code)

    def kind_of(code: str) -> str | None:
        if code in file_nodes:
            return file_nodes[code].kind or None
        return db[code].kind if code in db else None

    broken: set[str] = {c for c, r in file_nodes.items() if r.depth == -1}

    # Parents that exist neither in the file nor (visibly) in the database.
    def parent_unchanged(code: str) -> bool:
        return code in db and file_nodes[code].parent == db_parent.get(code)

    for code, r in file_nodes.items():
        if parent_unchanged(code):
            continue
        if r.parent and r.parent not in file_nodes and not visible(r.parent):
            node_rows.add(
                r.row,
                "parent",
                (
                    _("The parent code %(code)s is neither in this file nor in your area.")
                    if restricted
                    else _("The parent code %(code)s is neither in this file nor in the system.")
                )
                % {"code": r.parent},
            )
            broken.add(code)
    # Cycles, and the depth of every row in the tree as it will be.
    reported_cycles: set[frozenset] = set()
    for code, r in file_nodes.items():
        chain = [code]
        cur = effective_parent(code)
        while cur is not None and cur not in chain:
            if cur not in file_nodes and cur not in db_parent:
                break  # a missing parent, reported above
            chain.append(cur)
            cur = effective_parent(cur)
        if cur is not None and cur in chain:
            cycle = chain[chain.index(cur) :]
            key = frozenset(cycle)
            broken.add(code)
            if key not in reported_cycles and code in cycle:
                reported_cycles.add(key)
                node_rows.add(
                    r.row,
                    "parent",
                    _("The parent codes form a loop: %(chain)s.")
                    % {"chain": " → ".join([*cycle, cycle[0]])},
                )
            continue
        r.depth = len(chain)
    # Types allowed under their parent.
    for code, r in file_nodes.items():
        if code in broken or not r.kind:
            continue
        parent_kind = kind_of(r.parent) if r.parent else None
        if r.parent and parent_kind is None:
            continue
        if not parent_allowed(r.kind, parent_kind):
            if r.parent is None:
                message = _("%(kind)s %(code)s needs a parent code: only a province has none.") % {
                    "kind": kind_label(r.kind),
                    "code": code,
                }
            else:
                message = _("A %(kind)s cannot be placed under %(parent_kind)s %(parent)s.") % {
                    "kind": kind_label(r.kind),
                    "parent_kind": kind_label(parent_kind),
                    "parent": r.parent,
                }
            node_rows.add(r.row, "kind", message)
            broken.add(code)
    retyped = [c for c, r in file_nodes.items() if c in db and r.kind and r.kind != db[c].kind]
    if retyped:
        for child in Node.objects.filter(parent__code__in=retyped).select_related("parent"):
            if child.code in file_nodes:
                continue
            new_kind = file_nodes[child.parent.code].kind
            if not parent_allowed(child.kind, new_kind):
                r = file_nodes[child.parent.code]
                node_rows.add(
                    r.row,
                    "kind",
                    _(
                        "%(code)s cannot become a %(kind)s: %(child)s (%(child_kind)s) lies under it."
                    )
                    % {
                        "code": r.code,
                        "kind": kind_label(new_kind),
                        "child": child.code,
                        "child_kind": kind_label(child.kind),
                    },
                )
                broken.add(r.code)
    # Scope: the importing user may only change units in their own area.
    if restricted:
        for code, r in file_nodes.items():
            if code in db and not _can_manage(actor, db[code]):
                node_rows.add(
                    r.row,
                    "code",
                    _("The unit %(code)s is outside your area; you cannot change it.")
                    % {"code": code},
                )
                broken.add(code)
                continue
            if code in broken or parent_unchanged(code):
                continue
            anchor = r.parent
            while anchor is not None and anchor in file_nodes:
                anchor = file_nodes[anchor].parent
            if anchor is None or not visible(anchor) or not _can_manage(actor, db[anchor]):
                node_rows.add(
                    r.row,
                    "parent",
                    _("The unit %(code)s would be placed outside your area.") % {"code": code},
                )
                broken.add(code)
    # Yearly rows: their unit must be in the file or in the user's area.
    for y in years:
        if y.code in file_nodes:
            continue
        if not visible(y.code):
            year_rows.add(
                y.row,
                "code",
                _("The code %(code)s is neither in the sheet %(sheet)s nor in your area.")
                % {"code": y.code, "sheet": raw.nodes.name}
                if restricted
                else _("The code %(code)s is neither in the sheet %(sheet)s nor in the system.")
                % {"code": y.code, "sheet": raw.nodes.name},
            )
        elif not _can_manage(actor, db[y.code]):
            year_rows.add(
                y.row,
                "code",
                _("The unit %(code)s is outside your area; you cannot change it.")
                % {"code": y.code},
            )
    if problems:
        problems.sort(key=_problem_order(raw.nodes.name))
        raise ValidationFailed(problems)
    plan = ImportPlan(filename=filename)
    plan.nodes = sorted(file_nodes.values(), key=lambda r: (r.depth, r.row))
    plan.years = years
    return plan
