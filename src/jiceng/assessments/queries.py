"""Reads of the evaluation cycle: verdicts with reasons, forms, progress, publication lists.

:func:`verdict_reasons` is the one explanation of a verdict that the pages, the API, the
CLI and the reports all show.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.assessments.models import (
    LEVEL_ORDER,
    Cycle,
    Level,
    Publication,
    Stage,
    Submission,
    VerdictRecord,
    VerdictValue,
)
from jiceng.core import scope
from jiceng.orgs.models import Kind, Node, path_ids
from jiceng.standards.catalog import NA
from jiceng.standards.verdict import GradingError, compute_verdict, verdict_label

VERDICT_ORDER = ("recommended", "basic", "none")


def spec_for(submission: Submission):
    from jiceng.standards.actions import spec_of

    return spec_of(submission.catalog)


# --- verdicts with reasons --------------------------------------------------------------------


def verdict_reasons(submission: Submission, level: str | None = None) -> dict[str, Any]:
    """The verdict of ``level`` (default: the deciding level) with its reasons, for people.

    Returns ``{"level", "complete": bool, "missing": [...], "verdict", "label", "tiers":
    {tier: {..., "failed_core_items": [{code, text}]}}, "next_tier_gap_items": [...]}``.
    When grades are missing the answer says which, and gives no verdict.
    """
    level = Level(level or submission.final_level())
    spec = spec_for(submission)
    grades = submission.grades_at(level)
    out: dict[str, Any] = {"level": level.value, "level_label": str(level.label)}
    try:
        verdict = compute_verdict(spec, grades)
    except GradingError as exc:
        missing = [i.code for i in spec.items if i.code not in grades]
        out.update(
            complete=False,
            missing=missing,
            problems=[str(p) for p in exc.problems],
            verdict=None,
            label=_("No verdict yet: %(n)s items are not graded.") % {"n": len(missing)}
            if missing
            else _("No verdict: the grades have problems."),
        )
        return out
    data = verdict.to_dict()

    def items(codes):
        return [{"code": c, "text": spec.item_map[c].text} for c in codes]

    tiers = {}
    for tier, t in data["tiers"].items():
        t = dict(t)
        t["label"] = _("Basic standard") if tier == "basic" else _("Recommended standard")
        t["failed_core_items"] = items(t["failed_core"])
        t["percent"] = None if t["ratio"] is None else round(100 * t["ratio"], 1)
        t["threshold_percent"] = f"{100 * t['threshold']:g}%"
        tiers[tier] = t
    next_tier = {"none": "basic", "basic": "recommended"}.get(verdict.verdict)
    out.update(
        complete=True,
        missing=[],
        problems=[],
        verdict=verdict.verdict,
        label=str(verdict.label),
        tiers=tiers,
        next_tier=next_tier,
        next_tier_label=(_("Basic standard") if next_tier == "basic" else _("Recommended standard"))
        if next_tier
        else "",
        next_tier_gap=data["next_tier_gap"],
        next_tier_gap_items=items(data["next_tier_gap"]),
        raw=data,
    )
    return out


def verdict_text(reasons: dict[str, Any]) -> str:
    """A few plain lines explaining a verdict (for the CLI and reports)."""
    if not reasons.get("complete"):
        lines = [reasons["label"]]
        if reasons.get("missing"):
            lines.append(_("Not graded: %(codes)s") % {"codes": "、".join(reasons["missing"])})
        return "\n".join(lines)
    lines = [reasons["label"]]
    for t in reasons["tiers"].values():
        line = _(
            "%(tier)s: %(met)s of %(app)s applicable items met (%(pct)s%%, needed %(thr)s)"
        ) % {
            "tier": t["label"],
            "met": t["met"],
            "app": t["applicable"],
            "pct": t["percent"] if t["percent"] is not None else "-",
            "thr": t["threshold_percent"],
        }
        if t["failed_core"]:
            line += _("; ") + _("core items not met: %(codes)s") % {
                "codes": "、".join(t["failed_core"])
            }
        lines.append(line)
    if reasons.get("next_tier_gap"):
        lines.append(
            _("To reach the %(tier)s these items would have to meet: %(codes)s")
            % {"tier": reasons["next_tier_label"], "codes": "、".join(reasons["next_tier_gap"])}
        )
    return "\n".join(lines)


# --- the grading form --------------------------------------------------------------------------


@dataclass
class FormItem:
    code: str
    text: str
    tier: str
    core: bool
    na_allowed: bool
    evidence_expected: str
    method: str
    grades: dict[str, str] = field(default_factory=dict)  # level → grade
    remarks: dict[str, str] = field(default_factory=dict)
    evidence: list = field(default_factory=list)
    differs: bool = False  # the level being edited disagrees with the one before it


@dataclass
class FormSection:
    code: str
    title: str
    items: list[FormItem]


@dataclass
class FormChapter:
    code: str
    title: str
    sections: list[FormSection]
    graded: int = 0  # items graded at the level the form shows
    total: int = 0


def form_rows(submission: Submission, level: str, user=None) -> list[FormChapter]:
    """The catalog as chapters → sections → items with every level's grades beside.

    With ``user``, only the evidence files they read (:func:`readable_evidence`)."""
    from jiceng.standards.verdict import meets

    spec = spec_for(submission)
    grades: dict[str, dict[str, str]] = defaultdict(dict)
    remarks: dict[str, dict[str, str]] = defaultdict(dict)
    for g in submission.grades.all():
        if g.grade:
            grades[g.item_code][g.level] = g.grade
        if g.remark:
            remarks[g.item_code][g.level] = g.remark
    evidence = defaultdict(list)
    files = submission.evidence.all() if user is None else readable_evidence(user, submission)
    for ev in files:
        evidence[ev.item_code].append(ev)
    level = Level(level)
    previous = LEVEL_ORDER[LEVEL_ORDER.index(level) - 1] if level != Level.SELF else None

    def side(grade):
        if not grade:
            return None
        return "na" if grade == NA else meets(spec, grade)

    chapters = []
    for ch in spec.chapters:
        sections = []
        for sec in ch.sections:
            items = []
            for it in sec.items:
                g = grades.get(it.code, {})
                differs = bool(
                    previous
                    and g.get(level)
                    and g.get(previous)
                    and side(g[level]) != side(g[previous])
                )
                items.append(
                    FormItem(
                        code=it.code,
                        text=it.text,
                        tier=it.tier,
                        core=it.core,
                        na_allowed=it.na_allowed,
                        evidence_expected=it.evidence,
                        method=it.method,
                        grades=g,
                        remarks=remarks.get(it.code, {}),
                        evidence=evidence.get(it.code, []),
                        differs=differs,
                    )
                )
            sections.append(FormSection(sec.code, sec.title, items))
        every = [it for sec in sections for it in sec.items]
        graded = sum(1 for it in every if it.grades.get(level))
        chapters.append(FormChapter(ch.code, ch.title, sections, graded, len(every)))
    return chapters


def scale_choices(submission: Submission) -> list[tuple[str, str]]:
    spec = spec_for(submission)
    return [(g.grade, f"{g.grade} {g.label}".strip()) for g in spec.scale]


# --- what a user may read of one submission -----------------------------------------------------
# The pages and the API both ask these functions, so that they show the same thing to
# every role. The rule (``scope.is_party_to``): the institution under review (its staff,
# anyone employed there or sitting below it) reads its own self-assessment, and a review
# level (county, re-check) only once that level is approved: never a reviewer's draft
# grades, remarks, verdict, findings or name. Everyone else who sees the submission
# reads every level.


def readable_levels(user, sub: Submission) -> list[str]:
    """The levels whose grades, remarks, verdict, findings and reviewer ``user`` reads."""
    party = scope.is_party_to(user, sub.institution)
    return [lv for lv in LEVEL_ORDER if lv == Level.SELF or not party or sub.locked_at(lv)]


def can_read_level(user, sub: Submission, level: str) -> bool:
    return Level(level) in readable_levels(user, sub)


def editable_level(user, sub: Submission) -> str | None:
    """The level whose grades ``user`` may edit now, if any."""
    from jiceng.assessments.actions import LEVEL_ACTION, LEVEL_OPEN_STAGES

    for level in LEVEL_ORDER:
        if (
            sub.stage in LEVEL_OPEN_STAGES[level]
            and not sub.locked_at(level)
            and scope.can(user, LEVEL_ACTION[level], sub.institution)
        ):
            return level
    return None


def why_not_editable(user, sub: Submission) -> str:
    """Why ``user`` does not get a grading form for ``sub`` now (empty if they do).

    Follows the rules of :func:`editable_level`: the role's action in ``core.scope`` (which
    refuses reviewers on their own institution) and the stages in which each level is open.
    """
    from jiceng.accounts.models import Role
    from jiceng.assessments.actions import LEVEL_ACTION, LEVEL_OPEN_STAGES

    if editable_level(user, sub) is not None:
        return ""
    level = {
        Role.INSTITUTION_STAFF: Level.SELF,
        Role.COUNTY_REVIEWER: Level.COUNTY,
        Role.CITY_REVIEWER: Level.RECHECK,
        Role.PROVINCE_REVIEWER: Level.RECHECK,
    }.get(getattr(user, "role", None))
    inst, stage = sub.institution.name, sub.get_stage_display()
    if level is None or scope.is_global(user):
        return _(
            "You read this form but do not grade it: institutions assess themselves, "
            "county reviewers review them, city and province reviewers re-check them."
        )
    if not scope.can(user, LEVEL_ACTION[level], sub.institution):
        if level == Level.SELF:
            return _("Only the staff of %(inst)s fill in its self-assessment.") % {"inst": inst}
        return _(
            "You work at %(inst)s: nobody reviews their own institution. "
            "Another reviewer of the region does it."
        ) % {"inst": inst}
    if sub.stage == Stage.PUBLISHED:
        return _(
            "The verdict of %(inst)s is published: its grades are final. A published verdict "
            "is reviewed by a look-back, not re-graded."
        ) % {"inst": inst}
    position = LEVEL_ORDER.index(level)
    if sub.stage in LEVEL_OPEN_STAGES[level] and sub.locked_at(level):
        return _(
            "The %(level)s is approved and locked (stage: %(stage)s); it can be re-opened "
            "by an administrator or a city or province reviewer."
        ) % {"level": Level(level).label, "stage": stage}
    earlier = (
        any(sub.stage in LEVEL_OPEN_STAGES[lv] for lv in LEVEL_ORDER[:position])
        or sub.stage == Stage.COUNTY_PASSED
    )
    if level == Level.COUNTY and sub.stage in LEVEL_OPEN_STAGES[Level.SELF]:
        return _(
            "%(inst)s has not submitted its self-assessment yet (stage: %(stage)s); the "
            "county review opens when it does."
        ) % {"inst": inst, "stage": stage}
    if level == Level.RECHECK and earlier and not sub.recheck_locked:
        return _(
            "The re-check opens only when %(inst)s needs one or is chosen for the re-check "
            "sample after the county review (stage: %(stage)s)."
        ) % {"inst": inst, "stage": stage}
    return _(
        "The %(level)s is finished (stage: %(stage)s); approved grades are locked and can "
        "be re-opened by an administrator or a city or province reviewer."
    ) % {"level": Level(level).label, "stage": stage}


def shown_verdict_level(user, sub: Submission, editing: str | None = None) -> str:
    """The level whose verdict (with reasons) is shown: the one the user edits now, else
    the deciding level, else the last level before it that the user reads."""
    editing = editing or editable_level(user, sub)
    wanted = Level(editing or sub.final_level())
    readable = readable_levels(user, sub)
    for lv in reversed(LEVEL_ORDER[: LEVEL_ORDER.index(wanted) + 1]):
        if lv in readable:
            return lv
    return Level.SELF


def submission_facts(user, sub: Submission) -> dict[str, Any]:
    """Stored verdicts per level, the deciding level and the reviewers, as ``user`` reads them."""
    readable = readable_levels(user, sub)
    stored = {
        Level.SELF: sub.self_verdict,
        Level.COUNTY: sub.county_verdict,
        Level.RECHECK: sub.recheck_verdict,
    }
    verdicts = {lv.value: (stored[lv] if lv in readable else "") for lv in LEVEL_ORDER}
    final = Level(sub.final_level())
    return {
        "verdicts": verdicts,
        "verdict_labels": {lv: str(verdict_label(v)) if v else "" for lv, v in verdicts.items()},
        "final_level": final.value if final in readable else shown_verdict_level(user, sub),
        "county_reviewer": sub.county_reviewer if Level.COUNTY in readable else None,
        "rechecker": sub.rechecker if Level.RECHECK in readable else None,
    }


def readable_findings(user, sub: Submission):
    """Findings and comments ``user`` reads: those of readable levels, and return comments
    (they are addressed to the institution)."""
    from django.db.models import Q

    from jiceng.assessments.models import Finding

    return sub.findings.filter(
        Q(level__in=readable_levels(user, sub)) | Q(kind=Finding.Kind.RETURN)
    ).select_related("author")


def readable_evidence(user, sub: Submission):
    """Evidence files ``user`` reads: those uploaded at a level they read."""
    return sub.evidence.filter(level__in=readable_levels(user, sub))


def readable_grades(user, sub: Submission) -> dict[str, dict[str, str]]:
    """Level → item → grade for every level; levels ``user`` may not read are empty."""
    readable = readable_levels(user, sub)
    return {lv.value: (sub.grades_at(lv) if lv in readable else {}) for lv in LEVEL_ORDER}


# --- what a user may see -----------------------------------------------------------------------


def visible_submissions(user):
    return scope.filter_by_node(
        user, Submission.objects.select_related("institution", "cycle", "catalog"), "institution"
    )


def visible_cycles(user):
    """Cycles whose region the user sees, or which cover the user's part of the tree."""
    qs = Cycle.objects.select_related("region")
    if scope.is_global(user):
        return qs
    root = scope.scope_root(user)
    if root is None:
        return qs.none()
    ancestors = [a.pk for a in root.ancestors(include_self=True)]
    from django.db.models import Q

    return qs.filter(Q(region__path__startswith=root.path) | Q(region_id__in=ancestors))


