"""Writes of the evaluation cycle. Each checks scope, validates everything first, then
writes in one transaction with one audit row.

``actor=None`` is system work (the demo, an operator's command); every other caller
passes the user, whose right to act is checked through ``jiceng.core.scope``.
Verdicts always come from ``jiceng.standards.verdict.compute_verdict``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiceng.assessments.models import (
    Cycle,
    CycleCatalog,
    Evidence,
    Finding,
    Grade,
    Level,
    LookBack,
    Publication,
    Stage,
    Submission,
    VerdictRecord,
)
from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.core.evidence import read_uploads, store_upload
from jiceng.orgs.models import Node
from jiceng.standards.catalog import NA
from jiceng.standards.verdict import GradingError, Verdict, compute_verdict

# Who grades at each level, and in which stage that level's form is open.
LEVEL_ACTION = {
    Level.SELF: scope.Action.SELF_ASSESS,
    Level.COUNTY: scope.Action.REVIEW,
    Level.RECHECK: scope.Action.RECHECK,
}
LEVEL_OPEN_STAGES = {
    Level.SELF: {Stage.DRAFT, Stage.RETURNED},
    Level.COUNTY: {Stage.SUBMITTED},
    Level.RECHECK: {Stage.RECHECK_PENDING},
}
READY_TO_PUBLISH = {Stage.COUNTY_PASSED, Stage.RECHECKED, Stage.PUBLISHED}


class StaleVersion(UserError):
    """The form was changed by someone else since it was read; nothing was saved."""


def _require(actor, action: scope.Action, node: Node) -> None:
    if actor is not None:
        scope.require(actor, action, node)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _spec(submission: Submission):
    from jiceng.standards.actions import spec_of

    return spec_of(submission.catalog)


def _bump(submission: Submission, version: int | None) -> None:
    """Claim the submission at ``version`` (optimistic lock) and move it to version+1."""
    qs = Submission.objects.filter(pk=submission.pk)
    if version is not None:
        qs = qs.filter(version=version)
    if qs.update(version=F("version") + 1, updated_at=timezone.now()) != 1:
        current = Submission.objects.filter(pk=submission.pk).values_list("version", flat=True)
        raise StaleVersion(
            _(
                "Someone else saved this form after you opened it (your version %(mine)s, "
                "now %(now)s). Nothing of yours was saved: reload the page, check their "
                "changes and enter yours again."
            )
            % {"mine": version, "now": current.first()}
        )
    submission.version = Submission.objects.values_list("version", flat=True).get(pk=submission.pk)


def _locked_stage_error(submission: Submission, level: str) -> UserError:
    return UserError(
        _(
            "The %(level)s of %(inst)s cannot be changed now (stage: %(stage)s). "
            "Approved data is locked; ask for it to be re-opened if it must change."
        )
        % {
            "level": Level(level).label,
            "inst": submission.institution.name,
            "stage": submission.get_stage_display(),
        }
    )


def _require_open(submission: Submission, level: str) -> None:
    if submission.stage not in LEVEL_OPEN_STAGES[Level(level)] or submission.locked_at(level):
        raise _locked_stage_error(submission, level)


def _verdict(submission: Submission, level: str) -> Verdict:
    """The verdict of the complete grading at ``level`` (GradingError names what is missing)."""
    return compute_verdict(_spec(submission), submission.grades_at(level))


# --- cycles -------------------------------------------------------------------------------


@transaction.atomic
def do_open_cycle(
    actor,
    region: Node,
    year: int,
    *,
    title: str = "",
    catalogs: Mapping[str, object] | None = None,
    self_deadline: dt.date | None = None,
    county_deadline: dt.date | None = None,
    recheck_deadline: dt.date | None = None,
    validity_years: int = 3,
) -> Cycle:
    """Open ``year``'s cycle for ``region``: one draft submission per grassroots institution.

    ``catalogs`` maps an institution kind to the catalog its institutions are graded
    against; kinds left out get the active catalog for that kind.
    """
    from jiceng.standards.actions import catalog_for

    _require(actor, scope.Action.OPEN_CYCLE, region)
    problems: list[Problem] = []
    if region.is_institution:
        problems.append(
            Problem(_("A cycle is opened for a region, not an institution."), field="region")
        )
    if not 2000 <= int(year) <= 2100:
        problems.append(Problem(_("The year %(y)s is not plausible.") % {"y": year}, field="year"))
    clash = (
        Cycle.objects.filter(year=year)
        .select_related("region")
        .filter(region__path__startswith=region.path)
        .first()
    )
    if clash is None:
        ancestors = [a.pk for a in region.ancestors()]
        clash = Cycle.objects.filter(year=year, region_id__in=ancestors).first()
    if clash is not None:
        problems.append(
            Problem(
                _("%(region)s already takes part in the %(year)s cycle '%(title)s'.")
                % {"region": region.name, "year": year, "title": clash.title},
                field="region",
            )
        )
    dates = [
        (self_deadline, _("self-assessment deadline")),
        (county_deadline, _("county review deadline")),
        (recheck_deadline, _("re-check deadline")),
    ]
    given = [(d, name) for d, name in dates if d]
    for (a, name_a), (b, name_b) in zip(given, given[1:], strict=False):
        if b < a:
            problems.append(
                Problem(
                    _("The %(b)s (%(db)s) comes before the %(a)s (%(da)s).")
                    % {"a": name_a, "da": a, "b": name_b, "db": b},
                    field="deadlines",
                )
            )
    if validity_years < 1 or validity_years > 10:
        problems.append(Problem(_("The validity must be 1 to 10 years."), field="validity_years"))
    institutions = list(
        Node.objects.subtree(region).grassroots().filter(closed__isnull=True).order_by("path")
    )
    kinds = sorted({n.kind for n in institutions})
    chosen: dict[str, object] = {}
    for kind in kinds:
        catalog = (catalogs or {}).get(kind) or catalog_for(kind, region)
        label = _kind_label(kind)
        if catalog is None:
            problems.append(
                Problem(
                    _("No catalog is chosen or loaded for %(kind)s.") % {"kind": label},
                    field=f"catalog_{kind}",
                )
            )
        elif not scope.catalog_applies(catalog.owner, region):
            problems.append(
                Problem(
                    _("Catalog %(cat)s belongs to %(owner)s and does not apply in %(region)s.")
                    % {"cat": catalog, "owner": catalog.owner, "region": region.name},
                    field=f"catalog_{kind}",
                )
            )
        elif kind not in (catalog.institution_kinds or []):
            problems.append(
                Problem(
                    _("Catalog %(cat)s does not apply to %(kind)s.")
                    % {"cat": catalog, "kind": label},
                    field=f"catalog_{kind}",
                )
            )
        else:
            chosen[kind] = catalog
    if not institutions and not problems:
        problems.append(
            Problem(_("%(region)s has no open grassroots institution.") % {"region": region.name})
        )
    if problems:
        raise ValidationFailed(problems)
    cycle = Cycle.objects.create(
        region=region,
        year=year,
        title=title
        or _("%(year)s evaluation of %(region)s") % {"year": year, "region": region.name},
        self_deadline=self_deadline,
        county_deadline=county_deadline,
        recheck_deadline=recheck_deadline,
        validity_years=validity_years,
        opened_by=_user(actor),
    )
    for kind, catalog in chosen.items():
        CycleCatalog.objects.create(cycle=cycle, kind=kind, catalog=catalog)
    Submission.objects.bulk_create(
        [Submission(cycle=cycle, institution=n, catalog=chosen[n.kind]) for n in institutions]
    )
    audit.record(
        actor,
        "assessments.open_cycle",
        cycle,
        after={
            **audit.snapshot(cycle),
            "catalogs": {k: str(c) for k, c in chosen.items()},
            "institutions": len(institutions),
        },
        node_path=region.path,
    )
    return cycle


def _kind_label(kind: str) -> str:
    from jiceng.orgs.models import Kind

    try:
        return str(Kind(kind).label)
    except ValueError:
        return kind


# --- grading ------------------------------------------------------------------------------


def check_partial_grades(
    spec, grades: Mapping[str, str], remarks: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[Problem]]:
    """Normalised grades of a draft (empty = clear) and every problem, naming the item."""
    problems: list[Problem] = []
    clean: dict[str, str] = {}
    scale = "/".join(g.grade for g in spec.scale)
    for code, raw in grades.items():
        code = str(code).strip()
        item = spec.item_map.get(code)
        if item is None:
            problems.append(
                Problem(
                    _("Item code %(code)s is not in catalog %(catalog)s.")
                    % {"code": code, "catalog": spec.code},
                    field=code,
                )
            )
            continue
        text = "" if raw is None else str(raw).strip()
        if text == "":
            clean[code] = ""
            continue
        grade = spec.normalize_grade(text)
        if grade is None:
            problems.append(
                Problem(
                    _("Item %(code)s: grade '%(grade)s' is not in the scale (%(scale)s).")
                    % {"code": code, "grade": text, "scale": scale},
                    field=code,
                )
            )
        elif grade == NA and not item.na_allowed:
            problems.append(
                Problem(
                    _("Item %(code)s may not be graded not applicable (NA).") % {"code": code},
                    field=code,
                )
            )
        else:
            clean[code] = grade
    for code in remarks or {}:
        if str(code).strip() not in spec.item_map:
            problems.append(
                Problem(
                    _("Item code %(code)s is not in catalog %(catalog)s.")
                    % {"code": code, "catalog": spec.code},
                    field=str(code),
                )
            )
    return clean, problems


@transaction.atomic
def do_save_grades(
    actor,
    submission: Submission,
    level: str,
    grades: Mapping[str, str],
    remarks: Mapping[str, str] | None = None,
    *,
    version: int | None,
) -> Submission:
    """Save a draft of the grades at ``level``: partial is fine, wrong is not.

    An empty grade clears the item. ``version`` is the version the form was read at;
    if someone saved in between, :class:`StaleVersion` is raised and nothing changes.
    """
    return _save_grades(actor, submission, level, grades, remarks, version, "save_grades")


@transaction.atomic
def do_save_draft_grade(
    actor,
    submission: Submission,
    level: str,
    item_code: str,
    grade: str,
    remark: str | None = None,
    *,
    version: int | None,
) -> Submission:
    """Save one item's grade (and remark, unless None) while the form is being filled in.

    The page saves each item as it is chosen, so that nothing is lost when the user
    leaves or uploads evidence; the same checks and version lock as :func:`do_save_grades`.
    """
    remarks = None if remark is None else {item_code: remark}
    return _save_grades(
        actor, submission, level, {item_code: grade}, remarks, version, "save_draft_grade"
    )


def _save_grades(actor, submission, level, grades, remarks, version, name: str) -> Submission:
    level = Level(level)
    _require(actor, LEVEL_ACTION[level], submission.institution)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    _require_open(submission, level)
    clean, problems = check_partial_grades(_spec(submission), grades, remarks)
    if problems:
        raise ValidationFailed(problems)
    remarks = {str(k).strip(): (v or "").strip() for k, v in (remarks or {}).items()}
    _bump(submission, version)
    existing = {g.item_code: g for g in submission.grades.filter(level=level)}
    before, after = {}, {}
    grader, now = _user(actor), timezone.now()
    created, changed, cleared = [], [], []
    for code in sorted(set(clean) | set(remarks)):
        row = existing.get(code)
        grade = clean.get(code, row.grade if row else "")
        remark = remarks.get(code, row.remark if row else "")
        old = (row.grade, row.remark) if row else ("", "")
        if (grade, remark) == old:
            continue
        before[code], after[code] = list(old), [grade, remark]
        if not grade and not remark:
            if row:
                cleared.append(row.pk)
        elif row is None:
            created.append(
                Grade(
                    submission=submission,
                    level=level,
                    item_code=code,
                    grade=grade,
                    remark=remark,
                    grader=grader,
                )
            )
        else:
            row.grade, row.remark, row.grader, row.updated_at = grade, remark, grader, now
            changed.append(row)
    # One statement each, whatever the number of items (a whole form is 89 of them).
    if cleared:
        Grade.objects.filter(pk__in=cleared).delete()
    if changed:
        Grade.objects.bulk_update(changed, ["grade", "remark", "grader", "updated_at"])
    if created:
        Grade.objects.bulk_create(created)
    audit.record(
        actor,
        f"assessments.{name}.{level}",
        submission,
        before=before,
        after=after,
    )
    return submission


def do_save_recheck(
    actor, submission: Submission, grades, remarks=None, *, version: int | None
) -> Submission:
    """Save the re-checker's grades (a draft, like :func:`do_save_grades`)."""
    return do_save_grades(actor, submission, Level.RECHECK, grades, remarks, version=version)


