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
