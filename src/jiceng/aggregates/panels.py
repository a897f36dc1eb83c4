"""Home panel: 待填报, the forms waiting for institution staff."""

from __future__ import annotations

from jiceng.aggregates import queries
from jiceng.core.home import register_panel


@register_panel(order=18)
def forms_waiting(request):
    """Institution staff: forms of their units for ended periods not yet completed."""
    forms = queries.forms_to_fill(request.user)
    if not forms:
        return None
    return {"template": "aggregates/panels/waiting.html", "forms": forms}


@register_panel(order=19)
def forms_to_approve(request):
    """County reviewers and administrators: completed forms waiting for approval."""
    if request.user.role not in ("county_reviewer", "admin"):
        return None
    forms, n = queries.forms_to_approve(request.user, limit=10)
    if not forms:
        return None
    return {"template": "aggregates/panels/approve.html", "forms": forms, "n": n}
