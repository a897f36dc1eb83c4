"""Home panel: indicators below their target in the user's region (or institution)."""

from __future__ import annotations

from jiceng.accounts.models import Role
from jiceng.core import pagecache, scope
from jiceng.core.home import register_panel
from jiceng.indicators import queries


@register_panel(order=40, cached=True, kinds=(pagecache.DATA,))
def below_target(request):
    user = request.user
    node = user.home_institution if user.role == Role.INSTITUTION_STAFF else scope.scope_root(user)
    if node is None or not scope.can_see(user, node):
        return None
    period = queries.latest_year_period(node)
    if period is None:
        return None
    misses = queries.below_target(node, period, limit=12)
    return {
        "template": "indicators/panels/below_target.html",
        "node": node,
        "period": period,
        "misses": misses,
    }