ADOPT_FROM = {Level.COUNTY: Level.SELF, Level.RECHECK: Level.COUNTY}


@transaction.atomic
def do_adopt_grades(
    actor, submission: Submission, level: str, chapter: str = "", *, version: int | None
) -> tuple[Submission, list[str]]:
    """A reviewer takes over the grades of the level before theirs (the self grades for the
    county review, the county grades for the re-check) on the items of ``chapter`` (all items
    if empty) that they have not graded yet; their own grades are never overwritten.

    Returns the submission and the codes of the items filled in.
    """
    level = Level(level)
    if level not in ADOPT_FROM:
        raise UserError(_("Only a reviewer can adopt the grades of the level before theirs."))
    _require(actor, LEVEL_ACTION[level], submission.institution)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    _require_open(submission, level)
    spec = _spec(submission)
    chapter = (chapter or "").strip()
    if chapter:
        chapters = [ch for ch in spec.chapters if ch.code == chapter]
        if not chapters:
            raise ValidationFailed(
                [
                    Problem(
                        _("Chapter %(code)s is not in catalog %(catalog)s.")
                        % {"code": chapter, "catalog": spec.code},
                        field="chapter",
                    )
                ]
            )
        codes = [it.code for sec in chapters[0].sections for it in sec.items]
    else:
        codes = [it.code for it in spec.items]
    source = submission.grades_at(ADOPT_FROM[level])
    existing = {g.item_code: g for g in submission.grades.filter(level=level)}
    filled = [c for c in codes if c in source and not (c in existing and existing[c].grade)]
    _bump(submission, version)
    for code in filled:
        row = existing.get(code)
        if row is None:
            Grade.objects.create(
                submission=submission,
                level=level,
                item_code=code,
                grade=source[code],
                grader=_user(actor),
            )
        else:
            row.grade, row.grader = source[code], _user(actor)
            row.save()
    audit.record(
        actor,
        f"assessments.adopt_grades.{level}",
        submission,
        before={"chapter": chapter, "from": str(ADOPT_FROM[level])},
        after={code: source[code] for code in filled},
    )
    return submission, filled


