"""API: data values in the spirit of DHIS2's dataValueSets.

``GET /datavalues?dataset=&org=&period=`` pages the values of a unit's subtree within a
period; ``POST /datavalues`` writes a batch, all or nothing, through the same action as the
entry form (scope, locks, value checks, audit). Writing needs an administrator over the units.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from jiceng.aggregates.batch import Row, save_rows
from jiceng.aggregates.models import DataValue
from jiceng.api.fields import model_text
from jiceng.api.pagination import Pages, Rows
from jiceng.core import scope
from jiceng.core.errors import UserError
from jiceng.datasets import parse_period
from jiceng.datasets.periods import MONTHS_IN
from jiceng.orgs.models import Node

router = Router(tags=["datavalues"])


class ValueOut(Schema):
    dataset: str
    org_code: str
    period: str
    element: str
    option: str
    value: str


class ValueIn(Schema):
    org_code: str = model_text(Node, "code")
    period: str = Field(..., max_length=8)
    element: str = model_text(DataValue, "element")
    option: str = model_text(DataValue, "option", "")
    value: str = Field("", max_length=1000, description="empty: delete the value")


class ValueSetIn(Schema):
    dataset: str = Field(..., max_length=64)
    values: list[ValueIn] = Field(..., max_length=10000)
    set_aside: bool = Field(
        False,
        description="save the good values and return the bad ones under `rejects` "
        "(default: all or nothing, 422 on any problem)",
    )


class RejectOut(Schema):
    row: int = Field(..., description="the index of the value in `values`")
    org_code: str
    period: str
    element: str
    option: str
    value: str
    problem: str = Field(..., description="问题: the column and the reason, in Chinese")


class SavedOut(Schema):
    values: int
    forms: int
    rejected: int = 0
    rejects: list[RejectOut] = []


def _periods_within(text: str) -> list[str]:
    try:
        p = parse_period(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return [q.label for t in MONTHS_IN if MONTHS_IN[t] <= p.months for q in p.periods(t)]


@router.get("", response=list[ValueOut], summary="Data values of a subtree within a period")
@paginate(Pages)
def list_values(request, dataset: str, org: str, period: str):
    node = scope.access_node(request.user, org, scope.Action.VIEW)
    qs = (
        DataValue.objects.filter(
            dataset__code=dataset,
            node__path__startswith=node.path,
            period__in=_periods_within(period),
        )
        .select_related("dataset", "node")
        .order_by("node__path", "period", "element", "option")
    )
    return Rows(
        qs,
        lambda v: ValueOut(
            dataset=v.dataset.code,
            org_code=v.node.code,
            period=v.period,
            element=v.element,
            option=v.option,
            value=v.value,
        ),
    )


@router.post("", response=SavedOut, summary="Write a batch of data values (all or nothing)")
def post_values(request, body: ValueSetIn):
    if not body.values:
        raise UserError(_("No values were sent."))
    rows = [
        Row(i, v.org_code, v.period, v.element, v.option, v.value)
        for i, v in enumerate(body.values)
    ]
    done = save_rows(request.user, body.dataset, rows, set_aside=body.set_aside)
    done["rejects"] = [
        RejectOut(
            row=r.row,
            org_code=r.org_code,
            period=r.period,
            element=r.element,
            option=r.option,
            value=r.value,
            problem="；".join(f"{p.column}列：{p.message}" for p in problems),
        )
        for r, problems in done["rejects"]
    ]
    return done