def waiting_for(user):
    """Submissions in the user's sight that wait for this user's role to act."""
    from jiceng.accounts.models import Role

    subs = visible_submissions(user).exclude(cycle__closed=True)
    if user.role == Role.INSTITUTION_STAFF:
        stages = [Stage.DRAFT, Stage.RETURNED]
        action = scope.Action.SELF_ASSESS
    elif user.role == Role.COUNTY_REVIEWER:
        stages = [Stage.SUBMITTED]
        action = scope.Action.REVIEW
    elif user.role in {Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER}:
        stages = [Stage.RECHECK_PENDING]
        action = scope.Action.RECHECK
    else:
        return []
    subs = subs.filter(stage__in=stages).order_by("institution__path", "cycle__year")
    return [s for s in subs if scope.can(user, action, s.institution)]


# --- progress board ----------------------------------------------------------------------------


def late_reason(sub: Submission, today: dt.date) -> str:
    """Why a submission is late (empty if it is not)."""
    c = sub.cycle
    if sub.stage in {Stage.DRAFT, Stage.RETURNED} and c.self_deadline and today > c.self_deadline:
        return _("self-assessment overdue since %(d)s") % {"d": c.self_deadline}
    if sub.stage == Stage.SUBMITTED and c.county_deadline and today > c.county_deadline:
        return _("county review overdue since %(d)s") % {"d": c.county_deadline}
    if sub.stage == Stage.RECHECK_PENDING and c.recheck_deadline and today > c.recheck_deadline:
        return _("re-check overdue since %(d)s") % {"d": c.recheck_deadline}
    return ""


