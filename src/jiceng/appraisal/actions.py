"""Writes of appraisal, each audited: load and (de)activate a scheme version, open a year's
appraisal for a region, enter manual item values, review, publish (frozen), correct (a new
version with a reason), file and answer appeals, record bad-practice points. Manual values
and bad-practice points take evidence files (``core/evidence.py`` checks them by content, all
or nothing); a published appraisal's files cannot change, a correction links the same files.

Who may do what is asked of ``core/scope.py``: appraisers are those who may publish for the
region (``scope.Action.PUBLISH``: administrators and reviewers of a region); an appeal is filed
by a party to the appraised unit (``scope.is_party_to``); bad-practice points are recorded by
supervisors (``scope.Action.SUPERVISE``). Refusals are in Chinese and change nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.appraisal import engine
from jiceng.appraisal.models import (
    Appeal,
    Appraisal,
    BadPractice,
    EvidenceFile,
    ManualValue,
    SchemeVersion,
    Status,
)
from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.core.evidence import Upload, read_uploads, store_upload
from jiceng.orgs.models import Node
from jiceng.standards.actions import default_owner

_DEFAULT = object()
APPEAL_DAYS = 15  # default appeal window after publication


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def require_manage(actor, owner: Node | None) -> None:
    """Loading a scheme for ``owner`` needs an administrator of ``owner`` or above."""
    if actor is not None and not scope.can_manage_catalog(actor, owner):
        raise PermissionDenied(_("Only administrators of the owner region load appraisal schemes."))


def require_appraiser(actor, region: Node) -> None:
    """Appraisal work on ``region`` needs someone who may publish for it."""
    if actor is not None and not scope.can(actor, scope.Action.PUBLISH, region):
        raise PermissionDenied(
            _("Only the appraisers of %(region)s may do this.") % {"region": region.name}
        )


def do_load_scheme(
    actor, scheme, source_text: str, source_name: str, owner=_DEFAULT
) -> SchemeVersion:
    """Store a checked scheme version for ``owner`` (default: the actor's region); audited.

    A version already loaded for that region is refused.
    """
    if owner is _DEFAULT:
        owner = default_owner(actor)
    require_manage(actor, owner)
    info = engine.info(scheme)
    with transaction.atomic():
        if SchemeVersion.objects.filter(owner=owner, code=info.code, version=info.version).exists():
            raise UserError(
                _("Appraisal scheme %(code)s version %(version)s is already loaded.")
                % {"code": info.code, "version": info.version}
            )
        version = SchemeVersion.objects.create(
            code=info.code,
            version=info.version,
            title=info.title,
            year=info.year,
            unit_kinds=list(info.unit_kinds),
            source_name=source_name,
            source=source_text,
            active=True,
            owner=owner,
            loaded_by=_user(actor),
        )
        audit.record(
            actor,
            "appraisal.load_scheme",
            version,
            after={**audit.snapshot(version), "source": None, "items": len(info.items)},
        )
    return version


def do_set_scheme_active(actor, version: SchemeVersion, active: bool) -> SchemeVersion:
    """Activate or deactivate a scheme version (inactive ones open no new appraisal)."""
    require_manage(actor, version.owner)
    with transaction.atomic():
        version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
        if version.active == active:
            return version
        version.active = active
        version.save(update_fields=["active"])
        audit.record(
            actor,
            "appraisal.activate_scheme" if active else "appraisal.deactivate_scheme",
            version,
            before={"active": not active},
            after={"active": active},
        )
    return version


def do_open_appraisal(actor, version: SchemeVersion, region: Node, year: int) -> Appraisal:
    """Open the draft appraisal of ``year`` for ``region`` under an active scheme version."""
    require_appraiser(actor, region)
    version = SchemeVersion.objects.select_related("owner").get(pk=version.pk)
    if not version.active:
        raise UserError(_("This scheme version is not active."))
    if not scope.catalog_applies(version.owner, region):
        raise UserError(
            _("The scheme %(title)s does not apply in %(region)s.")
            % {"title": version.title, "region": region.name}
        )
    if region.is_institution:
        raise UserError(_("Appraisals are opened for a region, not an institution."))
    with transaction.atomic():
        if Appraisal.objects.filter(scheme__code=version.code, region=region, year=year).exists():
            raise UserError(
                _("%(region)s already has an appraisal of %(year)s under %(title)s.")
                % {"region": region.name, "year": year, "title": version.title}
            )
        appraisal = Appraisal.objects.create(
            scheme=version, region=region, year=year, created_by=_user(actor)
        )
        audit.record(actor, "appraisal.open", appraisal, after=audit.snapshot(appraisal))
    return appraisal


def _lock(appraisal: Appraisal) -> Appraisal:
    return (
        Appraisal.objects.select_for_update()
        .select_related("scheme", "region")
        .get(pk=appraisal.pk)
    )


def parse_manual_value(text: str, item) -> Decimal:
    """The typed value of a manual item, or a Chinese UserError naming the item."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise UserError(
            _("%(item)s: %(value)s is not a number.") % {"item": item.name, "value": text}
        ) from None
    if not value.is_finite():
        raise UserError(
            _("%(item)s: %(value)s is not a number.") % {"item": item.name, "value": text}
        )
    if value < 0 or (item.rule.kind == "manual" and value > item.points):
        raise UserError(
            _("%(item)s: the score must lie between 0 and %(points)s.")
            % {"item": item.name, "points": engine.plain(item.points)}
        )
    if -value.as_tuple().exponent > 4:
        raise UserError(_("%(item)s: at most 4 decimal places.") % {"item": item.name})
    return value


