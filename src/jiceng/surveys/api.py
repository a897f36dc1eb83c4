"""API: satisfaction rates, as the rates page shows them.

``GET /surveys/rates/{code}?kind=&period=`` answers the unit's rate and a page of the units
below it, each with the previous period's and the same quarter last year's rates and the
changes in percentage points (``docs/surveys.md``).
"""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router, Schema

from jiceng.api.pagination import Pages, page_of
from jiceng.core import scope
from jiceng.surveys import queries
from jiceng.surveys.questionnaire import kind_code

router = Router(tags=["surveys"])


class RateOut(Schema):
    org_code: str
    name: str
    answered: int
    satisfied: int
    rate: float | None  # percent, one decimal
    previous: float | None
    change_previous: float | None  # percentage points
    last_year: float | None
    change_last_year: float | None


class RatesOut(Schema):
    org_code: str
    kind: str
    period: str
    previous_period: str
    last_year_period: str | None
    total: RateOut
    count: int
    items: list[RateOut]


def _f(value) -> float | None:
    return None if value is None else float(value)


def _out(r: queries.RateRow) -> dict:
    return {
        "org_code": r.node.code,
        "name": r.node.name,
        "answered": r.answered,
        "satisfied": r.satisfied,
        "rate": _f(r.rate),
        "previous": _f(r.previous),
        "change_previous": _f(r.change_previous),
        "last_year": _f(r.last_year),
        "change_last_year": _f(r.change_last_year),
    }


@router.get(
    "/rates/{code}", response=RatesOut, summary="Satisfaction rates of a unit and the units below"
)
def rates(
    request, code: str, pages: Query[Pages.Input], kind: str = "outpatient", period: str = ""
):
    node = scope.access_node(request.user, code)
    p = queries.survey_period(period or queries.last_quarter(timezone.localdate()))
    kind = kind_code(kind) or kind  # an unknown kind is refused in Chinese below
    page = page_of(node.children.order_by("path"), pages, request)
    rows = queries.rate_rows(node, kind, p, list(page["items"]))
    cmp = queries.comparison(p)
    return {
        "org_code": node.code,
        "kind": kind,
        "period": p.label,
        "previous_period": cmp.previous.label,
        "last_year_period": cmp.last_year.label if cmp.last_year else None,
        "total": _out(rows[0]),
        "count": page["count"],
        "items": [_out(r) for r in rows[1:]],
    }
