"""API: appraisals and their results, what the ranking and score-sheet pages show.

``GET /appraisal/appraisals`` lists the appraisals the user sees; ``GET
/appraisal/appraisals/{pk}/results`` pages the ranking rows of units in the user's sight
(score, rank, grade, amount and every item's value, points and flags), the same
:func:`jiceng.appraisal.results.results_of` the pages read.
"""

from __future__ import annotations

from ninja import Router, Schema
from ninja.pagination import paginate

from jiceng.api.pagination import Pages
from jiceng.appraisal import queries, results

router = Router(tags=["appraisal"])


class AppraisalOut(Schema):
    id: int
    scheme: str
    scheme_version: str
    title: str
    region: str
    year: int
    number: int
    status: str


class ItemOut(Schema):
    value: str
    points: str | None
    flags: list[str]


class RowOut(Schema):
    unit: str
    name: str
    score: str | None
    rank: int | None
    grade: str | None
    population: int | None
    amount: str | None
    items: dict[str, ItemOut]


@router.get("/appraisals", response=list[AppraisalOut], summary="Appraisals in sight")
@paginate(Pages)
def list_appraisals(request):
    return [
        {
            "id": a.pk,
            "scheme": a.scheme.code,
            "scheme_version": a.scheme.version,
            "title": a.scheme.title,
            "region": a.region.code,
            "year": a.year,
            "number": a.number,
            "status": a.status,
        }
        for a in queries.visible_appraisals(request.user).order_by(
            "-year", "region__path", "scheme__code", "-number"
        )
    ]


@router.get(
    "/appraisals/{pk}/results", response=list[RowOut], summary="Ranking rows of an appraisal"
)
@paginate(Pages)
def appraisal_results(request, pk: int):
    appraisal = queries.get_appraisal(request.user, pk)
    table = results.results_for(request, appraisal)
    rows = results.sorted_rows(table, "rank")
    seen = {r.unit for r in queries.rows_seen(request.user, table.units)}
    return [
        {
            "unit": r.unit,
            "name": r.name,
            "score": r.score,
            "rank": r.rank,
            "grade": r.grade,
            "population": r.population,
            "amount": r.amount,
            "items": {c: vars(i) for c, i in r.items.items()},
        }
        for r in rows
        if r.unit in seen
    ]
