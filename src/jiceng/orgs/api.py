"""API: the organisation tree, limited to the caller's subtree.

A unit outside the caller's area is 404 (its existence is not revealed); a visible unit
on which the caller may not act is 403. Writes go through the audited actions.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import ConfigDict

from jiceng.api.fields import model_text
from jiceng.api.pagination import Pages, Rows
from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.orgs import excel, queries
from jiceng.orgs.actions import (
    do_close_node,
    do_create_node,
    do_import_tree,
    do_set_year,
    do_update_node,
)
from jiceng.orgs.importer import YEAR_RANGE, figure_problems, plan_import
from jiceng.orgs.models import Kind, Node, NodeEvent, NodeYear

router = Router(tags=["orgs"])


class NodeOut(Schema):
    code: str
    name: str
    kind: Kind
    kind_label: str
    parent_code: str | None
    depth: int
    is_institution: bool
    opened: dt.date | None
    closed: dt.date | None
    address: str
    successor_code: str | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_successor_code(obj) -> str | None:
        return obj.successor.code if obj.successor_id else None

    @staticmethod
    def of(node: Node) -> "NodeOut":
        return NodeOut.from_orm(node)


class Figures(Schema):
    permanent_residents: int | None = Field(None, ge=0, le=2_147_483_647)
    residents_65_plus: int | None = Field(None, ge=0, le=2_147_483_647)
    children_0_6: int | None = Field(None, ge=0, le=2_147_483_647)
    adults_18_plus: int | None = Field(None, ge=0, le=2_147_483_647)
    key_population: int | None = Field(None, ge=0, le=2_147_483_647)
    beds: int | None = Field(None, ge=0, le=2_147_483_647)
    doctors: int | None = Field(None, ge=0, le=2_147_483_647)
    general_practitioners: int | None = Field(None, ge=0, le=2_147_483_647)
    nurses: int | None = Field(None, ge=0, le=2_147_483_647)
    fd_teams: int | None = Field(None, ge=0, le=2_147_483_647)


class YearOut(Figures):
    year: int
    summed: bool = Field(description="true when the figures are sums over the subtree")


class EventOut(Schema):
    date: dt.date
    kind: str
    kind_label: str
    old_parent_code: str | None
    new_parent_code: str | None
    other_code: str | None
    old_name: str
    new_name: str
    note: str


class NodeIn(Schema):
    model_config = ConfigDict(str_strip_whitespace=True)

    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_.\-]+$")
    name: str = Field(..., min_length=1, max_length=128)
    kind: Kind
    parent_code: str | None = model_text(Node, "code", None)
    opened: dt.date | None = None
    closed: dt.date | None = None
    address: str = Field("", max_length=255)


class NodePatch(Schema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=128)
    kind: Kind | None = None
    parent_code: str | None = model_text(
        Node, "code", None, description="move the unit under this one"
    )
    opened: dt.date | None = None
    closed: dt.date | None = None
    address: str | None = Field(None, max_length=255)
    date: dt.date | None = Field(None, description="date of the rename or move (default today)")


class ImportOut(Schema):
    dry_run: bool
    created: int
    updated: int
    moved: int
    renamed: int
    unchanged: int
    years_written: int
    years_unchanged: int


class NodeFilters(Schema):
    q: str | None = Field(None, description="part of a code or name")
    kind: Kind | None = None
    parent: str | None = Field(None, description="only the direct children of this code")
    root: str | None = Field(None, description="only this unit and what lies below it")


def _nodes(qs):
    return qs.select_related("parent", "successor").order_by("path")


@router.get("", response=list[NodeOut], summary="Units the caller can see")
@paginate(Pages)
def list_nodes(request, filters: Query[NodeFilters]):
    user = request.user
    nodes = scope.visible_nodes(user)
    if filters.root:
        root = scope.access_node(user, filters.root)
        nodes = nodes.filter(path__startswith=root.path)
    if filters.parent:
        parent = scope.access_node(user, filters.parent)
        nodes = nodes.filter(parent=parent)
    if filters.kind:
        nodes = nodes.filter(kind=filters.kind)
    if filters.q:
        nodes = queries.search(nodes, filters.q)
    return _nodes(nodes)


@router.get("/export", summary="The caller's tree as an .xlsx in the import template")
def export(request, root: str | None = None, year: int | None = None):
    user = request.user
    nodes = scope.visible_nodes(user)
    top = scope.access_node(user, root) if root else scope.scope_root(user)
    if top is not None:
        scope.require(user, scope.Action.MANAGE_TREE, top)
        nodes = nodes.filter(path__startswith=top.path)
    elif not scope.is_global(user):
        raise PermissionDenied("no area")
    data = queries.export_workbook(nodes, year)
    audit.record_download(user, "tree_export", top, details={"year": year})
    response = HttpResponse(data, content_type=excel.XLSX_CONTENT_TYPE)
    name = top.code if top else "orgs"
    response["Content-Disposition"] = f'attachment; filename="{name}-{excel.today_stamp()}.xlsx"'
    return response


@router.post(
    "/import",
    response={200: ImportOut},
    summary="Import an .xlsx in the import template (all or nothing; 422 lists the problems)",
)
def import_file(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    user = request.user
    if not scope.is_global(user):
        root = scope.scope_root(user)
        if root is None or not scope.can(user, scope.Action.MANAGE_TREE, root):
            raise PermissionDenied("only administrators import the tree")
    limit = settings.JICENG_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationFailed(
            [
                Problem(
                    _("The file is larger than %(mb)s MB.")
                    % {"mb": round(limit / (1024 * 1024), 1)},
                    file=file.name or "",
                )
            ]
        )
    plan = plan_import(file.read(), file.name or "upload.xlsx", actor=user)
    result = do_import_tree(user, plan, dry_run=dry_run)
    return ImportOut(dry_run=dry_run, **result.__dict__)


@router.get("/{code}", response=NodeOut, summary="One unit")
def get_node(request, code: str):
    return NodeOut.of(scope.access_node(request.user, code))


@router.get("/{code}/children", response=list[NodeOut], summary="The units directly below")
@paginate(Pages)
def children(request, code: str):
    node = scope.access_node(request.user, code)
    return _nodes(node.children.all())


@router.get(
    "/{code}/years",
    response=list[YearOut],
    summary="Yearly figures: the unit's own for an institution, subtree sums for a division",
)
def years(request, code: str, year: int | None = None):
    node = scope.access_node(request.user, code)
    wanted = (
        NodeYear.objects.filter(node__path__startswith=node.path)
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    if year is not None:
        wanted = wanted.filter(year=year)
    out = []
    for y in wanted:
        if node.is_institution:
            own = NodeYear.objects.filter(node=node, year=y).first()
            figures = {f: getattr(own, f) if own else None for f in NodeYear.FIGURES}
        else:
            figures = queries.population(node, y)
        out.append(YearOut(year=y, summed=not node.is_institution, **figures))
    return out


def _event_out(e: NodeEvent) -> EventOut:
    return EventOut(
        date=e.date,
        kind=e.kind,
        kind_label=str(e.get_kind_display()),
        old_parent_code=e.old_parent.code if e.old_parent else None,
        new_parent_code=e.new_parent.code if e.new_parent else None,
        other_code=e.other.code if e.other else None,
        old_name=e.old_name,
        new_name=e.new_name,
        note=e.note,
    )


@router.get("/{code}/history", response=list[EventOut], summary="Creation, renames, moves…")
@paginate(Pages)
def history(request, code: str):
    node = scope.access_node(request.user, code)
    events = NodeEvent.objects.filter(node=node).select_related("old_parent", "new_parent", "other")
    return Rows(events.order_by("date", "id"), _event_out)


def _manageable_parent(user, code: str | None) -> Node | None:
    if code is None:
        if not scope.is_global(user):
            raise PermissionDenied("only global administrators create roots")
        return None
    return scope.access_node(user, code, scope.Action.MANAGE_TREE)


@router.post("", response={201: NodeOut}, summary="Create a unit (administrators)")
def create_node(request, payload: NodeIn):
    user = request.user
    parent = _manageable_parent(user, payload.parent_code)
    if payload.opened and payload.closed and payload.closed < payload.opened:
        raise UserError(_("The closing date is before the opening date."))
    node = do_create_node(
        user,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        parent=parent,
        opened=payload.opened,
        closed=payload.closed,
        address=payload.address,
    )
    node.refresh_from_db()
    return Status(201, NodeOut.of(node))


@router.patch("/{code}", response=NodeOut, summary="Rename, re-date, re-type or move a unit")
def update_node(request, code: str, payload: NodePatch):
    user = request.user
    node = scope.access_node(user, code, scope.Action.MANAGE_TREE)
    data = payload.dict(exclude_unset=True)
    date = data.pop("date", None)
    changes = {k: v for k, v in data.items() if k != "parent_code"}
    if "kind" in changes and changes["kind"] is None:
        raise UserError(_("The type cannot be empty."))
    if "name" in changes and not changes["name"]:
        raise UserError(_("The name cannot be empty."))
    if "address" in changes and changes["address"] is None:
        changes["address"] = ""
    if "parent_code" in data:
        changes["parent"] = _manageable_parent(user, data["parent_code"])
    opened = changes.get("opened", node.opened)
    closed = changes.get("closed", node.closed)
    if opened and closed and closed < opened:
        raise UserError(_("The closing date is before the opening date."))
    closing = node.closed is None and changes.get("closed") is not None
    if closing:
        closed_on = changes.pop("closed")
    if changes:
        node = do_update_node(user, node, date=date, **changes)
    if closing:
        node = do_close_node(user, node, date=closed_on)
    node = Node.objects.select_related("parent", "successor").get(pk=node.pk)
    return NodeOut.of(node)


@router.put("/{code}/years/{year}", response=YearOut, summary="Set a unit's figures for a year")
def put_year(request, code: str, year: int, payload: Figures):
    user = request.user
    node = scope.access_node(user, code, scope.Action.MANAGE_TREE)
    if not (YEAR_RANGE[0] <= year <= YEAR_RANGE[1]):
        raise UserError(
            _("The year %(year)s is not between %(low)s and %(high)s.")
            % {"year": year, "low": YEAR_RANGE[0], "high": YEAR_RANGE[1]}
        )
    figures = payload.dict()
    problems = figure_problems(figures)
    if problems:
        raise ValidationFailed([Problem(message, field=field) for field, message in problems])
    row = do_set_year(user, node, year, **figures)
    return YearOut(year=row.year, summed=False, **{f: getattr(row, f) for f in NodeYear.FIGURES})
