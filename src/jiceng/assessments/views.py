"""Pages of the evaluation cycle: cycles, the grading forms and their actions.

Reports (publication, consistency, progress, verdict history) are in ``views_reports``.
Every page finds its objects through ``jiceng.core.scope``: what the user cannot see is
404, what they may see but not do is 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.accounts.models import Role
from jiceng.assessments import actions, queries
from jiceng.assessments.forms import (
    FindingForm,
    ImportForm,
    OpenCycleForm,
    ReopenForm,
    ReturnForm,
)
from jiceng.assessments.models import LEVEL_ORDER, Cycle, Evidence, Level, Stage, Submission
from jiceng.core import feedback, pagecache, paging, scope
from jiceng.core.errors import UserError
from jiceng.core.evidence import attachment
from jiceng.orgs.models import Node


def _flash(request, exc: UserError, sub: Submission | None = None) -> None:
    """One message for the error; with ``sub``, items are named by code and title."""
    feedback.flash(request, exc, items=_item_labels(sub) if sub else None)


def _item_labels(sub: Submission) -> dict[str, str]:
    """Each item's code and the start of its text, as a problem list names it."""
    return {
        item.code: f"{item.code} {Truncator(item.text).chars(30)}"
        for item in queries.spec_for(sub).items
    }


def get_submission(user, pk: int) -> Submission:
    """The submission if the user sees its institution, else 404."""
    sub = get_object_or_404(
        Submission.objects.select_related("institution", "cycle", "cycle__region", "catalog"),
        pk=pk,
    )
    if not scope.can_see(user, sub.institution):
        raise Http404
    return sub


editable_level = queries.editable_level


def get_editable(user, pk: int) -> tuple[Submission, str]:
    """The submission and the level the user may fill in now; 404 out of sight, else 403."""
    sub = get_submission(user, pk)
    level = editable_level(user, sub)
    if level is None:
        raise PermissionDenied
    return sub, level


def shown_levels(user, sub: Submission, editing: str | None) -> list[str]:
    """Columns of the form: the level being edited, and every level the user reads
    (``queries.readable_levels``) that has grades."""
    readable = queries.readable_levels(user, sub)
    out = []
    for level in LEVEL_ORDER:
        if level == editing:
            out.append(level)
            continue
        if level not in readable:
            continue
        if level == Level.SELF or sub.grades.filter(level=level).exists():
            out.append(level)
    return out


# --- cycles ------------------------------------------------------------------------------------


def _open_regions(user) -> list[Node]:
    nodes = scope.visible_nodes(user).filter(kind__in=["province", "city", "county"])
    return [n for n in nodes.order_by("path")[:500] if scope.can(user, scope.Action.OPEN_CYCLE, n)]


@login_required
def index(request):
    user = request.user
    cycles, cycles_query = paging.page_of(
        request, queries.visible_cycles(user).order_by("-year", "region__path"), param="cycles"
    )
    page, page_query = paging.page_of(request, queries.waiting_for(user))
    return render(
        request,
        "assessments/index.html",
        {
            "cycles": cycles,
            "cycles_query": cycles_query,
            "waiting": page.object_list,
            "page": page,
            "query": page_query,
            "can_open": pagecache.cached(
                request,
                "assessments.can_open",
                pagecache.region_path(user),
                lambda: bool(_open_regions(user)),
                kinds=(pagecache.DATA,),
            ),
            "own": _own_submissions(user),
        },
    )


def _own_submissions(user):
    inst = user.home_institution
    if user.role != Role.INSTITUTION_STAFF or inst is None:
        return []
    return list(
        Submission.objects.filter(institution__path__startswith=inst.path)
        .select_related("cycle", "institution")
        .order_by("-cycle__year", "institution__path")[:50]
    )