def _read_files(files: Iterable[Any], field: str, label: str = "") -> tuple[list, list]:
    """The accepted uploads and, for each refused file, a problem naming the file and item."""
    uploads, refused = read_uploads(files, field)
    return uploads, [dataclasses.replace(p, field=field, label=label) for p in refused]


def _store(actor, node: Node, uploads: list[Upload]) -> list[EvidenceFile]:
    """Save checked uploads as evidence files of ``node`` (inside the caller's transaction)."""
    return [store_upload(EvidenceFile(node=node, uploaded_by=_user(actor)), up) for up in uploads]


def _names(files) -> list[str]:
    return [f.name for f in files]


def do_enter_manual(
    actor,
    appraisal: Appraisal,
    unit: Node,
    entries: dict[str, tuple[str, str, str]],
    files: Mapping[str, Iterable[Any]] | None = None,
    remove: Mapping[str, Iterable[int]] | None = None,
) -> list[ManualValue]:
    """Enter manual item values of one unit: ``{item code: (value, reason, evidence note)}``,
    with evidence files to attach (``files``: item code → uploaded files) and attached ones
    to take off (``remove``: item code → file ids).

    All or nothing: every problem (unknown item, value out of range, missing reason, no
    evidence file or note, a refused file) is reported at once and nothing is saved, neither
    the values nor any file. Only a draft takes values and files.
    """
    require_appraiser(actor, appraisal.region)
    if not unit.is_within(appraisal.region):
        raise UserError(_("%(unit)s is not appraised here.") % {"unit": unit.name})
    files, remove = files or {}, remove or {}
    items = {i.code: i for i in engine.scheme_of(appraisal.scheme).items}
    existing = {
        m.item: m
        for m in ManualValue.objects.filter(appraisal=appraisal, unit=unit).prefetch_related(
            "files"
        )
    }
    problems: list[Problem] = []
    cleaned: dict[str, tuple[Decimal, str, str]] = {}
    uploads: dict[str, list[Upload]] = {}
    dropped: dict[str, set[int]] = {}
    for code in sorted(set(entries) | {c for c, fs in files.items() if fs}):
        text, reason, evidence = entries.get(code, ("", "", ""))
        item = items.get(code)
        if item is None or not engine.is_manual(item):
            problems.append(Problem(_("Not a manual item of this scheme."), field=code, label=code))
            continue
        uploads[code], refused = _read_files(files.get(code, ()), code, item.name)
        problems += refused
        if not (text or "").strip():
            if uploads[code] or refused:
                problems.append(
                    Problem(
                        _("Enter the score that the evidence files support."),
                        field=code,
                        label=item.name,
                    )
                )
            continue
        try:
            value = parse_manual_value(text, item)
        except UserError as exc:
            problems.append(Problem(str(exc), field=code, label=item.name))
            continue
        if not (reason or "").strip():
            problems.append(
                Problem(_("Give the reason for this score."), field=code, label=item.name)
            )
        old = existing.get(code)
        attached = {f.pk for f in old.files.all()} if old else set()
        dropped[code] = attached & {int(pk) for pk in remove.get(code, ())}
        kept = len(attached - dropped[code]) + len(uploads[code])
        if not (evidence or "").strip() and not kept and not refused:
            problems.append(
                Problem(
                    _("Attach an evidence file or describe the evidence for this score."),
                    field=code,
                    label=item.name,
                )
            )
        cleaned[code] = (value, (reason or "").strip(), (evidence or "").strip())
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved."))
    saved = []
    gone: list[EvidenceFile] = []
    with transaction.atomic():
        appraisal = _lock(appraisal)
        if appraisal.status != Status.DRAFT:
            raise UserError(_("Only a draft appraisal takes manual values."))
        before, after = {}, {}
        for code, (value, reason, evidence) in cleaned.items():
            old = existing.get(code)
            old_files = list(old.files.all()) if old else []
            if (
                old
                and (old.value, old.reason, old.evidence) == (value, reason, evidence)
                and not uploads[code]
                and not dropped[code]
            ):
                continue
            before[code] = (
                {
                    "value": old.value,
                    "reason": old.reason,
                    "evidence": old.evidence,
                    "files": _names(old_files),
                }
                if old
                else None
            )
            m, _created = ManualValue.objects.update_or_create(
                appraisal=appraisal,
                unit=unit,
                item=code,
                defaults={
                    "value": value,
                    "reason": reason,
                    "evidence": evidence,
                    "entered_by": _user(actor),
                },
            )
            if dropped[code]:
                m.files.remove(*dropped[code])
                gone += [f for f in old_files if f.pk in dropped[code]]
            new_files = _store(actor, unit, uploads[code])
            m.files.add(*new_files)
            kept = [f for f in old_files if f.pk not in dropped[code]] + new_files
            after[code] = {
                "value": value,
                "reason": reason,
                "evidence": evidence,
                "files": _names(kept),
            }
            saved.append(m)
        if after:
            audit.record(
                actor,
                "appraisal.enter_manual",
                appraisal,
                before=before,
                after=after,
                node_path=unit.path,
            )
        _delete_unlinked(gone)
    return saved