def missing_items(submission: Submission, level: str) -> list[str]:
    """Codes of the catalog's items that have no grade yet at ``level``, in catalog order."""
    graded = set(submission.grades_at(level))
    return [i.code for i in _spec(submission).items if i.code not in graded]


@transaction.atomic
def do_submit(actor, submission: Submission, *, version: int | None) -> Submission:
    """Submit the self-assessment: every item must be graded; then it is locked."""
    _require(actor, scope.Action.SELF_ASSESS, submission.institution)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    _require_open(submission, Level.SELF)
    verdict = _complete_verdict(submission, Level.SELF)
    _bump(submission, version)
    before = audit.snapshot(submission)
    submission.stage = Stage.SUBMITTED
    submission.self_locked = True
    submission.self_verdict = verdict.verdict
    submission.submitted_at = timezone.now()
    submission.save()
    late = submission.submitted_late
    audit.record(
        actor,
        "assessments.submit",
        submission,
        before=before,
        after={**audit.snapshot(submission), "late": late},
    )
    return submission


def _complete_verdict(submission: Submission, level: str) -> Verdict:
    """The verdict at ``level``, or ValidationFailed listing every ungraded or bad item."""
    try:
        return _verdict(submission, level)
    except GradingError as exc:
        todo = set(missing_items(submission, level))
        missing = [p.field for p in exc.problems if p.field in todo]
        summary = (
            ngettext(
                "%(n)s item is not graded yet.", "%(n)s items are not graded yet.", len(missing)
            )
            % {"n": len(missing)}
            if missing
            else ""
        )
        raise ValidationFailed(list(exc.problems), summary=summary) from None


