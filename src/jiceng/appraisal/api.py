"""API: appraisals and their results, what the ranking and score-sheet pages show.

``GET /appraisal/appraisals`` lists the appraisals the user sees; ``GET
/appraisal/appraisals/{pk}/results`` pages the ranking rows of units in the user's sight
(score, rank, grade, amount and every item's value, points and flags, and a manual item's
evidence files), the same :func:`jiceng.appraisal.results.results_of` the pages read. ``GET
/appraisal/bad-practice`` pages the bad-practice points in sight with their evidence files.

Files are listed read-only (name, type, size, and ``url``: the download of the web pages,
which is audited and answers 404 outside the user's sight).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from ninja import Router, Schema
from ninja.pagination import paginate

from jiceng.api.pagination import Pages, Rows
from jiceng.appraisal import queries, results
from jiceng.appraisal.models import ManualValue

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


class FileOut(Schema):
    name: str
    kind: str
    size: int
    url: str


class ItemOut(Schema):
    value: str
    points: str | None
    flags: list[str]
    files: list[FileOut] = []


class BadPracticeOut(Schema):
    id: int
    institution: str
    name: str
    date: dt.date
    rule: str
    points: str
    evidence: str
    files: list[FileOut]


def file_out(f) -> dict:
    """An evidence file as the API lists it."""
    return {
        "name": f.name,
        "kind": f.kind,
        "size": f.size,
        "url": reverse("appraisal:evidence", args=[f.pk]),
    }


def manual_files(appraisal) -> dict[tuple[str, str], list[dict]]:
    """The evidence files of the appraisal's manual values by (unit code, item), one query."""
    out: dict[tuple[str, str], list[dict]] = {}
    links = (
        ManualValue.files.through.objects.filter(manualvalue__appraisal=appraisal)
        .select_related("evidencefile", "manualvalue__unit")
        .order_by("evidencefile_id")
    )
    for link in links:
        m = link.manualvalue
        out.setdefault((m.unit.code, m.item), []).append(file_out(link.evidencefile))
    return out


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
    files = manual_files(appraisal)
    return [
        {
            "unit": r.unit,
            "name": r.name,
            "score": r.score,
            "rank": r.rank,
            "grade": r.grade,
            "population": r.population,
            "amount": r.amount,
            "items": {
                c: {**vars(i), "files": files.get((r.unit, c), [])} for c, i in r.items.items()
            },
        }
        for r in rows
        if r.unit in seen
    ]


@router.get("/bad-practice", response=list[BadPracticeOut], summary="Bad-practice points in sight")
@paginate(Pages)
def bad_practice(request, institution: str = ""):
    rows = queries.visible_bad_practice(request.user).prefetch_related("files")
    if institution:
        rows = rows.filter(institution__code=institution)
    return Rows(rows, _bad_practice_out)


def _bad_practice_out(b) -> dict:
    return {
        "id": b.pk,
        "institution": b.institution.code,
        "name": b.institution.name,
        "date": b.date,
        "rule": b.rule,
        "points": str(b.points),
        "evidence": b.evidence,
        "files": [file_out(f) for f in b.files.all()],
    }