def _delete_unlinked(files: list[EvidenceFile]) -> None:
    """Delete the rows and stored files that no manual value or record links any more (the
    stored file only once the transaction has committed)."""
    for f in files:
        if f.manual_values.exists() or f.bad_practice.exists():
            continue
        stored = f.file.name
        f.delete()
        transaction.on_commit(lambda name=stored: EvidenceFile.file.field.storage.delete(name))


def do_review(actor, appraisal: Appraisal) -> Appraisal:
    """Mark a draft as reviewed: manual values are closed, the scores can be published."""
    require_appraiser(actor, appraisal.region)
    with transaction.atomic():
        appraisal = _lock(appraisal)
        if appraisal.status != Status.DRAFT:
            raise UserError(_("Only a draft appraisal can be reviewed."))
        appraisal.status = Status.REVIEWED
        appraisal.reviewed_at = timezone.now()
        appraisal.reviewed_by = _user(actor)
        appraisal.save(update_fields=["status", "reviewed_at", "reviewed_by"])
        audit.record(
            actor,
            "appraisal.review",
            appraisal,
            before={"status": Status.DRAFT},
            after={"status": Status.REVIEWED},
        )
    return appraisal


def do_publish(actor, appraisal: Appraisal, appeal_days: int = APPEAL_DAYS) -> Appraisal:
    """Publish a reviewed appraisal: its results are computed once more and frozen; appeals
    are accepted for ``appeal_days`` days. A correction supersedes the version it corrects."""
    from jiceng.appraisal import results

    require_appraiser(actor, appraisal.region)
    if appeal_days < 0:
        raise UserError(_("The appeal window cannot be negative."))
    with transaction.atomic():
        appraisal = _lock(appraisal)
        if appraisal.status != Status.REVIEWED:
            raise UserError(_("Only a reviewed appraisal can be published."))
        table = results.compute(appraisal)
        appraisal.frozen = results.freeze(table)
        appraisal.status = Status.PUBLISHED
        appraisal.published_at = timezone.now()
        appraisal.published_by = _user(actor)
        appraisal.appeal_until = timezone.localdate() + dt.timedelta(days=appeal_days)
        appraisal.save(
            update_fields=["frozen", "status", "published_at", "published_by", "appeal_until"]
        )
        if appraisal.corrects_id:
            Appraisal.objects.filter(pk=appraisal.corrects_id).update(status=Status.SUPERSEDED)
        audit.record(
            actor,
            "appraisal.publish",
            appraisal,
            before={"status": Status.REVIEWED},
            after={
                "status": Status.PUBLISHED,
                "appeal_until": appraisal.appeal_until,
                "units": len(table.units),
            },
        )
    return appraisal


