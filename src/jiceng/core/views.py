"""Home page per role, and the audit trail."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from jiceng.core import scope
from jiceng.core.models import AuditEvent
from jiceng.orgs import queries as org_queries


@login_required
def home(request):
    user = request.user
    root = user.node
    ctx = {"root": root}
    if root is not None:
        ctx["children"] = root.children.order_by("code")
        ctx["counts"] = org_queries.child_counts(root)
    return render(request, "core/home.html", ctx)


@login_required
def audit_trail(request):
    user = request.user
    if user.node is None and not scope.is_global(user):
        return render(request, "core/audit.html", {"page": None}, status=403)
    if not scope.is_global(user) and not scope.can(user, scope.Action.VIEW_AUDIT, user.node):
        return render(request, "core/audit.html", {"page": None}, status=403)
    events = AuditEvent.objects.select_related("actor")
    if not scope.is_global(user):
        events = events.filter(node_path__startswith=user.node.path)
    if object_type := request.GET.get("type"):
        events = events.filter(object_type=object_type)
    if object_id := request.GET.get("id"):
        events = events.filter(object_id=object_id)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"page": page})
