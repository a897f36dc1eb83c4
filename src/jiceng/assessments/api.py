"""API of the evaluation cycle at ``/api/v1/evaluation/``.

Every answer is limited to the caller's part of the tree: what lies outside is 404, an
action the caller may not take is 403, bad input is 422 naming the item or field, and a
form saved by someone else since it was read (``version``) is 409 with nothing changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from jiceng.api.fields import model_int, model_text
from jiceng.api.pagination import Pages, Rows, page_of
from jiceng.assessments import actions, queries
from jiceng.assessments.consistency import group_consistency, institution_consistency
from jiceng.assessments.models import (
    Cycle,
    CycleCatalog,
    Finding,
    Grade,
    Level,
    LookBack,
    Publication,
    Stage,
    Submission,
    VerdictRecord,
)
from jiceng.core import scope
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.orgs.models import Node
from jiceng.standards.models import Catalog

router = Router(tags=["evaluation"])

ItemCode = Annotated[str, model_text(Grade, "item_code")]
KindCode = Annotated[str, model_text(CycleCatalog, "kind")]
CatalogId = Annotated[int, model_int(Catalog, "id")]


class Detail(Schema):
    detail: str


class CycleOut(Schema):
    id: int
    year: int
    title: str
    region_code: str
    region_name: str
    self_deadline: dt.date | None
    county_deadline: dt.date | None
    recheck_deadline: dt.date | None
    validity_years: int
    catalogs: dict[str, str]


class CycleIn(Schema):
    region: str = model_text(Node, "code")
    year: int = model_int(Cycle, "year")
    title: str = model_text(Cycle, "title", "")
    self_deadline: dt.date | None = None
    county_deadline: dt.date | None = None
    recheck_deadline: dt.date | None = None
    validity_years: int = model_int(Cycle, "validity_years", 3)
    catalogs: dict[KindCode, CatalogId] = {}


class SubmissionOut(Schema):
    id: int
    cycle_id: int
    year: int
    institution_code: str
    institution_name: str
    catalog: str
    stage: str
    version: int = model_int(Submission, "version")
    self_locked: bool
    county_locked: bool
    recheck_locked: bool
    recheck_required: bool
    recheck_sampled: bool
    self_verdict: str
    county_verdict: str
    recheck_verdict: str
    final_level: str
    submitted_late: bool = Field(
        description="The self-assessment was submitted after the cycle's deadline (accepted)."
    )


class GradeOut(Schema):
    item_code: str
    grade: str
    remark: str


class GradesOut(Schema):
    submission_id: int
    level: str
    version: int = model_int(Submission, "version")
    grades: list[GradeOut]
    missing: list[str]


class GradesIn(Schema):
    level: str = model_text(Grade, "level")
    version: int = model_int(Submission, "version")
    grades: dict[ItemCode, Annotated[str, model_text(Grade, "grade")]] = {}
    remarks: dict[ItemCode, Annotated[str, model_text(Grade, "remark")]] = {}


class VersionIn(Schema):
    version: int = model_int(Submission, "version")


class ReturnIn(Schema):
    version: int = model_int(Submission, "version")
    comment: str = model_text(Finding, "text")


class PassIn(Schema):
    version: int = model_int(Submission, "version")
    finding: str = model_text(Finding, "text", "")


class AdoptIn(Schema):
    level: str = Field(max_length=16, description="county or recheck: the reviewer's level")
    chapter: str = Field(
        "", max_length=32, description="a chapter code; empty: every item of the catalog"
    )
    version: int = model_int(Submission, "version")


class ReopenIn(Schema):
    version: int = model_int(Submission, "version")
    level: str = model_text(Grade, "level")
    reason: str = model_text(AuditEvent, "reason")


class SampleIn(Schema):
    submission_ids: list[Annotated[int, model_int(Submission, "id")]]


class PublishIn(Schema):
    region: str = model_text(Node, "code")
    year: int = model_int(Publication, "year")
    note: str = model_text(Publication, "note", "")


class LookBackIn(Schema):
    outcome: str = model_text(LookBack, "outcome")
    reason: str = model_text(LookBack, "reason")
    date: dt.date | None = None


class PublicationRowOut(Schema):
    institution_code: str
    institution_name: str
    county: str
    kind: str
    verdict: str
    level: str
    status: str
    valid_until: dt.date


class PublicationOut(Schema):
    region_code: str
    year: int
    published: bool
    total: int
    headline: list[dict[str, Any]]
    sentence: str
    by_county: list[dict[str, Any]]
    by_kind: list[dict[str, Any]]
    count: int
    items: list[PublicationRowOut]


class LateOut(Schema):
    submission_id: int
    institution_code: str
    stage: str
    reason: str


class ProgressOut(Schema):
    region_code: str
    year: int
    stages: list[str]
    rows: list[dict[str, Any]] = Field(description="one per county: counts per stage")
    count: int = Field(description="late submissions on all pages")
    items: list[LateOut] = Field(description="the late submissions of this page")


class RecordOut(Schema):
    id: int
    institution_code: str
    institution_name: str
    year: int
    level: str
    verdict: str
    label: str
    valid_from: dt.date
    valid_until: dt.date
    status: str
    reasons: dict[str, Any]
    lookbacks: list[dict[str, Any]]


def _cycle_out(c) -> dict:
    return {
        "id": c.pk,
        "year": c.year,
        "title": c.title,
        "region_code": c.region.code,
        "region_name": c.region.name,
        "self_deadline": c.self_deadline,
        "county_deadline": c.county_deadline,
        "recheck_deadline": c.recheck_deadline,
        "validity_years": c.validity_years,
        "catalogs": {cc.kind: str(cc.catalog) for cc in c.catalogs.all()},
    }


def _sub_out(s: Submission, user) -> dict:
    facts = queries.submission_facts(user, s)
    return {
        "id": s.pk,
        "cycle_id": s.cycle_id,
        "year": s.cycle.year,
        "institution_code": s.institution.code,
        "institution_name": s.institution.name,
        "catalog": str(s.catalog),
        "stage": s.stage,
        "version": s.version,
        "self_locked": s.self_locked,
        "county_locked": s.county_locked,
        "recheck_locked": s.recheck_locked,
        "recheck_required": s.recheck_required,
        "recheck_sampled": s.recheck_sampled,
        "self_verdict": facts["verdicts"]["self"],
        "county_verdict": facts["verdicts"]["county"],
        "recheck_verdict": facts["verdicts"]["recheck"],
        "final_level": facts["final_level"],
        "submitted_late": s.submitted_late,
    }


def _record_out(r: VerdictRecord) -> dict:
    return {
        "id": r.pk,
        "institution_code": r.institution.code,
        "institution_name": r.institution.name,
        "year": r.cycle.year,
        "level": r.level,
        "verdict": r.verdict,
        "label": r.get_verdict_display(),
        "valid_from": r.valid_from,
        "valid_until": r.valid_until,
        "status": r.status,
        "reasons": r.reasons,
        "lookbacks": [
            {"date": lb.date, "outcome": lb.outcome, "reason": lb.reason}
            for lb in r.lookbacks.all()
        ],
    }


def _submission(request, pk: int) -> Submission:
    sub = get_object_or_404(
        Submission.objects.select_related("institution", "cycle", "catalog"), pk=pk
    )
    if not scope.can_see(request.user, sub.institution):
        raise Http404
    return sub


def _require_readable(user, sub: Submission, level: Level) -> None:
    if not queries.can_read_level(user, sub, level):
        raise PermissionDenied("this level is not approved yet")


def _level(raw: str) -> Level:
    try:
        return Level(raw)
    except ValueError:
        raise ValidationFailed(
            [
                Problem(
                    _("Unknown level %(l)s: use self, county or recheck.") % {"l": raw},
                    field="level",
                )
            ]
        ) from None


def _run(fn, *args, **kwargs):
    """Run an action; a stale version is a 409 answer, anything else propagates."""
    try:
        return Status(200, _sub_out(fn(*args, **kwargs), args[0]))
    except actions.StaleVersion as exc:
        return Status(409, {"detail": str(exc)})


# --- cycles ------------------------------------------------------------------------------------


def _with_catalogs(cycles):
    return cycles.prefetch_related(
        Prefetch("catalogs", queryset=CycleCatalog.objects.select_related("catalog"))
    )


@router.get("/cycles", response=list[CycleOut], summary="Cycles the caller sees")
@paginate(Pages)
def list_cycles(request):
    cycles = queries.visible_cycles(request.user).order_by("-year", "region__path", "-id")
    return Rows(_with_catalogs(cycles), _cycle_out)


@router.post("/cycles", response={201: CycleOut}, summary="Open a year's cycle for a region")
def open_cycle(request, payload: CycleIn):
    region = scope.access_node(request.user, payload.region, scope.Action.OPEN_CYCLE)
    catalogs = {}
    for kind, pk in payload.catalogs.items():
        catalog = scope.visible_catalogs(request.user, Catalog.objects.filter(pk=pk)).first()
        if catalog is None:
            raise ValidationFailed(
                [Problem(_("No catalog with id %(pk)s.") % {"pk": pk}, field=f"catalogs.{kind}")]
            )
        catalogs[kind] = catalog
    cycle = actions.do_open_cycle(
        request.user,
        region,
        payload.year,
        title=payload.title,
        catalogs=catalogs,
        self_deadline=payload.self_deadline,
        county_deadline=payload.county_deadline,
        recheck_deadline=payload.recheck_deadline,
        validity_years=payload.validity_years,
    )
    return Status(201, _cycle_out(cycle))


@router.get("/cycles/{pk}/submissions", response=list[SubmissionOut])
@paginate(Pages)
def cycle_submissions(request, pk: int, stage: str = ""):
    cycle = get_object_or_404(queries.visible_cycles(request.user), pk=pk)
    subs = queries.visible_submissions(request.user).filter(cycle=cycle)
    if stage:
        subs = subs.filter(stage=stage)
    subs = subs.select_related("county_reviewer", "rechecker").order_by("institution__path", "id")
    return Rows(subs, lambda s: _sub_out(s, request.user))


@router.post("/recheck-sample", response=list[SubmissionOut], summary="Choose a re-check sample")
def recheck_sample(request, payload: SampleIn):
    subs = [_submission(request, pk) for pk in payload.submission_ids]
    return [_sub_out(s, request.user) for s in actions.do_select_for_recheck(request.user, subs)]


# --- one submission ----------------------------------------------------------------------------


@router.get("/submissions/{pk}", response=SubmissionOut)
def submission(request, pk: int):
    return _sub_out(_submission(request, pk), request.user)


@router.get("/submissions/{pk}/grades", response=GradesOut)
def get_grades(request, pk: int, level: str = "self"):
    """Grades and remarks of one level; 403 for a review level the caller may not read yet
    (the institution under review reads a review once it is approved), as on the page."""
    sub = _submission(request, pk)
    lv = _level(level)
    _require_readable(request.user, sub, lv)
    rows = sub.grades.filter(level=lv).order_by("item_code")
    return {
        "submission_id": sub.pk,
        "level": lv.value,
        "version": sub.version,
        "grades": [{"item_code": g.item_code, "grade": g.grade, "remark": g.remark} for g in rows],
        "missing": actions.missing_items(sub, lv),
    }


@router.put("/submissions/{pk}/grades", response={200: SubmissionOut, 409: Detail})
def put_grades(request, pk: int, payload: GradesIn):
    sub = _submission(request, pk)
    return _run(
        actions.do_save_grades,
        request.user,
        sub,
        _level(payload.level),
        payload.grades,
        payload.remarks,
        version=payload.version,
    )


@router.post("/submissions/{pk}/submit", response={200: SubmissionOut, 409: Detail})
def submit(request, pk: int, payload: VersionIn):
    return _run(actions.do_submit, request.user, _submission(request, pk), version=payload.version)


@router.post("/submissions/{pk}/return", response={200: SubmissionOut, 409: Detail})
def return_(request, pk: int, payload: ReturnIn):
    sub = _submission(request, pk)
    return _run(actions.do_return, request.user, sub, payload.comment, version=payload.version)


@router.post("/submissions/{pk}/pass", response={200: SubmissionOut, 409: Detail})
def pass_county(request, pk: int, payload: PassIn):
    sub = _submission(request, pk)
    return _run(
        actions.do_pass_county, request.user, sub, version=payload.version, finding=payload.finding
    )


@router.post(
    "/submissions/{pk}/adopt-grades",
    response={200: SubmissionOut, 409: Detail},
    summary="Adopt the grades of the level before (items the reviewer has not graded yet)",
)
def adopt_grades(request, pk: int, payload: AdoptIn):
    sub = _submission(request, pk)

    def adopt(user, sub, level, chapter, *, version):
        return actions.do_adopt_grades(user, sub, level, chapter, version=version)[0]

    return _run(
        adopt, request.user, sub, _level(payload.level), payload.chapter, version=payload.version
    )


@router.post("/submissions/{pk}/complete-recheck", response={200: SubmissionOut, 409: Detail})
def complete_recheck(request, pk: int, payload: PassIn):
    sub = _submission(request, pk)
    return _run(
        actions.do_complete_recheck,
        request.user,
        sub,
        version=payload.version,
        finding=payload.finding,
    )


@router.post("/submissions/{pk}/reopen", response={200: SubmissionOut, 409: Detail})
def reopen(request, pk: int, payload: ReopenIn):
    sub = _submission(request, pk)
    return _run(
        actions.do_reopen,
        request.user,
        sub,
        _level(payload.level),
        payload.reason,
        version=payload.version,
    )


@router.get("/submissions/{pk}/verdict", summary="The verdict with its reasons")
def verdict(request, pk: int, level: str = ""):
    sub = _submission(request, pk)
    if level:
        lv = _level(level)
        _require_readable(request.user, sub, lv)
    else:
        lv = queries.shown_verdict_level(request.user, sub)
    data = queries.verdict_reasons(sub, lv)
    data.pop("raw", None)
    return data


@router.get("/submissions/{pk}/consistency")
def submission_consistency(request, pk: int):
    sub = _submission(request, pk)
    return institution_consistency(sub, queries.readable_levels(request.user, sub))


# --- publication, history, consistency ---------------------------------------------------------


def _table_out(table: dict, request, pages: Pages.Input) -> dict:
    user = request.user
    rows = [r for r in table["rows"] if scope.can_see(user, r["record"].institution)]
    page = page_of(rows, pages, request)
    return {
        "region_code": table["region"].code,
        "year": table["year"],
        "published": table["publication"] is not None,
        "total": table["total"],
        "headline": table["headline"],
        "sentence": queries.headline_sentence(table) if table["total"] else "",
        "by_county": table["by_county"],
        "by_kind": table["by_kind"],
        "count": page["count"],
        "items": [
            {
                "institution_code": r["record"].institution.code,
                "institution_name": r["record"].institution.name,
                "county": r["county"].name if r["county"] else "",
                "kind": r["record"].institution.kind,
                "verdict": r["record"].verdict,
                "level": r["record"].level,
                "status": r["record"].status,
                "valid_until": r["record"].valid_until,
            }
            for r in page["items"]
        ],
    }


@router.get(
    "/publications",
    response=PublicationOut,
    summary="The published list of a region and year, with counts (the list paged)",
)
def publication(request, region: str, year: int, pages: Query[Pages.Input]):
    node = scope.access_node(request.user, region, scope.Action.VIEW)
    return _table_out(queries.publication_table(node, year), request, pages)


@router.post(
    "/publications",
    response={201: PublicationOut},
    summary="Publish a region's list; answers the list's first page",
)
def publish(request, payload: PublishIn):
    node = scope.access_node(request.user, payload.region, scope.Action.PUBLISH)
    actions.do_publish(request.user, node, payload.year, payload.note)
    table = queries.publication_table(node, payload.year)
    return Status(201, _table_out(table, request, Pages.Input()))


@router.get("/institutions/{code}/verdicts", response=list[RecordOut])
@paginate(Pages)
def institution_verdicts(request, code: str):
    """The institution's published verdicts, newest first, with their look-backs."""
    node = scope.access_node(request.user, code, scope.Action.VIEW)
    records = (
        VerdictRecord.objects.filter(institution=node)
        .select_related("institution", "cycle")
        .prefetch_related("lookbacks")
        .order_by("-cycle__year", "-valid_from", "-id")
    )
    return Rows(records, _record_out)