def county_of(node: Node) -> Node | None:
    for a in node.ancestors(include_self=True).reverse():
        if a.kind == Kind.COUNTY:
            return a
    return None


def progress_board(user, region: Node, year: int, today: dt.date | None = None) -> dict:
    """Per county of ``region``: how many institutions are at each stage, and who is late."""
    today = today or timezone.localdate()
    subs = list(
        visible_submissions(user)
        .filter(cycle__year=year, institution__path__startswith=region.path)
        .select_related("cycle")
        .order_by("institution__path")  # the late list is paged: a stable order
    )
    counties: dict[int, dict] = {}
    late = []
    totals = Counter()
    county_of = counties_by_path(sub.institution.path for sub in subs)
    for sub in subs:
        county = county_of[sub.institution.path]
        key = county.pk if county else 0
        row = counties.setdefault(
            key, {"county": county, "stages": Counter(), "total": 0, "late": 0}
        )
        row["stages"][sub.stage] += 1
        row["total"] += 1
        totals[sub.stage] += 1
        reason = late_reason(sub, today)
        if reason:
            row["late"] += 1
            late.append({"submission": sub, "county": county, "reason": reason})
    rows = sorted(counties.values(), key=lambda r: r["county"].code if r["county"] else "")
    stages = [(s.value, s.label) for s in Stage]
    for r in rows:
        r["cells"] = [r["stages"].get(s, 0) for s, _label in stages]
    return {
        "stages": stages,
        "rows": rows,
        "totals": [totals.get(s, 0) for s, _label in stages],
        "stage_totals": [(label, totals.get(s, 0)) for s, label in stages],
        "total": sum(totals.values()),
        "late": late,
    }