@login_required
def open_cycle(request):
    regions = _open_regions(request.user)
    if not regions:
        raise PermissionDenied
    form = OpenCycleForm(request.POST or None, regions=regions, user=request.user)
    if request.method == "POST" and form.is_valid():
        region = scope.access_node(
            request.user, form.cleaned_data["region"], scope.Action.OPEN_CYCLE
        )
        try:
            cycle = actions.do_open_cycle(
                request.user,
                region,
                form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                catalogs=form.catalogs(),
                self_deadline=form.cleaned_data["self_deadline"],
                county_deadline=form.cleaned_data["county_deadline"],
                recheck_deadline=form.cleaned_data["recheck_deadline"],
                validity_years=form.cleaned_data["validity_years"],
            )
        except UserError as exc:
            _flash(request, exc)
        else:
            messages.success(request, _("The cycle is open."))
            return redirect("assessments:cycle", cycle.pk)
    return render(request, "assessments/open_cycle.html", {"form": form})


def get_cycle(user, pk: int) -> Cycle:
    cycle = get_object_or_404(queries.visible_cycles(user), pk=pk)
    return cycle


@login_required
def cycle_detail(request, pk: int):
    user = request.user
    cycle = get_cycle(user, pk)
    subs = (
        queries.visible_submissions(user)
        .filter(cycle=cycle)
        .select_related("county_reviewer", "rechecker")
        .order_by("institution__path")
    )
    stage = request.GET.get("stage", "")
    if stage:
        subs = subs.filter(stage=stage)
    page, page_query = paging.page_of(request, subs)
    subs = list(page.object_list)
    for s in subs:
        s.facts = queries.submission_facts(user, s)
    can_sample = [
        s
        for s in subs
        if s.stage == Stage.COUNTY_PASSED and scope.can(user, scope.Action.RECHECK, s.institution)
    ]
    # The boards open on the cycle's region, or (for a unit's own staff, who do not
    # see the whole region) on the user's own unit.
    board_region = cycle.region if scope.can_see(user, cycle.region) else None
    query = f"year={cycle.year}"
    return render(
        request,
        "assessments/cycle.html",
        {
            "cycle": cycle,
            "subnav_query": f"region={board_region.code}&{query}" if board_region else query,
            "subs": subs,
            "page": page,
            "query": page_query,
            "stage": stage,
            "stages": Stage.choices,
            "can_sample": {s.pk for s in can_sample},
            "catalogs": _catalogs_of(cycle),
        },
    )


def _catalogs_of(cycle: Cycle) -> list[dict]:
    """Each catalog of the cycle once, with the institution types graded against it."""
    from jiceng.orgs.models import Kind

    out: dict[int, dict] = {}
    for cc in cycle.catalogs.select_related("catalog").order_by("catalog__code", "kind"):
        entry = out.setdefault(cc.catalog_id, {"catalog": cc.catalog, "kinds": []})
        entry["kinds"].append(Kind(cc.kind).label if cc.kind in Kind.values else cc.kind)
    return list(out.values())


@login_required
@require_POST
def select_for_recheck(request, pk: int):
    cycle = get_cycle(request.user, pk)
    ids = [int(x) for x in request.POST.getlist("submission") if x.isdigit()]
    subs = [get_submission(request.user, i) for i in ids]
    subs = [s for s in subs if s.cycle_id == cycle.pk]
    try:
        actions.do_select_for_recheck(request.user, subs)
    except UserError as exc:
        _flash(request, exc)
    else:
        messages.success(
            request, _("%(n)s institutions were chosen for re-check.") % {"n": len(subs)}
        )
    return redirect("assessments:cycle", cycle.pk)


# --- one submission ----------------------------------------------------------------------------


def _posted_grades(request, sub: Submission) -> tuple[dict[str, str], dict[str, str]]:
    spec = queries.spec_for(sub)
    grades, remarks = {}, {}
    for item in spec.items:
        if f"g-{item.code}" in request.POST:
            grades[item.code] = request.POST.get(f"g-{item.code}", "")
        if f"r-{item.code}" in request.POST:
            remarks[item.code] = request.POST.get(f"r-{item.code}", "")
    return grades, remarks


