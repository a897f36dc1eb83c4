"""Report pages of the evaluation cycle: publication list, consistency, progress, history."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from jiceng.assessments import actions, queries
from jiceng.assessments.consistency import (
    grades_by_submission,
    group_consistency,
    institution_consistency,
)
from jiceng.assessments.excel import publication_workbook
from jiceng.assessments.forms import LookBackForm
from jiceng.assessments.models import (
    LEVEL_ORDER,
    Cycle,
    Level,
    Stage,
    Submission,
    VerdictRecord,
    VerdictValue,
)
from jiceng.core import audit, feedback, pagecache, paging, scope
from jiceng.core.errors import UserError
from jiceng.orgs import labels
from jiceng.orgs.models import Node


def _region_and_year(request) -> tuple[Node, int, list[int]]:
    """The region (default: the user's node) and year (default: the latest cycle's)."""
    user = request.user
    code = request.GET.get("region") or request.POST.get("region") or ""
    if code:
        region = scope.access_node(user, code, scope.Action.VIEW)
    else:
        region = user.node
        if region is None:
            region = Node.objects.filter(parent__isnull=True).order_by("code").first()
        if region is None or not scope.can_see(user, region):
            raise Http404
    years = sorted(
        set(queries.visible_cycles(user).values_list("year", flat=True)), reverse=True
    ) or [timezone.localdate().year]
    raw = request.GET.get("year") or request.POST.get("year") or ""
    year = int(raw) if raw.isdigit() else years[0]
    return region, year, years


def _regions(user) -> list[Node]:
    nodes = scope.visible_nodes(user).filter(kind__in=["province", "city", "county"])
    return labels.label_nodes(nodes.order_by("path")[:300], scope.scope_root(user))


# Where a submission without a final verdict waits, by the level that must act next.
_WAITING_AT = {
    Stage.DRAFT: Level.SELF,
    Stage.RETURNED: Level.SELF,
    Stage.SUBMITTED: Level.COUNTY,
    Stage.RECHECK_PENDING: Level.RECHECK,
}


def _readiness(region: Node, year: int) -> dict:
    """What publishing ``region``'s ``year`` list would take: the institutions with a final
    verdict (counted by verdict) and those without one, grouped by the level they wait at.

    Two queries whatever the size of the region: the submissions and their counties.
    """
    subs = list(
        actions.submissions_in(region, year)
        .select_related(None)
        .select_related("institution")
        .order_by("institution__path")
    )
    counties = queries.counties_by_path(s.institution.path for s in subs)

    def county_of(path: str) -> str:
        county = counties[path]
        return county.name if county else ""

    ready = [s for s in subs if s.stage in actions.READY_TO_PUBLISH]
    verdicts = Counter(s.final_verdict() for s in ready)
    groups = []
    for level in LEVEL_ORDER:
        waiting = [s for s in subs if _WAITING_AT.get(s.stage) == level]
        if waiting:
            groups.append(
                {
                    "level": Level(level).label,
                    "count": len(waiting),
                    "rows": [{"sub": s, "county": county_of(s.institution.path)} for s in waiting],
                }
            )
    return {
        "total": len(subs),
        "ready": len(ready),
        "pending": sum(g["count"] for g in groups),
        "groups": groups,
        "verdicts": [
            {"label": label, "count": verdicts[value]}
            for value, label in VerdictValue.choices
            if verdicts[value]
        ],
    }


@login_required
def publication(request):
    region, year, years = _region_and_year(request)
    table = queries.publication_table(region, year)
    # Only what the user sees is listed (an institution clerk sees their own rows).
    table["rows"] = [
        r for r in table["rows"] if scope.can_see(request.user, r["record"].institution)
    ]
    page, page_query = paging.page_of(request, table["rows"])
    can_publish = (
        scope.can(request.user, scope.Action.PUBLISH, region) and table["publication"] is None
    )
    return render(
        request,
        "assessments/publication.html",
        {
            "t": table,
            "page": page,
            "query": page_query,
            "region": region,
            "year": year,
            "years": years,
            "regions": _regions(request.user),
            "headline": queries.headline_sentence(table) if table["total"] else "",
            "can_publish": can_publish,
            "readiness": _readiness(region, year) if can_publish else None,
        },
    )


@login_required
@require_POST
def publish(request):
    """Publishing is two steps: the first POST shows what will be published and asks to
    confirm; the second (``confirmed=1``) publishes. A list with institutions still
    lacking a final verdict is refused at both steps, naming them in one message."""
    region, year, _years = _region_and_year(request)
    scope.require(request.user, scope.Action.PUBLISH, region)
    back = f"{reverse('assessments:publication')}?region={region.code}&year={year}"
    note = request.POST.get("note", "")
    if request.POST.get("confirmed") != "1":
        readiness = _readiness(region, year)
        if readiness["ready"] and not readiness["pending"]:
            return render(
                request,
                "assessments/publication_confirm.html",
                {"region": region, "year": year, "readiness": readiness, "note": note},
            )
    try:
        publication = actions.do_publish(request.user, region, year, note)
    except UserError as exc:
        feedback.flash(request, exc)
    else:
        n = publication.verdicts.count()
        messages.success(
            request,
            ngettext(
                "The list is published: %(n)s institution.",
                "The list is published: %(n)s institutions.",
                n,
            )
            % {"n": n},
        )
    return redirect(back)


@login_required
def publication_xlsx(request):
    region, year, _years = _region_and_year(request)
    table = queries.publication_table(region, year)
    table["rows"] = [
        r for r in table["rows"] if scope.can_see(request.user, r["record"].institution)
    ]
    page, page_query = paging.page_of(request, table["rows"])
    data = publication_workbook(table)
    audit.record_download(
        request.user,
        "publication_export",
        region,
        details={"year": year, "published": bool(table.get("published_here"))},
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="publication-{region.code}-{year}.xlsx"'
    )
    return response


@login_required
def consistency(request):
    region, year, years = _region_and_year(request)
    subs = list(
        queries.visible_submissions(request.user)
        .filter(cycle__year=year, institution__path__startswith=region.path)
        .select_related("county_reviewer", "rechecker", "catalog")
        .order_by("institution__path")
    )
    grades = grades_by_submission(subs)  # one query for every figure of the page
    county_of = queries.counties_by_path(s.institution.path for s in subs)

    def county_name(s: Submission):
        c = county_of[s.institution.path]
        return c.name if c else "-"

    user = request.user

    def reviewer_name(s: Submission):
        reviewer = queries.submission_facts(user, s)["county_reviewer"]
        return str(reviewer) if reviewer else None

    def readable(s: Submission):
        return queries.readable_levels(user, s)

    page, page_query = paging.page_of(request, [s for s in subs if s.county_locked])
    per_institution = [
        {
            "sub": s,
            "facts": queries.submission_facts(user, s),
            **institution_consistency(s, readable(s), grades[s.pk]),
        }
        for s in page.object_list
    ]
    return render(
        request,
        "assessments/consistency.html",
        {
            "region": region,
            "year": year,
            "years": years,
            "regions": _regions(request.user),
            "per_institution": per_institution,
            "page": page,
            "query": page_query,
            "per_county": group_consistency(subs, county_name, readable, grades),
            "per_reviewer": group_consistency(subs, reviewer_name, readable, grades),
        },
    )


@login_required
def progress(request):
    region, year, years = _region_and_year(request)
    board = pagecache.cached(
        request,
        "assessments.progress",
        region.path,
        lambda: queries.progress_board(request.user, region, year),
        vary=(year,),
        kinds=(pagecache.DATA,),
    )
    cycles = Cycle.objects.filter(year=year, region__path__startswith=region.path)
    page, page_query = paging.page_of(request, board["late"])
    return render(
        request,
        "assessments/progress.html",
        {
            "region": region,
            "year": year,
            "years": years,
            "regions": _regions(request.user),
            "board": board,
            "cycles": cycles,
            "page": page,
            "query": page_query,
        },
    )


@login_required
def history(request, code: str):
    institution = scope.access_node(request.user, code, scope.Action.VIEW)
    return render(
        request,
        "assessments/history.html",
        {
            "institution": institution,
            "history": queries.verdict_history(institution),
            "can_lookback": _may_lookback(request.user, institution),
            "form": LookBackForm(),
            "submissions": queries.visible_submissions(request.user)
            .filter(institution=institution)
            .order_by("-cycle__year"),
        },
    )


def _may_lookback(user, institution: Node) -> bool:
    return scope.can(user, scope.Action.REVIEW, institution) or scope.can(
        user, scope.Action.RECHECK, institution
    )


@login_required
@require_POST
def lookback(request, pk: int):
    record = get_object_or_404(VerdictRecord.objects.select_related("institution"), pk=pk)
    if not scope.can_see(request.user, record.institution):
        raise Http404
    form = LookBackForm(request.POST)
    date = form.cleaned_data.get("date") if form.is_valid() else None
    try:
        actions.do_lookback(
            request.user,
            record,
            request.POST.get("outcome", ""),
            request.POST.get("reason", ""),
            date,
        )
    except UserError as exc:
        feedback.flash(request, exc)
    else:
        messages.success(request, _("The look-back is recorded."))
    return redirect("assessments:history", record.institution.code)