def counties_by_path(paths: Iterable[str]) -> dict[str, Node | None]:
    """The county above (or at) each tree path, in one query whatever the number of paths."""
    paths = set(paths)
    ids = {i for path in paths for i in path_ids(path)}
    counties = {c.pk: c for c in Node.objects.filter(pk__in=ids, kind=Kind.COUNTY)}
    out: dict[str, Node | None] = {}
    for path in paths:
        found = [counties[i] for i in path_ids(path) if i in counties]
        out[path] = found[0] if found else None
    return out


# --- publication -------------------------------------------------------------------------------


def publication_table(region: Node, year: int) -> dict:
    """The published list of ``region`` for ``year`` with counts and percentages.

    Rows come from the verdict records of that year's cycles (withdrawn ones included,
    marked); counts use the verdict as published.
    """
    records = list(
        VerdictRecord.objects.filter(cycle__year=year, institution__path__startswith=region.path)
        .select_related("institution", "cycle", "submission")
        .order_by("institution__path")
    )
    county_of = counties_by_path(r.institution.path for r in records)
    rows = []
    by_county: dict[str, Counter] = defaultdict(Counter)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    overall = Counter()
    for r in records:
        county = county_of[r.institution.path]
        rows.append({"record": r, "county": county})
        cname = county.name if county else "-"
        by_county[cname][r.verdict] += 1
        by_kind[r.institution.get_kind_display()][r.verdict] += 1
        overall[r.verdict] += 1

    def table(groups: dict[str, Counter]) -> list[dict]:
        out = []
        for name in sorted(groups):
            c = groups[name]
            total = sum(c.values())
            out.append(
                {
                    "name": name,
                    "total": total,
                    "counts": [c.get(v, 0) for v in VERDICT_ORDER],
                    "percents": [_pct(c.get(v, 0), total) for v in VERDICT_ORDER],
                }
            )
        return out

    total = sum(overall.values())
    headline = [
        {
            "verdict": v,
            "label": verdict_label(v),
            "count": overall.get(v, 0),
            "percent": _pct(overall.get(v, 0), total),
        }
        for v in VERDICT_ORDER
    ]
    return {
        "region": region,
        "year": year,
        "publication": Publication.objects.filter(region=region, year=year).first(),
        "published_here": Publication.objects.filter(
            year=year, region__path__startswith=region.path
        ).exists(),
        "rows": rows,
        "total": total,
        "headline": headline,
        "verdict_labels": [verdict_label(v) for v in VERDICT_ORDER],
        "by_county": table(by_county),
        "by_kind": table(by_kind),
    }


