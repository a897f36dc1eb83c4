"""Home panels of the ledger: an institution's open items, a reviewer's items to verify,
and an administrator's overdue count."""

from __future__ import annotations

from django.utils import timezone

from jiceng.accounts.models import REVIEWER_ROLES, Role
from jiceng.core import pagecache, scope
from jiceng.core.home import register_panel
from jiceng.rectification import queries

SHOWN = 8


@register_panel(order=16, cached=True, kinds=(pagecache.DATA, pagecache.LEDGER))
def my_open_items(request):
    """Institution staff: their institution's entries not yet closed, overdue first."""
    user = request.user
    if user.role != Role.INSTITUTION_STAFF:
        return None
    inst = user.home_institution
    if inst is None:
        return None
    today = timezone.localdate()
    qs = queries.open_items_for(inst)
    counts = queries.summary(qs, today)
    if not counts["total"]:
        return None
    return {
        "template": "rectification/panels/open_items.html",
        "entries": list(qs[:SHOWN]),
        "counts": counts,
        "today": today,
        "institution": inst,
    }


@register_panel(order=18, cached=True, kinds=(pagecache.DATA, pagecache.LEDGER))
def to_verify(request):
    """Reviewers: entries reported fixed in their region, waiting for verification."""
    user = request.user
    if user.role not in REVIEWER_ROLES:
        return None
    qs = queries.awaiting_verification(user)
    total = qs.count()
    if not total:
        return None
    return {
        "template": "rectification/panels/to_verify.html",
        "entries": list(qs[:SHOWN]),
        "total": total,
    }


@register_panel(order=19, cached=True, kinds=(pagecache.DATA, pagecache.LEDGER))
def overview(request):
    """Administrators and analysts: open, overdue and closed entries of their region."""
    user = request.user
    if user.role not in (Role.ADMIN, Role.ANALYST) and not scope.is_global(user):
        return None
    today = timezone.localdate()
    counts = queries.summary(queries.visible_entries(user), today)
    if not counts["total"]:
        return None
    return {"template": "rectification/panels/overview.html", "counts": counts}
