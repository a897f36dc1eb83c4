"""API of the rectification ledger at ``/api/v1/rectification/``.

Every answer is limited to the caller's part of the tree: an entry or visit outside it is
404; an action the caller may not take is 403; bad input is 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from jiceng.api.fields import max_length, model_text
from jiceng.api.pagination import Pages, Rows, Window, window
from jiceng.core import scope
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.orgs.models import Node
from jiceng.rectification import actions, queries
from jiceng.rectification.models import (
    EntryEvent,
    Finding,
    LedgerEntry,
    SupervisionVisit,
)

router = Router(tags=["rectification"])


class EvidenceOut(Schema):
    id: int
    name: str
    kind: str
    size: int


class EventOut(Schema):
    kind: str
    at: dt.datetime
    by: str
    from_status: str
    to_status: str
    note: str
    deadline_before: dt.date | None
    deadline_after: dt.date | None


class EntryOut(Schema):
    id: int
    number: str
    institution_code: str
    institution_name: str
    source: str
    item_code: str
    submission_id: int | None
    visit_id: int | None
    description: str
    responsible: str
    opened_on: dt.date
    deadline: dt.date
    status: str
    overdue: bool
    days_overdue: int
    measures: str
    reported_at: dt.datetime | None
    verified_by: str | None
    verified_at: dt.datetime | None
    closed_at: dt.datetime | None


class EntryDetailOut(EntryOut):
    evidence: list[EvidenceOut]
    history: list[EventOut]


class EntryPage(Schema):
    count: int
    overdue: int
    items: list[EntryOut]


def _entry_out(e: LedgerEntry, today: dt.date) -> dict:
    return {
        "id": e.pk,
        "number": e.number,
        "institution_code": e.institution.code,
        "institution_name": e.institution.name,
        "source": e.source,
        "item_code": e.item_code,
        "submission_id": e.submission_id,
        "visit_id": e.visit_id,
        "description": e.description,
        "responsible": e.responsible,
        "opened_on": e.opened_on,
        "deadline": e.deadline,
        "status": e.status,
        "overdue": e.is_overdue(today),
        "days_overdue": e.days_overdue(today),
        "measures": e.measures,
        "reported_at": e.reported_at,
        "verified_by": e.verified_by.get_username() if e.verified_by_id else None,
        "verified_at": e.verified_at,
        "closed_at": e.closed_at,
    }


def _detail(e: LedgerEntry) -> dict:
    today = timezone.localdate()
    return {
        **_entry_out(e, today),
        "evidence": [
            {"id": ev.pk, "name": ev.name, "kind": ev.kind, "size": ev.size}
            for ev in e.evidence.all()
        ],
        "history": [
            {
                "kind": ev.kind,
                "at": ev.at,
                "by": ev.actor_name,
                "from_status": ev.from_status,
                "to_status": ev.to_status,
                "note": ev.note,
                "deadline_before": ev.deadline_before,
                "deadline_after": ev.deadline_after,
            }
            for ev in e.events.all()
        ],
    }


def _entry(request, entry_id: int) -> LedgerEntry:
    e = get_object_or_404(
        LedgerEntry.objects.select_related("institution", "verified_by"), pk=entry_id
    )
    if not scope.can_see(request.user, e.institution):
        raise Http404("entry not found")
    return e


def _region(request, code: str | None):
    if not code:
        return None
    return scope.access_node(request.user, code)


@router.get("/entries", response=EntryPage, summary="The ledger, filtered")
def list_entries(
    request,
    region: str | None = None,
    status: str = "",
    source: str = "",
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    overdue: bool = False,
    q: str = "",
    page: Query[Window] = None,
):
    f = queries.LedgerFilter(
        region=_region(request, region),
        status=status,
        source=source,
        due_from=due_from,
        due_to=due_to,
        overdue=overdue,
        q=q.strip(),
    )
    qs = queries.ledger(request.user, f)
    counts = queries.summary(qs, f.today)
    rows = window(qs, page or Window())
    return {
        "count": counts["total"],
        "overdue": counts["overdue"],
        "items": [_entry_out(e, f.today) for e in rows],
    }


@router.get("/entries/{entry_id}", response=EntryDetailOut, summary="One entry with history")
def get_entry(request, entry_id: int):
    return _detail(_entry(request, entry_id))


class EntryIn(Schema):
    institution: str = model_text(Node, "code")
    description: str = model_text(LedgerEntry, "description")
    deadline: dt.date
    responsible: str = model_text(LedgerEntry, "responsible", "")
    source: str = model_text(LedgerEntry, "source", "other")


@router.post("/entries", response={201: EntryDetailOut}, summary="Open an entry by hand")
def open_entry(request, payload: EntryIn):
    inst = scope.access_node(request.user, payload.institution, scope.Action.SUPERVISE)
    e = actions.do_open_entry(
        request.user,
        inst,
        source=payload.source,
        description=payload.description,
        deadline=payload.deadline,
        responsible=payload.responsible,
    )
    return Status(201, _detail(e))


@router.post(
    "/entries/{entry_id}/report-fixed",
    response=EntryDetailOut,
    summary="The institution reports the fix (multipart: measures, responsible, files)",
)
def report_fixed(
    request,
    entry_id: int,
    measures: str = Form(..., max_length=max_length(LedgerEntry, "measures")),
    responsible: str = Form("", max_length=max_length(LedgerEntry, "responsible")),
    files: File[list[UploadedFile]] = None,
):
    e = _entry(request, entry_id)
    e = actions.do_report_fixed(
        request.user, e, measures=measures, responsible=responsible or None, files=files or []
    )
    return _detail(e)


@router.delete(
    "/entries/{entry_id}/evidence/{evidence_id}",
    response={204: None},
    summary="Remove an evidence file while the entry is open",
)
def delete_evidence(request, entry_id: int, evidence_id: int):
    e = _entry(request, entry_id)
    ev = get_object_or_404(e.evidence.all(), pk=evidence_id)
    actions.do_delete_evidence(request.user, ev)
    return Status(204, None)


class NoteIn(Schema):
    note: str = model_text(EntryEvent, "note", "")


class ReasonIn(Schema):
    reason: str = model_text(EntryEvent, "note")


class ExtendIn(Schema):
    deadline: dt.date
    reason: str = model_text(EntryEvent, "note")


@router.post("/entries/{entry_id}/verify-close", response=EntryDetailOut, summary="Close (销号)")
def verify_close(request, entry_id: int, payload: NoteIn):
    return _detail(
        actions.do_verify_close(request.user, _entry(request, entry_id), note=payload.note)
    )


@router.post("/entries/{entry_id}/send-back", response=EntryDetailOut, summary="Send back")
def send_back(request, entry_id: int, payload: ReasonIn):
    e = actions.do_send_back(request.user, _entry(request, entry_id), reason=payload.reason)
    return _detail(e)


@router.post("/entries/{entry_id}/extend", response=EntryDetailOut, summary="Extend deadline")
def extend(request, entry_id: int, payload: ExtendIn):
    e = actions.do_extend_deadline(
        request.user, _entry(request, entry_id), deadline=payload.deadline, reason=payload.reason
    )
    return _detail(e)


class FindingIn(Schema):
    institution: str = model_text(Node, "code")
    description: str = model_text(Finding, "description")
    deadline: dt.date | None = None
    responsible: str = model_text(LedgerEntry, "responsible", "")


class VisitIn(Schema):
    node: str = model_text(Node, "code")
    visited_on: dt.date
    team: str = model_text(SupervisionVisit, "team")
    kind: str = model_text(SupervisionVisit, "kind", "supervision")
    notes: str = model_text(SupervisionVisit, "notes", "")
    findings: list[FindingIn] = []


class VisitOut(Schema):
    id: int
    node_code: str
    node_name: str
    visited_on: dt.date
    kind: str
    team: str
    notes: str
    entries: list[int]


def _shown_entries(user):
    return scope.filter_by_node(user, LedgerEntry.objects.all(), field="institution")


def _visit_out(request, v: SupervisionVisit) -> dict:
    if hasattr(v, "shown_entries"):  # prefetched for a whole page (list_visits)
        entries = [e.pk for e in v.shown_entries]
    else:
        entries = list(
            _shown_entries(request.user).filter(visit=v).order_by("pk").values_list("pk", flat=True)
        )
    return {
        "id": v.pk,
        "node_code": v.node.code,
        "node_name": v.node.name,
        "visited_on": v.visited_on,
        "kind": v.kind,
        "team": v.team,
        "notes": v.notes,
        "entries": entries,
    }


@router.get("/visits", response=list[VisitOut], summary="Supervision visits")
@paginate(Pages)
def list_visits(request, region: str | None = None):
    shown = _shown_entries(request.user).only("pk", "visit_id").order_by("pk")
    qs = queries.visits(request.user, _region(request, region)).prefetch_related(
        Prefetch("entries", queryset=shown, to_attr="shown_entries")
    )
    return Rows(qs, lambda v: _visit_out(request, v))


@router.get("/visits/{visit_id}", response=VisitOut, summary="One supervision visit")
def get_visit(request, visit_id: int):
    v = get_object_or_404(queries.visible_visits(request.user).select_related("node"), pk=visit_id)
    return _visit_out(request, v)


@router.post("/visits", response={201: VisitOut}, summary="Record a visit; findings → entries")
def record_visit(request, payload: VisitIn):
    node = scope.access_node(request.user, payload.node, scope.Action.SUPERVISE)
    visible = scope.visible_nodes(request.user)
    problems, findings = [], []
    for i, f in enumerate(payload.findings, start=1):
        inst = visible.filter(code=f.institution).first()
        if inst is None:
            problems.append(
                Problem(
                    _("Unknown institution %(code)s.") % {"code": f.institution},
                    row=i,
                    field="institution",
                )
            )
        findings.append(
            actions.FindingInput(
                institution=inst,
                description=f.description,
                deadline=f.deadline,
                responsible=f.responsible,
            )
        )
    if problems:
        raise ValidationFailed(problems)
    v = actions.do_record_visit(
        request.user,
        node,
        visited_on=payload.visited_on,
        team=payload.team,
        kind=payload.kind,
        notes=payload.notes,
        findings=findings,
    )
    return Status(201, _visit_out(request, v))


class CountRow(Schema):
    key: str
    name: str
    total: int
    open: int
    overdue: int
    reported_fixed: int
    closed: int


class CountsOut(Schema):
    by_county: list[CountRow]
    by_source: list[CountRow]


@router.get("/counts", response=CountsOut, summary="Open / overdue / closed by county and source")
def counts(request, region: str | None = None):
    reg = _region(request, region)
    keys = ("total", "open", "overdue", "reported_fixed", "closed")
    by_county = [
        {"key": r["county"].code, "name": r["county"].name, **{k: r[k] for k in keys}}
        for r in queries.counts_by_county(request.user, reg)
    ]
    qs = queries.ledger(request.user, queries.LedgerFilter(region=reg))
    by_source = [
        {"key": r["source"], "name": str(r["label"]), **{k: r[k] for k in keys}}
        for r in queries.counts_by_source(qs)
    ]
    return {"by_county": by_county, "by_source": by_source}