def headline_sentence(table: dict) -> str:
    """ "3 institutions reached the recommended standard, 12.5% of all" and the rest."""
    parts = []
    for h in table["headline"]:
        parts.append(
            _("%(n)s institutions: %(label)s, %(pct)s%% of all")
            % {"n": h["count"], "label": h["label"], "pct": h["percent"]}
        )
    return "；".join(parts)


def _pct(n: int, total: int) -> float:
    return round(100 * n / total, 1) if total else 0.0


# --- history -----------------------------------------------------------------------------------


def verdict_history(institution: Node) -> list[dict]:
    """Every published verdict of an institution, newest first, with its look-backs."""
    records = (
        VerdictRecord.objects.filter(institution=institution)
        .select_related("cycle", "publication")
        .prefetch_related("lookbacks")
        .order_by("-cycle__year", "-valid_from", "-id")
    )
    today = timezone.localdate()
    out = []
    for r in records:
        tiers = []
        for name, t in (r.reasons or {}).get("tiers", {}).items():
            tiers.append(
                {
                    "label": _("Basic standard") if name == "basic" else _("Recommended standard"),
                    "met": t.get("met"),
                    "applicable": t.get("applicable"),
                    "percent": round(100 * t["ratio"], 1) if t.get("ratio") is not None else "-",
                    "failed_core": t.get("failed_core", []),
                }
            )
        out.append(
            {
                "record": r,
                "tiers": tiers,
                "gap": (r.reasons or {}).get("next_tier_gap", []),
                "lookbacks": list(r.lookbacks.all()),
                "expired": r.valid_until < today,
                "current": r.status != VerdictRecord.Status.WITHDRAWN
                and r.valid_from <= today <= r.valid_until,
            }
        )
    return out


def current_verdict(institution: Node) -> VerdictRecord | None:
    """The institution's verdict in force today: the newest valid, not withdrawn."""
    today = timezone.localdate()
    return (
        VerdictRecord.objects.filter(
            institution=institution, valid_from__lte=today, valid_until__gte=today
        )
        .exclude(status=VerdictRecord.Status.WITHDRAWN)
        .order_by("-valid_from", "-id")
        .first()
    )


VERDICT_CHOICES = VerdictValue