@transaction.atomic
def do_return(actor, submission: Submission, comment: str, *, version: int | None) -> Submission:
    """The county reviewer sends the self-assessment back with comments (退回修改)."""
    _require(actor, scope.Action.REVIEW, submission.institution)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.stage != Stage.SUBMITTED or submission.county_locked:
        raise _locked_stage_error(submission, Level.COUNTY)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            [Problem(_("Say what must be changed before returning it."), field="comment")]
        )
    _bump(submission, version)
    before = audit.snapshot(submission)
    Finding.objects.create(
        submission=submission,
        level=Level.COUNTY,
        kind=Finding.Kind.RETURN,
        text=comment,
        author=_user(actor),
    )
    submission.stage = Stage.RETURNED
    submission.self_locked = False
    submission.returned_at = timezone.now()
    submission.save()
    audit.record(
        actor,
        "assessments.return",
        submission,
        before=before,
        after=audit.snapshot(submission),
        reason=comment,
    )
    return submission


@transaction.atomic
def do_add_finding(
    actor, submission: Submission, level: str, text: str, item_code: str = ""
) -> Finding:
    """A reviewer's written finding, on the whole submission or one item."""
    level = Level(level)
    if level == Level.SELF:
        raise UserError(_("Findings are written by reviewers."))
    _require(actor, LEVEL_ACTION[level], submission.institution)
    _require_open(submission, level)
    text = (text or "").strip()
    problems = []
    if not text:
        problems.append(Problem(_("The finding is empty."), field="text"))
    if item_code and item_code not in _spec(submission).item_map:
        problems.append(
            Problem(
                _("Item code %(code)s is not in catalog %(catalog)s.")
                % {"code": item_code, "catalog": submission.catalog.code},
                field="item_code",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    finding = Finding.objects.create(
        submission=submission, level=level, item_code=item_code, text=text, author=_user(actor)
    )
    audit.record(actor, "assessments.add_finding", finding, after=audit.snapshot(finding))
    return finding


def _open_ledger(actor, submission: Submission, level: str) -> None:
    """Every item graded below standard at ``level`` becomes a rectification entry."""
    from jiceng.rectification.actions import do_open_entries_from_review

    do_open_entries_from_review(actor, submission, level)


def _start_approval(actor, submission: Submission, action, level: str, version, finding: str):
    """Common start of approving a level: scope, row lock, open level, complete verdict,
    version check, and the optional overall finding. Returns (submission, verdict, before)."""
    _require(actor, action, submission.institution)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    _require_open(submission, level)
    verdict = _complete_verdict(submission, level)
    _bump(submission, version)
    before = audit.snapshot(submission)
    if finding.strip():
        Finding.objects.create(
            submission=submission, level=level, text=finding.strip(), author=_user(actor)
        )
    return submission, verdict, before


def _finish_approval(actor, submission: Submission, level: str, name: str, before, verdict):
    """Common end of approving a level: save, audit with the verdict, open ledger entries."""
    submission.save()
    audit.record(
        actor,
        f"assessments.{name}",
        submission,
        before=before,
        after={**audit.snapshot(submission), "verdict": verdict.to_dict()},
    )
    _open_ledger(actor, submission, level)
    return submission


@transaction.atomic
def do_pass_county(
    actor, submission: Submission, *, version: int | None, finding: str = ""
) -> Submission:
    """The county passes the submission with the verdict computed from its own grades.

    A proposed recommended verdict goes on to the re-check; any other waits for
    publication (or for a sample re-check).
    """
    submission, verdict, before = _start_approval(
        actor, submission, scope.Action.REVIEW, Level.COUNTY, version, finding
    )
    submission.county_verdict = verdict.verdict
    submission.county_locked = True
    submission.county_reviewer = _user(actor)
    submission.county_passed_at = timezone.now()
    if verdict.verdict == "recommended":
        submission.stage = Stage.RECHECK_PENDING
        submission.recheck_required = True
    else:
        submission.stage = Stage.COUNTY_PASSED
    return _finish_approval(actor, submission, Level.COUNTY, "pass_county", before, verdict)


@transaction.atomic
def do_select_for_recheck(actor, submissions: Iterable[Submission]) -> list[Submission]:
    """The city or province picks county-passed submissions for its sample re-check."""
    chosen = list(submissions)
    for sub in chosen:
        _require(actor, scope.Action.RECHECK, sub.institution)
    problems = []
    rows = list(
        Submission.objects.select_for_update()
        .select_related("institution")
        .filter(pk__in=[s.pk for s in chosen])
    )
    for sub in rows:
        if sub.stage != Stage.COUNTY_PASSED:
            problems.append(
                Problem(
                    _("%(inst)s (%(code)s) cannot be chosen for re-check (stage: %(stage)s).")
                    % {
                        "inst": sub.institution.name,
                        "code": sub.institution.code,
                        "stage": sub.get_stage_display(),
                    }
                )
            )
    if not rows:
        problems.append(Problem(_("Choose at least one institution."), field="submissions"))
    if problems:
        raise ValidationFailed(problems)
    for sub in rows:
        _bump(sub, None)
        before = audit.snapshot(sub)
        sub.stage = Stage.RECHECK_PENDING
        sub.recheck_sampled = True
        sub.save()
        audit.record(
            actor, "assessments.select_for_recheck", sub, before=before, after=audit.snapshot(sub)
        )
    return rows


@transaction.atomic
def do_complete_recheck(
    actor, submission: Submission, *, version: int | None, finding: str = ""
) -> Submission:
    """The re-checker's grades are complete: their verdict decides, and the level locks."""
    submission, verdict, before = _start_approval(
        actor, submission, scope.Action.RECHECK, Level.RECHECK, version, finding
    )
    submission.recheck_verdict = verdict.verdict
    submission.recheck_locked = True
    submission.rechecker = _user(actor)
    submission.rechecked_at = timezone.now()
    submission.stage = Stage.RECHECKED
    return _finish_approval(actor, submission, Level.RECHECK, "complete_recheck", before, verdict)


# --- evidence -----------------------------------------------------------------------------


@transaction.atomic
def do_upload_evidence(
    actor, submission: Submission, level: str, item_code: str, files: Iterable
) -> list[Evidence]:
    """Attach evidence files (checked by content and size) to an item at ``level``."""
    level = Level(level)
    _require(actor, LEVEL_ACTION[level], submission.institution)
    _require_open(submission, level)
    problems: list[Problem] = []
    if item_code and item_code not in _spec(submission).item_map:
        problems.append(
            Problem(
                _("Item code %(code)s is not in catalog %(catalog)s.")
                % {"code": item_code, "catalog": submission.catalog.code},
                field="item_code",
            )
        )
    uploads, refused = read_uploads(files)
    problems += refused
    if not uploads and not problems:
        problems.append(Problem(_("Choose a file to upload."), field="evidence"))
    if problems:
        raise ValidationFailed(problems)
    out = []
    for up in uploads:
        ev = Evidence(
            submission=submission,
            level=level,
            item_code=item_code,
            content_type=up.content_type,
            uploaded_by=_user(actor),
        )
        store_upload(ev, up, name_field="original_name")
        audit.record(actor, "assessments.upload_evidence", ev, after=_evidence_snapshot(ev))
        out.append(ev)
    return out


def _evidence_snapshot(ev: Evidence) -> dict:
    return {**audit.snapshot(ev, exclude=("file",)), "file": ev.file.name}


@transaction.atomic
def do_delete_evidence(actor, evidence: Evidence) -> None:
    """Remove an evidence file while its level is still open."""
    submission = evidence.submission
    _require(actor, LEVEL_ACTION[Level(evidence.level)], submission.institution)
    _require_open(submission, evidence.level)
    audit.record(
        actor, "assessments.delete_evidence", evidence, before=_evidence_snapshot(evidence)
    )
    evidence.file.delete(save=False)
    evidence.delete()


# --- import -------------------------------------------------------------------------------


def do_import_grades(
    actor,
    submission: Submission,
    level: str,
    data: bytes,
    filename: str,
    *,
    version: int | None,
) -> Submission:
    """Grades and remarks of a whole level from an Excel workbook (one row per item)."""
    from jiceng.standards.excel import read_grades_excel

    level = Level(level)
    _require(actor, LEVEL_ACTION[level], submission.institution)
    _require_open(submission, level)
    rows = read_grades_excel(data, filename, _spec(submission))
    grades = {code: grade for code, (grade, _remark) in rows.items()}
    remarks = {code: remark for code, (_grade, remark) in rows.items() if remark}
    return do_save_grades(actor, submission, level, grades, remarks, version=version)


# --- publication, re-opening, look-back ----------------------------------------------------


def submissions_in(region: Node, year: int):
    """Every submission of ``year`` whose institution lies in ``region``."""
    return Submission.objects.filter(
        cycle__year=year, institution__path__startswith=region.path
    ).select_related("institution", "cycle", "catalog")


@transaction.atomic
def do_publish(actor, region: Node, year: int, note: str = "") -> Publication:
    """Publish the list (公示) of ``region`` for ``year``.

    Every submission must have a final verdict (county-passed and not awaiting a
    re-check, or re-checked); otherwise nothing is published and the answer lists them.
    """
    _require(actor, scope.Action.PUBLISH, region)
    subs = list(submissions_in(region, year).select_for_update(of=("self",)))
    problems = []
    if Publication.objects.filter(region=region, year=year).exists():
        problems.append(
            Problem(
                _("The %(year)s list of %(region)s is already published.")
                % {"year": year, "region": region.name}
            )
        )
    if not subs:
        problems.append(
            Problem(
                _("%(region)s has no submission in %(year)s.")
                % {"region": region.name, "year": year}
            )
        )
    pending = [sub for sub in subs if sub.stage not in READY_TO_PUBLISH]
    for sub in pending:
        problems.append(
            Problem(
                _("%(inst)s (%(code)s) has no final verdict yet (stage: %(stage)s).")
                % {
                    "inst": sub.institution.name,
                    "code": sub.institution.code,
                    "stage": sub.get_stage_display(),
                },
                field=sub.institution.code,
            )
        )
    if problems:
        summary = (
            ngettext(
                "%(n)s institution has no final verdict yet; nothing was published.",
                "%(n)s institutions have no final verdict yet; nothing was published.",
                len(pending),
            )
            % {"n": len(pending)}
            if pending
            else ""
        )
        raise ValidationFailed(problems, summary=summary)
    publication = Publication.objects.create(
        region=region, year=year, published_by=_user(actor), note=note.strip()
    )
    today = timezone.localdate()
    new = 0
    for sub in subs:
        if sub.stage == Stage.PUBLISHED:
            continue
        level = sub.final_level()
        verdict = _verdict(sub, level)
        VerdictRecord.objects.create(
            institution=sub.institution,
            cycle=sub.cycle,
            submission=sub,
            publication=publication,
            level=level,
            verdict=verdict.verdict,
            reasons=verdict.to_dict(),
            valid_from=today,
            valid_until=_add_years(today, sub.cycle.validity_years),
        )
        _bump(sub, None)
        sub.stage = Stage.PUBLISHED
        sub.self_locked = sub.county_locked = True
        sub.published_at = timezone.now()
        sub.save()
        new += 1
    audit.record(
        actor,
        "assessments.publish",
        publication,
        after={**audit.snapshot(publication), "institutions": len(subs), "new_verdicts": new},
        node_path=region.path,
    )
    return publication


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def do_reopen(
    actor, submission: Submission, level: str, reason: str, *, version: int | None
) -> Submission:
    """Re-open an approved level (and the levels after it); a reason is required."""
    level = Level(level)
    _require(actor, scope.Action.REOPEN, submission.institution)
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(Problem(_("Give the reason for re-opening."), field="reason"))
    if submission.stage == Stage.PUBLISHED:
        problems.append(
            Problem(
                _("A published verdict is not re-opened; it is reviewed by a look-back."),
                field="level",
            )
        )
    elif not submission.locked_at(level):
        problems.append(
            Problem(
                _("The %(level)s of %(inst)s is not approved, so there is nothing to re-open.")
                % {"level": level.label, "inst": submission.institution.name},
                field="level",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    _bump(submission, version)
    before = audit.snapshot(submission)
    if level == Level.SELF:
        submission.stage = Stage.RETURNED
        submission.self_locked = submission.county_locked = submission.recheck_locked = False
        submission.county_verdict = submission.recheck_verdict = ""
        submission.recheck_required = submission.recheck_sampled = False
    elif level == Level.COUNTY:
        submission.stage = Stage.SUBMITTED
        submission.county_locked = submission.recheck_locked = False
        submission.county_verdict = submission.recheck_verdict = ""
        submission.recheck_required = submission.recheck_sampled = False
    else:
        submission.stage = Stage.RECHECK_PENDING
        submission.recheck_locked = False
        submission.recheck_verdict = ""
    submission.save()
    Finding.objects.create(
        submission=submission,
        level=level,
        kind=Finding.Kind.REOPEN,
        text=reason,
        author=_user(actor),
    )
    audit.record(
        actor,
        f"assessments.reopen.{level}",
        submission,
        before=before,
        after=audit.snapshot(submission),
        reason=reason,
    )
    return submission


@transaction.atomic
def do_lookback(
    actor, record: VerdictRecord, outcome: str, reason: str, date: dt.date | None = None
) -> LookBack:
    """A look-back visit (回头看) confirms or withdraws a published verdict."""
    inst = record.institution
    if actor is not None and not (
        scope.can(actor, scope.Action.REVIEW, inst) or scope.can(actor, scope.Action.RECHECK, inst)
    ):
        scope.require(actor, scope.Action.RECHECK, inst)
    record = VerdictRecord.objects.select_for_update().get(pk=record.pk)
    reason = (reason or "").strip()
    problems = []
    if outcome not in LookBack.Outcome.values:
        problems.append(Problem(_("Choose confirm or withdraw."), field="outcome"))
    if not reason:
        problems.append(Problem(_("Write down what the look-back found."), field="reason"))
    if record.status == VerdictRecord.Status.WITHDRAWN:
        problems.append(Problem(_("This verdict has already been withdrawn."), field="record"))
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(record)
    lookback = LookBack.objects.create(
        record=record,
        outcome=outcome,
        date=date or timezone.localdate(),
        reason=reason,
        by=_user(actor),
    )
    record.status = (
        VerdictRecord.Status.CONFIRMED
        if outcome == LookBack.Outcome.CONFIRM
        else VerdictRecord.Status.WITHDRAWN
    )
    record.save()
    audit.record(
        actor,
        f"assessments.lookback.{outcome}",
        record,
        before=before,
        after=audit.snapshot(record),
        reason=reason,
    )
    if outcome == LookBack.Outcome.WITHDRAW:
        _open_lookback_entry(actor, inst, lookback)
    return lookback


def _open_lookback_entry(actor, institution, lookback: LookBack) -> None:
    """What made a look-back withdraw a verdict goes on the rectification ledger."""
    from jiceng.rectification.actions import default_days, do_open_entry
    from jiceng.rectification.models import Source

    do_open_entry(
        actor,
        institution,
        source=Source.LOOKBACK,
        description=_("Look-back of %(date)s withdrew the verdict: %(reason)s")
        % {"date": lookback.date.isoformat(), "reason": lookback.reason},
        deadline=lookback.date + dt.timedelta(days=default_days()),
        opened_on=lookback.date,
    )
