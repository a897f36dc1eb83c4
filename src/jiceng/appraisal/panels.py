"""Home panel: 待答复的申诉, the appeals waiting for an appraiser's answer."""

from __future__ import annotations

from jiceng.appraisal.models import Appeal
from jiceng.core import scope
from jiceng.core.home import register_panel

APPRAISER_ROLES = ("admin", "county_reviewer", "city_reviewer", "province_reviewer")


@register_panel(order=20)
def appeals_waiting(request):
    """Appraisers: unanswered appeals against appraisals of their region and below."""
    user = request.user
    root = scope.scope_root(user)
    if user.role not in APPRAISER_ROLES or root is None or root.is_institution:
        return None
    waiting = Appeal.objects.filter(
        answered_at__isnull=True, appraisal__region__path__startswith=root.path
    ).select_related("unit", "appraisal__scheme")
    appeals = list(waiting.order_by("filed_at", "id")[:10])
    if not appeals:
        return None
    return {"template": "appraisal/panels/appeals.html", "appeals": appeals, "n": waiting.count()}
