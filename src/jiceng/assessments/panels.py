"""Home panels of the evaluation cycle: my self-assessment, what waits for me, progress."""

from __future__ import annotations

from django.utils import timezone

from jiceng.accounts.models import Role
from jiceng.assessments import queries
from jiceng.assessments.models import Cycle, Stage, Submission
from jiceng.core import pagecache, scope
from jiceng.core.home import register_panel


@register_panel(order=16, cached=True, kinds=(pagecache.DATA, pagecache.GRADES))
def my_self_assessment(request):
    """Institution staff: the stage and deadline of their self-assessments this year."""
    user = request.user
    inst = user.home_institution
    if user.role != Role.INSTITUTION_STAFF or inst is None:
        return None
    subs = list(
        Submission.objects.filter(institution=inst, cycle__closed=False)
        .select_related("cycle", "institution")
        .order_by("-cycle__year")[:3]
    )
    if not subs:
        return None
    today = timezone.localdate()
    rows = [
        {
            "sub": s,
            "editable": s.stage in {Stage.DRAFT, Stage.RETURNED},
            "late": queries.late_reason(s, today),
            "missing": len(_missing(s)) if s.stage in {Stage.DRAFT, Stage.RETURNED} else 0,
        }
        for s in subs
    ]
    return {"template": "assessments/panels/mine.html", "rows": rows}


def _missing(sub):
    from jiceng.assessments.actions import missing_items

    try:
        return missing_items(sub, "self")
    except Exception:  # a catalog that no longer parses must not break the home page
        return []


@register_panel(order=17, cached=True, kinds=(pagecache.DATA,))
def waiting_for_me(request):
    """Reviewers: submissions waiting for their review or re-check."""
    user = request.user
    if user.role not in {Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER}:
        return None
    waiting = queries.waiting_for(user)
    return {
        "template": "assessments/panels/waiting.html",
        "waiting": waiting[:15],
        "n": len(waiting),
    }


@register_panel(order=18, cached=True, kinds=(pagecache.DATA,))
def cycle_progress(request):
    """Administrators and analysts: progress of the latest cycle in their region."""
    user = request.user
    if user.role not in {Role.ADMIN, Role.ANALYST} and not scope.is_global(user):
        return None
    region = user.node
    if region is None:
        return None
    cycle = queries.visible_cycles(user).order_by("-year").first()
    if cycle is None:
        return None
    board = queries.progress_board(user, region, cycle.year)
    if not board["total"]:
        return None
    return {
        "template": "assessments/panels/progress.html",
        "wide": True,
        "board": board,
        "region": region,
        "year": cycle.year,
        "cycles": Cycle.objects.filter(year=cycle.year).count(),
    }