def _version(request) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _save_posted(request, sub: Submission, editing: str):
    """Save the grades and remarks posted with the grading form, if any.

    Returns ``(submission, posted, errors)``: on a refused save ``errors`` (the feedback) says why and
    ``posted`` (None after a stale version) holds what the user entered, to show it again.
    """
    grades, remarks = _posted_grades(request, sub)
    if not grades and not remarks:
        return sub, None, None
    try:
        sub = actions.do_save_grades(
            request.user, sub, editing, grades, remarks, version=_version(request)
        )
    except actions.StaleVersion as exc:
        return get_submission(request.user, sub.pk), None, feedback.summarize(exc)
    except UserError as exc:
        errors = feedback.summarize(exc, items=_item_labels(sub))
        return sub, {"grades": grades, "remarks": remarks}, errors
    return sub, None, None


def _item_anchor(sub: Submission, code: str = "") -> str:
    url = reverse("assessments:submission", args=[sub.pk])
    return f"{url}#item-{code}" if code else url


@login_required
def submission_page(request, pk: int):
    user = request.user
    sub = get_submission(user, pk)
    editing = editable_level(user, sub)
    posted: dict[str, dict[str, str]] | None = None
    errors = None
    if request.method == "POST":
        if editing is None:
            raise PermissionDenied
        step = request.POST.get("step", "save")
        sub, posted, errors = _save_posted(request, sub, editing)
        if not errors:
            messages.success(request, _("The draft is saved."))
            if request.FILES:  # files chosen in items' rows but not uploaded yet
                _upload_chosen(request, sub, editing)
            if step != "save":
                try:
                    sub = _advance(user, sub, editing, step, request.POST.get("finding", ""))
                except UserError as exc:
                    _flash(request, exc, sub)
                else:
                    messages.success(request, _STEP_DONE[step])
                    if step == "submit" and sub.submitted_late:
                        messages.warning(request, _late_notice(sub))
            return redirect("assessments:submission", sub.pk)
    return render(
        request, "assessments/submission.html", _submission_context(request, sub, posted, errors)
    )


def _late_notice(sub: Submission) -> str:
    return _(
        "Submitted after the self-assessment deadline of %(deadline)s. It is accepted, "
        "and the reviewers see it marked as submitted late."
    ) % {"deadline": sub.cycle.self_deadline.isoformat()}


@login_required
@require_POST
def save_draft(request, pk: int):
    """Save one item's grade (and remark) as the user goes: the form's autosave (JSON)."""
    sub, editing = get_editable(request.user, pk)
    code = request.POST.get("item", "").strip()
    remark = request.POST.get("remark") if "remark" in request.POST else None
    try:
        sub = actions.do_save_draft_grade(
            request.user,
            sub,
            editing,
            code,
            request.POST.get("grade", ""),
            remark,
            version=_version(request),
        )
    except actions.StaleVersion as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except UserError as exc:
        return JsonResponse({"error": feedback.summarize(exc).text()}, status=400)
    return JsonResponse(
        {
            "item": code,
            "version": sub.version,
            "saved": _("Saved %(time)s") % {"time": timezone.localtime().strftime("%H:%M:%S")},
        }
    )


@login_required
@require_POST
def adopt_grades(request, pk: int):
    """A reviewer adopts the grades of the level before theirs for a chapter or every item."""
    sub, editing = get_editable(request.user, pk)
    sub, posted, errors = _save_posted(request, sub, editing)
    if errors:
        return render(
            request,
            "assessments/submission.html",
            _submission_context(request, sub, posted, errors),
        )
    chapter = request.POST.get("chapter", "").strip()
    try:
        sub, filled = actions.do_adopt_grades(
            request.user, sub, editing, chapter, version=sub.version
        )
    except UserError as exc:
        _flash(request, exc)
    else:
        messages.success(
            request,
            _("%(n)s items took over the grades of the level before; change any you disagree with.")
            % {"n": len(filled)},
        )
    url = reverse("assessments:submission", args=[sub.pk])
    return redirect(f"{url}#chapter-{chapter}" if chapter else url)


_STEP_DONE = {
    "submit": _("The self-assessment is submitted."),
    "pass": _("The county review is passed."),
    "complete": _("The re-check is complete."),
}


def _advance(user, sub: Submission, level: str, step: str, finding: str) -> Submission:
    sub = Submission.objects.get(pk=sub.pk)
    if step == "submit" and level == Level.SELF:
        return actions.do_submit(user, sub, version=sub.version)
    if step == "pass" and level == Level.COUNTY:
        return actions.do_pass_county(user, sub, version=sub.version, finding=finding)
    if step == "complete" and level == Level.RECHECK:
        return actions.do_complete_recheck(user, sub, version=sub.version, finding=finding)
    raise UserError(_("This step is not possible here."))


