"""Writes to the rectification ledger. Each checks scope, validates everything first,
then writes in one transaction with an audit row and a history row per entry.

``actor=None`` is system work (the demo, a command run by an operator); every other
caller passes the user, whose right to act is checked through ``jiceng.core.scope``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.core.evidence import read_uploads, safe_name, store_upload
from jiceng.orgs.models import Node
from jiceng.rectification.models import (
    EntryEvent,
    EventKind,
    Evidence,
    Finding,
    LedgerEntry,
    Source,
    Status,
    SupervisionVisit,
    VisitKind,
)

REVIEW_LEVEL_SOURCES = {"county": Source.REVIEW, "recheck": Source.RECHECK}


def default_days() -> int:
    """Days an institution gets to fix an item found at review (setting, default 30)."""
    return int(getattr(settings, "JICENG_RECTIFICATION_DAYS", 30))


def _require(actor, action: scope.Action, node: Node) -> None:
    if actor is not None:
        scope.require(actor, action, node)


def _actor_name(actor) -> str:
    return actor.get_username() if getattr(actor, "is_authenticated", False) else "system"


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _event(
    entry: LedgerEntry,
    actor,
    kind: str,
    from_status: str,
    note: str = "",
    deadline_before: dt.date | None = None,
    deadline_after: dt.date | None = None,
) -> EntryEvent:
    return EntryEvent.objects.create(
        entry=entry,
        kind=kind,
        at=timezone.now(),
        actor=_user_or_none(actor),
        actor_name=_actor_name(actor),
        from_status=from_status,
        to_status=entry.status,
        note=note,
        deadline_before=deadline_before,
        deadline_after=deadline_after,
    )


def _text(value: Any) -> str:
    return str(value or "").strip()


def _check_fields(
    *,
    institution: Node | None,
    description: str,
    deadline: dt.date | None,
    opened_on: dt.date,
    responsible: str,
    prefix: str = "",
    row: int | None = None,
) -> list[Problem]:
    problems = []
    if institution is None:
        problems.append(
            Problem(_("Choose the institution."), field=prefix + "institution", row=row)
        )
    elif not institution.is_institution:
        problems.append(
            Problem(
                _("%(name)s is not an institution; entries belong to institutions.")
                % {"name": institution.name},
                field=prefix + "institution",
                row=row,
            )
        )
    if not description:
        problems.append(Problem(_("Describe the problem."), field=prefix + "description", row=row))
    if len(responsible) > 64:
        problems.append(
            Problem(
                _("The name of the responsible person is longer than 64 characters."),
                field=prefix + "responsible",
                row=row,
            )
        )
    if deadline is None:
        problems.append(Problem(_("Set a deadline."), field=prefix + "deadline", row=row))
    elif deadline < opened_on:
        problems.append(
            Problem(
                _("The deadline %(deadline)s is before the date the problem was found (%(found)s).")
                % {"deadline": deadline.isoformat(), "found": opened_on.isoformat()},
                field=prefix + "deadline",
                row=row,
            )
        )
    return problems


def _create_entry(actor, **fields) -> LedgerEntry:
    entry = LedgerEntry.objects.create(created_by=_user_or_none(actor), **fields)
    _event(entry, actor, EventKind.OPENED, "", note=entry.description)
    audit.record(actor, "rectification.open_entry", entry, after=audit.snapshot(entry))
    return entry


@transaction.atomic
def do_open_entry(
    actor,
    institution: Node,
    *,
    source: str = Source.OTHER,
    description: str,
    deadline: dt.date | None,
    responsible: str = "",
    opened_on: dt.date | None = None,
    submission=None,
    item_code: str = "",
) -> LedgerEntry:
    """Open one entry by hand (a look-back finding, a complaint, anything else)."""
    if institution is not None:
        _require(actor, scope.Action.SUPERVISE, institution)
    opened_on = opened_on or timezone.localdate()
    description, responsible = _text(description), _text(responsible)
    problems = []
    if source not in Source.values:
        problems.append(Problem(_("Unknown source %(s)s.") % {"s": source}, field="source"))
    problems += _check_fields(
        institution=institution,
        description=description,
        deadline=deadline,
        opened_on=opened_on,
        responsible=responsible,
    )
    if problems:
        raise ValidationFailed(problems)
    return _create_entry(
        actor,
        institution=institution,
        source=source,
        description=description,
        responsible=responsible,
        deadline=deadline,
        opened_on=opened_on,
        submission=submission,
        item_code=item_code,
    )


def _failing_items(submission, level: str) -> list[str]:
    """Codes of the items graded not meeting the standard at ``level``, in catalog order."""
    from jiceng.standards.actions import spec_of
    from jiceng.standards.catalog import NA
    from jiceng.standards.verdict import meets

    spec = spec_of(submission.catalog)
    grades = submission.grades_at(level)
    codes = submission.catalog.items.values_list("code", flat=True)
    order = {code: i for i, code in enumerate(codes)}
    failing = [
        code for code, grade in grades.items() if grade and grade != NA and not meets(spec, grade)
    ]
    return sorted(failing, key=lambda c: (order.get(c, len(order)), c))


@transaction.atomic
def do_open_entries_from_review(
    actor, submission, level: str, *, deadline: dt.date | None = None
) -> list[LedgerEntry]:
    """One entry per item graded below standard at ``level`` ('county' or 'recheck').

    Idempotent: an item that already has an entry for this submission keeps it (whatever
    its status); only missing entries are created. The problem counts as found on the day
    the level was completed; the deadline is ``JICENG_RECTIFICATION_DAYS`` later. Returns the entries of every item
    graded below standard at that level, new and existing, in catalog order.
    """
    if level not in REVIEW_LEVEL_SOURCES:
        raise UserError(
            _("Ledger entries come from the county review or the re-check, not from level %(l)s.")
            % {"l": level}
        )
    institution = submission.institution
    _require(actor, scope.Action.SUPERVISE, institution)
    codes = _failing_items(submission, level)
    if not codes:
        return []
    existing = {
        e.item_code: e
        for e in LedgerEntry.objects.select_for_update().filter(
            submission=submission, item_code__in=codes
        )
    }
    texts = dict(submission.catalog.items.filter(code__in=codes).values_list("code", "text"))
    remarks = submission.remarks_at(level) or {}
    found = _review_date(submission, level)
    deadline = max(deadline or found + dt.timedelta(days=default_days()), found)
    out = []
    for code in codes:
        entry = existing.get(code)
        if entry is None:
            description = f"{code} {texts.get(code, '')}".strip()
            remark = _text(remarks.get(code))
            if remark:
                description += "\n" + _("Reviewer's remark: %(r)s") % {"r": remark}
            entry = _create_entry(
                actor,
                institution=institution,
                source=REVIEW_LEVEL_SOURCES[level],
                submission=submission,
                item_code=code,
                description=description,
                responsible="",
                deadline=deadline,
                opened_on=found,
            )
        out.append(entry)
    return out


def _review_date(submission, level: str) -> dt.date:
    """The day the level was completed (the problem was found), or today if unknown."""
    at = submission.county_passed_at if level == "county" else submission.rechecked_at
    return timezone.localdate(at) if at else timezone.localdate()


@dataclass
class FindingInput:
    """One finding as entered on the visit form."""

    institution: Node | None
    description: str
    deadline: dt.date | None
    responsible: str = ""


@transaction.atomic
def do_record_visit(
    actor,
    node: Node,
    *,
    visited_on: dt.date | None,
    team: str,
    kind: str = VisitKind.SUPERVISION,
    notes: str = "",
    findings: Sequence[FindingInput] = (),
) -> SupervisionVisit:
    """Record a visit and turn each finding into a ledger entry, all or nothing."""
    _require(actor, scope.Action.SUPERVISE, node)
    team, notes = _text(team), _text(notes)
    today = timezone.localdate()
    problems = []
    if kind not in VisitKind.values:
        problems.append(Problem(_("Unknown kind of visit %(k)s.") % {"k": kind}, field="kind"))
    if visited_on is None:
        problems.append(Problem(_("Give the date of the visit."), field="visited_on"))
    elif visited_on > today:
        problems.append(Problem(_("The date of the visit is in the future."), field="visited_on"))
    if not team:
        problems.append(Problem(_("Name the team or the inspectors."), field="team"))
    for i, f in enumerate(findings, start=1):
        description = _text(f.description)
        inst = f.institution
        if inst is not None and not (inst.pk == node.pk or inst.is_within(node)):
            problems.append(
                Problem(
                    _("%(name)s is not within the visited unit %(unit)s.")
                    % {"name": inst.name, "unit": node.name},
                    field="institution",
                    row=i,
                )
            )
            continue
        if (
            inst is not None
            and actor is not None
            and not scope.can(actor, scope.Action.SUPERVISE, inst)
        ):
            problems.append(
                Problem(
                    _("You may not open entries for %(name)s.") % {"name": inst.name},
                    field="institution",
                    row=i,
                )
            )
            continue
        problems += _check_fields(
            institution=inst,
            description=description,
            deadline=f.deadline,
            opened_on=visited_on or today,
            responsible=_text(f.responsible),
            row=i,
        )
    if problems:
        raise ValidationFailed(problems)
    visit = SupervisionVisit.objects.create(
        node=node,
        visited_on=visited_on,
        kind=kind,
        team=team,
        notes=notes,
        created_by=_user_or_none(actor),
    )
    audit.record(actor, "rectification.record_visit", visit, after=audit.snapshot(visit))
    source = Source.LOOKBACK if kind == VisitKind.LOOKBACK else Source.SUPERVISION
    for i, f in enumerate(findings, start=1):
        finding = Finding.objects.create(
            visit=visit, institution=f.institution, description=_text(f.description), order=i
        )
        _create_entry(
            actor,
            institution=f.institution,
            source=source,
            visit=visit,
            finding=finding,
            description=finding.description,
            responsible=_text(f.responsible),
            deadline=f.deadline,
            opened_on=visited_on,
        )
    return visit


def _locked(entry: LedgerEntry) -> LedgerEntry:
    return LedgerEntry.objects.select_for_update().select_related("institution").get(pk=entry.pk)


@transaction.atomic
def do_report_fixed(
    actor,
    entry: LedgerEntry,
    *,
    measures: str,
    files: Iterable[Any] = (),
    responsible: str | None = None,
) -> LedgerEntry:
    """The institution reports the problem fixed: measures taken and evidence of the fix."""
    entry = _locked(entry)
    _require(actor, scope.Action.REPORT_FIX, entry.institution)
    measures = _text(measures)
    responsible = _text(responsible) if responsible is not None else entry.responsible
    problems = []
    if entry.status != Status.OPEN:
        raise UserError(
            _("Only an open entry can be reported fixed; this one is %(status)s.")
            % {"status": entry.get_status_display()}
        )
    if not measures:
        problems.append(Problem(_("Describe the measures taken."), field="measures"))
    if not responsible:
        problems.append(Problem(_("Name the person responsible."), field="responsible"))
    elif len(responsible) > 64:
        problems.append(
            Problem(
                _("The name of the responsible person is longer than 64 characters."),
                field="responsible",
            )
        )
    uploads, refused = read_uploads(files)
    problems += refused
    if not uploads and not entry.evidence.exists():
        problems.append(
            Problem(_("Attach at least one file that shows the fix."), field="evidence")
        )
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(entry)
    for up in uploads:
        ev = Evidence(entry=entry, uploaded_by=_user_or_none(actor))
        store_upload(ev, up, file_name=safe_name(up.name[:255]))
    entry.measures = measures
    entry.responsible = responsible
    entry.status = Status.REPORTED_FIXED
    entry.reported_at = timezone.now()
    entry.reported_by = _user_or_none(actor)
    entry.save()
    _event(entry, actor, EventKind.REPORTED_FIXED, Status.OPEN, note=measures)
    audit.record(
        actor, "rectification.report_fixed", entry, before=before, after=audit.snapshot(entry)
    )
    return entry


def _require_reported(entry: LedgerEntry) -> None:
    if entry.status != Status.REPORTED_FIXED:
        raise UserError(
            _("Only an entry reported fixed can be verified; this one is %(status)s.")
            % {"status": entry.get_status_display()}
        )


@transaction.atomic
def do_verify_close(actor, entry: LedgerEntry, *, note: str = "") -> LedgerEntry:
    """A reviewer checks the fix and closes the entry (销号)."""
    entry = _locked(entry)
    _require(actor, scope.Action.VERIFY_FIX, entry.institution)
    _require_reported(entry)
    before = audit.snapshot(entry)
    now = timezone.now()
    entry.status = Status.CLOSED
    entry.verified_by = _user_or_none(actor)
    entry.verified_at = now
    entry.closed_at = now
    entry.save()
    _event(entry, actor, EventKind.CLOSED, Status.REPORTED_FIXED, note=_text(note))
    audit.record(
        actor,
        "rectification.verify_close",
        entry,
        before=before,
        after=audit.snapshot(entry),
        reason=_text(note),
    )
    return entry


@transaction.atomic
def do_send_back(actor, entry: LedgerEntry, *, reason: str) -> LedgerEntry:
    """A reviewer finds the fix insufficient and sends the entry back to the institution."""
    entry = _locked(entry)
    _require(actor, scope.Action.VERIFY_FIX, entry.institution)
    _require_reported(entry)
    reason = _text(reason)
    if not reason:
        raise ValidationFailed([Problem(_("Say why the fix is not accepted."), field="reason")])
    before = audit.snapshot(entry)
    entry.status = Status.OPEN
    entry.save()
    _event(entry, actor, EventKind.SENT_BACK, Status.REPORTED_FIXED, note=reason)
    audit.record(
        actor,
        "rectification.send_back",
        entry,
        before=before,
        after=audit.snapshot(entry),
        reason=reason,
    )
    return entry


@transaction.atomic
def do_extend_deadline(
    actor, entry: LedgerEntry, *, deadline: dt.date | None, reason: str
) -> LedgerEntry:
    """Give an entry that is not closed a later deadline, with the reason."""
    entry = _locked(entry)
    _require(actor, scope.Action.SUPERVISE, entry.institution)
    if entry.status == Status.CLOSED:
        raise UserError(_("The entry is closed; its deadline cannot change."))
    reason = _text(reason)
    problems = []
    if deadline is None:
        problems.append(Problem(_("Set the new deadline."), field="deadline"))
    elif deadline <= entry.deadline:
        problems.append(
            Problem(
                _("The new deadline must be later than the current one (%(d)s).")
                % {"d": entry.deadline.isoformat()},
                field="deadline",
            )
        )
    if not reason:
        problems.append(Problem(_("Say why the deadline is extended."), field="reason"))
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(entry)
    old = entry.deadline
    entry.deadline = deadline
    entry.save()
    _event(
        entry,
        actor,
        EventKind.DEADLINE_EXTENDED,
        entry.status,
        note=reason,
        deadline_before=old,
        deadline_after=deadline,
    )
    audit.record(
        actor,
        "rectification.extend_deadline",
        entry,
        before=before,
        after=audit.snapshot(entry),
        reason=reason,
    )
    return entry


@transaction.atomic
def do_delete_evidence(actor, evidence: Evidence) -> None:
    """Remove an evidence file uploaded by mistake, while the entry is still open."""
    entry = _locked(evidence.entry)
    _require(actor, scope.Action.REPORT_FIX, entry.institution)
    if entry.status != Status.OPEN:
        raise UserError(
            _("Evidence can only be removed while the entry is open; this one is %(status)s.")
            % {"status": entry.get_status_display()}
        )
    before = {**audit.snapshot(evidence), "file": evidence.file.name}
    pk, file = evidence.pk, evidence.file
    evidence.delete()
    evidence.pk = pk
    audit.record(actor, "rectification.delete_evidence", entry, before=before, reason=evidence.name)
    transaction.on_commit(lambda: file.delete(save=False))