def do_correct(actor, appraisal: Appraisal, reason: str) -> Appraisal:
    """Open a correction of a published appraisal: a new draft version (its manual values
    copied) that replaces the published one when it is published in turn."""
    require_appraiser(actor, appraisal.region)
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Give the reason for the correction."))
    with transaction.atomic():
        appraisal = _lock(appraisal)
        if appraisal.status != Status.PUBLISHED:
            raise UserError(_("Only a published appraisal can be corrected."))
        if Appraisal.objects.filter(corrects=appraisal).exists():
            raise UserError(_("A correction of this appraisal is already open."))
        new = Appraisal.objects.create(
            scheme=appraisal.scheme,
            region=appraisal.region,
            year=appraisal.year,
            number=appraisal.number + 1,
            corrects=appraisal,
            reason=reason,
            created_by=_user(actor),
        )
        olds = list(ManualValue.objects.filter(appraisal=appraisal).prefetch_related("files"))
        copies = ManualValue.objects.bulk_create(
            ManualValue(
                appraisal=new,
                unit_id=m.unit_id,
                item=m.item,
                value=m.value,
                reason=m.reason,
                evidence=m.evidence,
                entered_by=m.entered_by,
            )
            for m in olds
        )
        # The correction links the same evidence files: nothing is copied on disk, and the
        # corrected (published) version keeps reaching its files.
        link = ManualValue.files.through
        link.objects.bulk_create(
            link(manualvalue_id=copy.pk, evidencefile_id=f.pk)
            for old, copy in zip(olds, copies, strict=True)
            for f in old.files.all()
        )
        audit.record(
            actor,
            "appraisal.correct",
            new,
            before={"number": appraisal.number},
            after={"number": new.number, "corrects_id": appraisal.pk},
            reason=reason,
        )
    return new


def do_file_appeal(actor, appraisal: Appraisal, unit: Node, item: str, text: str) -> Appeal:
    """An appraised unit appeals (申诉) against its published result, within the window."""
    if actor is not None and not scope.is_party_to(actor, unit):
        raise PermissionDenied(
            _("Only %(unit)s may appeal against its result.") % {"unit": unit.name}
        )
    text = (text or "").strip()
    if not text:
        raise UserError(_("Give the grounds of the appeal."))
    if appraisal.status != Status.PUBLISHED:
        raise UserError(_("Appeals are filed against a published appraisal."))
    if appraisal.appeal_until is None or timezone.localdate() > appraisal.appeal_until:
        raise UserError(_("The appeal window of this appraisal has closed."))
    frozen_units = (appraisal.frozen or {}).get("units", {})
    if unit.code not in frozen_units:
        raise UserError(_("%(unit)s is not appraised here.") % {"unit": unit.name})
    if item and item not in frozen_units[unit.code].get("items", {}):
        raise UserError(_("Unknown item %(code)s.") % {"code": item})
    with transaction.atomic():
        appeal = Appeal.objects.create(
            appraisal=appraisal, unit=unit, item=item, text=text, filed_by=_user(actor)
        )
        audit.record(actor, "appraisal.file_appeal", appeal, after=audit.snapshot(appeal))
    return appeal