def _submission_context(request, sub: Submission, posted=None, errors=None) -> dict:
    user = request.user
    editing = editable_level(user, sub)
    levels = shown_levels(user, sub, editing)
    chapters = queries.form_rows(sub, editing or sub.final_level(), user)
    if posted:
        for ch in chapters:
            for sec in ch.sections:
                for item in sec.items:
                    if item.code in posted["grades"]:
                        item.grades = {**item.grades, editing: posted["grades"][item.code]}
                    if item.code in posted["remarks"]:
                        item.remarks = {**item.remarks, editing: posted["remarks"][item.code]}
    missing = set(actions.missing_items(sub, editing)) if editing else set()
    for ch in chapters:
        for sec in ch.sections:
            for item in sec.items:
                item.cells = [
                    {
                        "level": lv,
                        "grade": item.grades.get(lv, ""),
                        "remark": item.remarks.get(lv, ""),
                        "editing": lv == editing,
                        "label": Level(lv).label,
                    }
                    for lv in levels
                ]
                item.missing = item.code in missing
                item.notice = None
    verdict_level = queries.shown_verdict_level(user, sub, editing)
    notice = request.session.pop(NOTICE_KEY, None)
    if notice and notice.get("sub") == sub.pk:
        for ch in chapters:
            for sec in ch.sections:
                for item in sec.items:
                    item.notice = notice["items"].get(item.code)
    return {
        "sub": sub,
        "editing": editing,
        "editing_label": Level(editing).label if editing else "",
        "levels": [(lv, Level(lv).label) for lv in levels],
        "chapters": chapters,
        "scale": queries.scale_choices(sub),
        "na_label": _("NA (not applicable)"),
        "missing": [c for c in actions.missing_items(sub, editing)] if editing else [],
        "verdict": queries.verdict_reasons(sub, verdict_level),
        "verdicts": _level_verdicts(user, sub, levels),
        "findings": queries.readable_findings(user, sub),
        "errors": errors,
        # Items named by the refusal just shown (on this page or flashed before a redirect).
        "flagged": set(errors.flagged) if errors else feedback.flagged(request),
        "can_return": editing == Level.COUNTY,
        "can_reopen": scope.can(user, scope.Action.REOPEN, sub.institution)
        and sub.stage != Stage.PUBLISHED
        and any(sub.locked_at(lv) for lv in LEVEL_ORDER),
        "return_form": ReturnForm(),
        "finding_form": FindingForm(),
        "reopen_form": ReopenForm(),
        "import_form": ImportForm(),
        "history": queries.verdict_history(sub.institution),
        "why_not": queries.why_not_editable(user, sub),
        "adopt_from": Level(actions.ADOPT_FROM[editing]).label
        if editing in actions.ADOPT_FROM
        else "",
    }


def _level_verdicts(user, sub: Submission, levels) -> list[dict]:
    facts = queries.submission_facts(user, sub)
    return [
        {
            "level": Level(lv).label,
            "verdict": facts["verdicts"][lv],
            "label": facts["verdict_labels"][lv],
        }
        for lv in levels
    ]


@login_required
@require_POST
def return_submission(request, pk: int):
    sub = get_submission(request.user, pk)
    form = ReturnForm(request.POST)
    try:
        actions.do_return(
            request.user,
            sub,
            form.data.get("comment", ""),
            version=_version(request),
        )
    except UserError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("The submission was returned for changes."))
    return redirect("assessments:submission", sub.pk)


@login_required
@require_POST
def add_finding(request, pk: int):
    sub = get_submission(request.user, pk)
    level = editable_level(request.user, sub)
    if level is None or level == Level.SELF:
        raise PermissionDenied
    try:
        actions.do_add_finding(
            request.user,
            sub,
            level,
            request.POST.get("text", ""),
            request.POST.get("item_code", "").strip(),
        )
    except UserError as exc:
        _flash(request, exc, sub)
    else:
        messages.success(request, _("The finding is recorded."))
    return redirect("assessments:submission", sub.pk)