@router.post("/verdicts/{pk}/lookback", response=RecordOut)
def lookback(request, pk: int, payload: LookBackIn):
    record = get_object_or_404(VerdictRecord.objects.select_related("institution", "cycle"), pk=pk)
    if not scope.can_see(request.user, record.institution):
        raise Http404
    actions.do_lookback(request.user, record, payload.outcome, payload.reason, payload.date)
    record.refresh_from_db()
    return _record_out(record)


@router.get("/consistency", summary="Agreement, kappa and surviving verdicts per county/reviewer")
def consistency(request, region: str, year: int):
    node = scope.access_node(request.user, region, scope.Action.VIEW)
    subs = list(
        queries.visible_submissions(request.user)
        .filter(cycle__year=year, institution__path__startswith=node.path)
        .select_related("county_reviewer")
    )
    county_of = queries.counties_by_path(s.institution.path for s in subs)

    def county(s):
        c = county_of[s.institution.path]
        return c.code if c else None

    def reviewer(s):
        shown = queries.submission_facts(request.user, s)["county_reviewer"]
        return shown.username if shown else None

    def readable(s):
        return queries.readable_levels(request.user, s)

    return {
        "region_code": node.code,
        "year": year,
        "per_county": group_consistency(subs, county, readable),
        "per_reviewer": group_consistency(subs, reviewer, readable),
    }


@router.get(
    "/progress",
    response=ProgressOut,
    summary="How many institutions are at each stage, and who is late (paged)",
)
def progress(request, region: str, year: int, pages: Query[Pages.Input]):
    node = scope.access_node(request.user, region, scope.Action.VIEW)
    board = queries.progress_board(request.user, node, year)
    late = page_of(board["late"], pages, request)
    return {
        "region_code": node.code,
        "year": year,
        "stages": [s for s, _label in board["stages"]],
        "rows": [
            {
                "county_code": r["county"].code if r["county"] else "",
                "county_name": r["county"].name if r["county"] else "",
                "counts": dict(zip([s for s, _ in board["stages"]], r["cells"], strict=True)),
                "total": r["total"],
                "late": r["late"],
            }
            for r in board["rows"]
        ],
        "count": late["count"],
        "items": [
            {
                "submission_id": x["submission"].pk,
                "institution_code": x["submission"].institution.code,
                "stage": x["submission"].stage,
                "reason": x["reason"],
            }
            for x in late["items"]
        ],
    }


STAGES = [s.value for s in Stage]
