"""Home panels: the role's dashboard (charts, each with the table behind it) and the pins."""

from __future__ import annotations

from jiceng.core.home import register_panel
from jiceng.insights import actions, dashboards


@register_panel(order=5, cached=True)
def role_dashboard(request):
    """Commissions: funnel, verdict shares, ledger ageing, targets, reporting rates;
    institutions: to-dos, indicators against targets and peers' median."""
    data = dashboards.for_user(request.user)
    if not data["charts"] and not data["todos"]:
        return None
    return {"template": "insights/panels/dashboard.html", "wide": True, **data}


@register_panel(order=6)
def pinned(request):
    """The user's pins and those published to them: links to the full dashboard."""
    pins = actions.dashboard_pins(request.user)
    if not pins:
        return None
    return {"template": "insights/panels/pins.html", "pins": pins}
