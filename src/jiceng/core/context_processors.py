"""Template context shared by every page: the navigation of the signed-in user."""

from jiceng.core import nav


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    return {
        "nav_items": nav.items_for(user, request.path),
        "scope_root": user.node,
    }
