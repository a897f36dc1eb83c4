"""API: indicator definitions, values per node and period, region tables, targets, record sets.

Every answer is limited to the caller's part of the tree (``core.scope``): a node outside
it is 404, a write the caller may not do is 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from jiceng.api.fields import model_int, model_text
from jiceng.api.pagination import Pages, Rows, page_of
from jiceng.core import scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.indicators import actions, jobs, queries
from jiceng.indicators.models import RecordSet, Target
from jiceng.indicators.views_recordsets import visible_record_sets
from jiceng.orgs.models import Node

router = Router(tags=["indicators"])


def _period(node: Node, period: str | None) -> str:
    if not period:
        label = queries.latest_year_period(node)
        if label is None:
            raise UserError(
                _("%(name)s (%(code)s) has no indicator values yet.")
                % {"name": node.name, "code": node.code}
            )
        return label
    try:
        return queries.parse(period).label
    except ValueError as e:
        raise ValidationFailed([Problem(str(e), field="period")]) from e


class DefinitionOut(Schema):
    code: str
    name: str
    group: str = ""


@router.get("/definitions", response=list[DefinitionOut], summary="Indicator definitions")
def definitions(request):
    return [{"code": d.code, "name": d.name, "group": d.group} for d in queries.definitions()]


class ValueOut(Schema):
    indicator: str
    name: str
    group: str = Field("", description="the group of the national service specification")
    numerator: float | None
    denominator: float | None
    denominator_estimated: bool = Field(
        False, description="the denominator is an estimate (patients from a prevalence)"
    )
    value: float | None
    previous: float | None
    change_pp: float | None
    target: float | None
    comparison: str | None
    met: bool | None


class CoverageOut(Schema):
    units: int = Field(description="units below of the kind of the summed regions")
    with_data: list[str] = Field(description="codes of those units with data")
    without_data: list[str] = Field(description="codes of those units without data")


class NodeValuesOut(Schema):
    node: str
    name: str
    period: str
    previous_period: str
    record_set: str | None
    definition_version: str
    coverage: CoverageOut | None = Field(
        None, description="set when the figures are sums of the regions below the node"
    )
    values: list[ValueOut]


@router.get(
    "/values/{code}",
    response=NodeValuesOut,
    summary="Indicators of one node for a period (value and target as fractions)",
)
def node_values(request, code: str, period: str | None = None):
    node = scope.access_node(request.user, code)
    data = queries.node_indicators(node, _period(node, period))
    return {
        "node": node.code,
        "name": node.name,
        "period": data.period,
        "previous_period": data.previous_period,
        "record_set": data.record_set.name if data.record_set else None,
        "definition_version": data.definition_version,
        "coverage": data.coverage.as_dict() if data.coverage else None,
        "values": [r.as_dict() for r in data.rows],
    }


class TableRowOut(Schema):
    node: str
    name: str
    values: list[ValueOut]


class TableOut(Schema):
    node: str
    period: str
    level: str
    sort: str
    total: TableRowOut | None = Field(description="the region's own row (all pages)")
    coverage: CoverageOut | None = Field(
        None, description="set when the region's own row sums the regions below it"
    )
    count: int = Field(description="rows of the table on all pages")
    items: list[TableRowOut] = Field(description="the rows of this page")


def _row_out(row: queries.TableRow) -> dict:
    return {
        "node": row.node.code,
        "name": row.node.name,
        "values": [c.as_dict() for c in row.cells.values()],
    }


@router.get(
    "/table/{code}", response=TableOut, summary="Region table: nodes below, indicators (paged)"
)
def region_table(
    request,
    code: str,
    pages: Query[Pages.Input],
    period: str | None = None,
    level: str = "children",
    sort: str = "code",
):
    node = scope.access_node(request.user, code)
    if level not in queries.levels_below(node):
        raise ValidationFailed(
            [
                Problem(
                    _("Unknown level %(level)s; choose one of: %(levels)s")
                    % {"level": level, "levels": ", ".join(queries.levels_below(node))},
                    field="level",
                )
            ]
        )
    table = queries.region_table(node, _period(node, period), level, sort)
    page = page_of(table.rows, pages, request)
    return {
        "node": node.code,
        "period": table.period,
        "level": table.level,
        "sort": table.sort,
        "total": _row_out(table.total) if table.total else None,
        "coverage": table.coverage.as_dict() if table.coverage else None,
        "count": page["count"],
        "items": [_row_out(r) for r in page["items"]],
    }


class TargetOut(Schema):
    id: int
    indicator: str
    node: str
    node_name: str
    year: int
    threshold: float  # a fraction: 0.6 = 60%
    comparison: str
    note: str


class TargetIn(Schema):
    indicator: str = model_text(Target, "indicator")
    node: str = model_text(Node, "code")
    year: int = model_int(Target, "year")
    threshold_percent: Decimal  # 0–100, checked by the action with the other fields
    comparison: str = model_text(Target, "comparison", "ge")
    note: str = model_text(Target, "note", "")


def _target_out(t: Target) -> dict:
    return {
        "id": t.pk,
        "indicator": t.indicator,
        "node": t.node.code,
        "node_name": t.node.name,
        "year": t.year,
        "threshold": float(t.threshold),
        "comparison": t.comparison,
        "note": t.note,
    }


@router.get("/targets", response=list[TargetOut], summary="Targets in the caller's region")
@paginate(Pages)
def list_targets(request, year: int | None = None, node: str | None = None):
    qs = scope.filter_by_node(request.user, Target.objects.select_related("node"))
    if year:
        qs = qs.filter(year=year)
    if node:
        qs = qs.filter(node__code=node)
    return Rows(qs.order_by("-year", "node__path", "indicator", "id"), _target_out)


@router.post("/targets", response={201: TargetOut}, summary="Set (create or replace) a target")
def set_target(request, body: TargetIn):
    node = scope.access_node(request.user, body.node, scope.Action.MANAGE_CATALOGS)
    t = actions.do_set_target(
        request.user,
        indicator=body.indicator,
        node=node,
        year=body.year,
        threshold_percent=body.threshold_percent,
        comparison=body.comparison,
        note=body.note,
    )
    return Status(201, _target_out(t))


@router.delete("/targets/{target_id}", response={204: None}, summary="Delete a target")
def delete_target(request, target_id: int):
    qs = scope.filter_by_node(request.user, Target.objects.select_related("node"))
    t = get_object_or_404(qs, pk=target_id)
    actions.do_delete_target(request.user, t)
    return Status(204, None)


class RecordSetOut(Schema):
    id: int
    name: str
    node: str | None
    status: str
    row_counts: dict
    rejected_rows: int
    loaded_at: dt.datetime | None
    progress: dict
    problems: list


def _rs_out(rs: RecordSet) -> dict:
    return {
        "id": rs.pk,
        "name": rs.name,
        "node": rs.node.code if rs.node_id else None,
        "status": rs.status,
        "row_counts": rs.row_counts,
        "rejected_rows": rs.rejected_rows,
        "loaded_at": rs.loaded_at,
        "progress": rs.progress,
        "problems": rs.problems,
    }


@router.get(
    "/recordsets",
    response=list[RecordSetOut],
    summary="Record sets and their status (those the caller manages: administrators)",
)
@paginate(Pages)
def list_record_sets(request):
    user = request.user
    sets = visible_record_sets(user).order_by("-id")
    root = scope.scope_root(user)
    # Every visible set lies in the caller's area, so _manages() is the caller's role there.
    if not scope.is_global(user) and (
        root is None or not scope.can(user, scope.Action.MANAGE_CATALOGS, root)
    ):
        sets = sets.none()
    return Rows(sets, lambda rs: _rs_out(jobs.check(rs)))


def _manages(user, rs: RecordSet) -> bool:
    if rs.node is None:
        return scope.is_global(user)
    return scope.can(user, scope.Action.MANAGE_CATALOGS, rs.node)


def _managed(request, rs_id: int) -> RecordSet:
    """The record set ``rs_id`` if the caller manages it: 404 out of sight, 403 otherwise."""
    rs = get_object_or_404(visible_record_sets(request.user), pk=rs_id)
    if not _manages(request.user, rs):
        raise PermissionDenied
    return rs


@router.get("/recordsets/{rs_id}", response=RecordSetOut, summary="One record set's status")
def record_set(request, rs_id: int):
    rs = _managed(request, rs_id)
    return _rs_out(jobs.check(rs))


@router.post(
    "/recordsets/{rs_id}/retry",
    response={202: RecordSetOut},
    summary="Queue again a load interrupted by a dead worker, or a failed computation",
)
def retry_record_set(request, rs_id: int):
    rs = _managed(request, rs_id)
    jobs.retry(request.user, jobs.check(rs))
    rs.refresh_from_db()
    return Status(202, _rs_out(rs))


@router.delete(
    "/recordsets/{rs_id}",
    response={204: None},
    summary="Withdraw a record set: delete it with its values and files (any status)",
)
def delete_record_set(request, rs_id: int):
    rs = _managed(request, rs_id)
    actions.do_delete_record_set(request.user, rs)
    return Status(204, None)