@login_required
@require_POST
def reopen(request, pk: int):
    sub = get_submission(request.user, pk)
    try:
        actions.do_reopen(
            request.user,
            sub,
            request.POST.get("level", ""),
            request.POST.get("reason", ""),
            version=_version(request),
        )
    except (UserError, ValueError) as exc:
        if isinstance(exc, UserError):
            _flash(request, exc)
        else:
            messages.error(request, _("Choose a level."))
    else:
        messages.success(request, _("The level was re-opened."))
    return redirect("assessments:submission", sub.pk)


def _upload_chosen(request, sub: Submission, level: str, first: str = "") -> None:
    """Upload the files chosen in the items' rows (``files-<code>``; ``first``, the item
    whose button was pressed, also takes plain ``files``); each item's outcome is kept for
    the next page, to be shown in its row."""
    item_map = queries.spec_for(sub).item_map
    codes = [first] if first else []
    codes += [
        key.removeprefix("files-")
        for key in request.FILES
        if key.startswith("files-") and key.removeprefix("files-") in item_map
    ]
    notices: dict[str, dict] = {}
    for item in dict.fromkeys(codes):
        files = request.FILES.getlist(f"files-{item}")
        if item == first:
            files = files or request.FILES.getlist("files")
        elif not files:
            continue
        try:
            evs = actions.do_upload_evidence(request.user, sub, level, item, files)
        except UserError as exc:
            notices[item] = {"kind": "error", "lines": feedback.summarize(exc).lines()}
        else:
            notices[item] = {
                "kind": "success",
                "lines": [_("%(n)s files uploaded.") % {"n": len(evs)}],
            }
    if notices:
        request.session[NOTICE_KEY] = {"sub": sub.pk, "items": notices}


NOTICE_KEY = "assessments.item_notice"


@login_required
@require_POST
def upload_evidence(request, pk: int):
    """Evidence for one item, uploaded from that item's row of the grading form.

    The row's button posts the whole form, so the grades entered so far are saved first
    and are never lost; the page comes back at the item with the outcome shown there.
    """
    sub, level = get_editable(request.user, pk)
    code = request.POST.get("item_code", "").strip()
    sub, posted, errors = _save_posted(request, sub, level)
    if errors:
        return render(
            request,
            "assessments/submission.html",
            _submission_context(request, sub, posted, errors),
        )
    _upload_chosen(request, sub, level, code)
    return redirect(_item_anchor(sub, code))


@login_required
@require_POST
def delete_evidence(request, pk: int, ev: int):
    sub = get_submission(request.user, pk)
    evidence = get_object_or_404(Evidence, pk=ev, submission=sub)
    try:
        actions.do_delete_evidence(request.user, evidence)
    except UserError as exc:
        _flash(request, exc)
    return redirect(_item_anchor(sub, evidence.item_code))


@login_required
def download_evidence(request, pk: int, ev: int):
    sub = get_submission(request.user, pk)
    evidence = get_object_or_404(queries.readable_evidence(request.user, sub), pk=ev)
    return attachment(
        request.user,
        evidence,
        file=evidence.file,
        name=evidence.original_name,
        kind=evidence.kind,
        node_path=sub.institution.path,
        details={"submission": sub.pk, "name": evidence.original_name},
    )


@login_required
def grades_template(request, pk: int):
    from jiceng.standards.excel import write_grades_template

    sub = get_submission(request.user, pk)
    data = write_grades_template(queries.spec_for(sub))
    response = HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="grades-{sub.institution.code}-{sub.cycle.year}.xlsx"'
    )
    return response


@login_required
@require_POST
def import_grades(request, pk: int):
    sub, level = get_editable(request.user, pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an Excel file."))
        return redirect("assessments:submission", sub.pk)
    f = form.cleaned_data["file"]
    try:
        actions.do_import_grades(
            request.user, sub, level, f.read(), f.name, version=_version(request)
        )
    except UserError as exc:
        _flash(request, exc, sub)
    else:
        messages.success(request, _("The grades were imported."))
    return redirect("assessments:submission", sub.pk)
