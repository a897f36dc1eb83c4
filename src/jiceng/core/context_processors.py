"""Template context shared by every page: the navigation of the signed-in user."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": _("Home"), "url": reverse("home")},
        {"label": _("Organisation tree"), "url": reverse("orgs:tree")},
    ]
    root = user.node
    if root is not None and scope.can(user, scope.Action.VIEW_AUDIT, root):
        items.append({"label": _("Audit trail"), "url": reverse("core:audit")})
    items.append({"label": _("API"), "url": "/api/v1/docs"})
    return {"nav_items": items, "scope_root": root}