def do_answer_appeal(actor, appeal: Appeal, outcome: str, answer: str) -> Appeal:
    """The appraiser answers an appeal: upheld (a correction follows) or rejected, with reasons."""
    require_appraiser(actor, appeal.appraisal.region)
    if actor is not None and scope.is_party_to(actor, appeal.unit):
        raise PermissionDenied(_("You may not answer an appeal of your own unit."))
    answer = (answer or "").strip()
    if outcome not in Appeal.Outcome.values:
        raise UserError(_("Choose whether the appeal is upheld or rejected."))
    if not answer:
        raise UserError(_("Give the answer to the appeal."))
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.answered_at is not None:
            raise UserError(_("This appeal is already answered."))
        appeal.outcome, appeal.answer = outcome, answer
        appeal.answered_at, appeal.answered_by = timezone.now(), _user(actor)
        appeal.save(update_fields=["outcome", "answer", "answered_at", "answered_by"])
        audit.record(
            actor,
            "appraisal.answer_appeal",
            appeal,
            before={"outcome": ""},
            after={"outcome": outcome, "answer": answer},
        )
    return appeal


def do_record_bad_practice(
    actor,
    institution: Node,
    date: dt.date,
    rule: str,
    points: str,
    evidence: str,
    files: Iterable[Any] = (),
) -> BadPractice:
    """Record points for bad practice (不良执业行为记分) against an institution, with the
    evidence: files (the penalty notice …) and/or a note; audited.

    Every problem (not an institution, a date in the future, no rule, points not positive,
    no evidence, a refused file) is reported at once and nothing is saved, no file either."""
    if actor is not None and not scope.can(actor, scope.Action.SUPERVISE, institution):
        raise PermissionDenied(_("Only supervisors record bad-practice points."))
    problems: list[Problem] = []
    if not institution.is_institution:
        problems.append(
            Problem(_("Points are recorded against an institution."), field="institution")
        )
    if date is None or date > timezone.localdate():
        problems.append(Problem(_("Give a date that is not in the future."), field="date"))
    if not (rule or "").strip():
        problems.append(Problem(_("Name the rule that was broken."), field="rule"))
    value = None
    try:
        value = Decimal(str(points).strip())
        if not value.is_finite() or value <= 0 or -value.as_tuple().exponent > 2 or value >= 10000:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(
            Problem(_("Points must be a positive number with at most 2 decimals."), field="points")
        )
    uploads, refused = _read_files(files, "files")
    problems += refused
    if not (evidence or "").strip() and not uploads and not refused:
        problems.append(
            Problem(_("Attach an evidence file or describe the evidence."), field="evidence")
        )
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved."))
    with transaction.atomic():
        bad = BadPractice.objects.create(
            institution=institution,
            date=date,
            rule=rule.strip(),
            points=value,
            evidence=(evidence or "").strip(),
            recorded_by=_user(actor),
        )
        stored = _store(actor, institution, uploads)
        bad.files.add(*stored)
        audit.record(
            actor,
            "appraisal.record_bad_practice",
            bad,
            after={**audit.snapshot(bad), "files": _names(stored)},
        )
    return bad


def do_attach_bad_practice_files(
    actor, bad: BadPractice, files: Iterable[Any]
) -> list[EvidenceFile]:
    """Attach evidence files to recorded points later (the penalty notice arrives after the
    inspection); audited. All or nothing: a refused file saves none of them."""
    if actor is not None and not scope.can(actor, scope.Action.SUPERVISE, bad.institution):
        raise PermissionDenied(_("Only supervisors record bad-practice points."))
    uploads, problems = _read_files(files, "files")
    if not uploads and not problems:
        problems.append(Problem(_("Choose a file to upload."), field="files"))
    if problems:
        raise ValidationFailed(problems, _("Nothing was saved."))
    with transaction.atomic():
        bad = BadPractice.objects.select_for_update().get(pk=bad.pk)
        before = _names(bad.files.all())
        stored = _store(actor, bad.institution, uploads)
        bad.files.add(*stored)
        audit.record(
            actor,
            "appraisal.attach_bad_practice_files",
            bad,
            before={"files": before},
            after={"files": before + _names(stored)},
        )
    return stored
