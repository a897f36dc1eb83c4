"""The home panels core provides: the user's unit, their region, their institution,
and shortcuts for administrators. Other apps add theirs with ``register_panel``."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from jiceng.accounts.models import Role
from jiceng.core import pagecache, scope
from jiceng.core.home import register_panel
from jiceng.orgs.models import KIND_LEVEL, Kind, Node, NodeYear


def is_admin(user) -> bool:
    """Administrators of their node (or global superusers): users, audit, tree."""
    if scope.is_global(user):
        return True
    node = scope.scope_root(user)
    return node is not None and scope.can(user, scope.Action.MANAGE_USERS, node)


def _url(name: str, fallback: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


@register_panel(order=10, cached=True, kinds=(pagecache.DATA,))
def unit_card(request):
    """Where the user sits: name, type, code and the path above it."""
    user = request.user
    node = user.node
    inst = user.home_institution if user.role == Role.INSTITUTION_STAFF else None
    if node is not None and inst is not None and inst.pk == node.pk:
        return None  # the institution panel shows the same unit, with more
    return {
        "template": "core/panels/unit.html",
        "node": node,
        "ancestors": list(node.ancestors()) if node else [],
        "institution": user.institution if user.institution_id else None,
        "is_global": scope.is_global(user),
    }


def _kind_counts(nodes) -> list[dict]:
    rows = nodes.institutions().values("kind").annotate(n=Count("id"))
    counts = {r["kind"]: r["n"] for r in rows}
    kinds = sorted(counts, key=lambda k: (KIND_LEVEL[Kind(k)], k))
    return [{"kind": k, "label": Kind(k).label, "n": counts[k]} for k in kinds]


def _children_with_counts(parent: Node | None, within) -> list[dict]:
    children = list(
        Node.objects.filter(parent=parent).order_by("code")
        if parent
        else Node.objects.filter(parent__isnull=True).order_by("code")
    )
    if not children:
        return []
    agg = within.institutions().aggregate(
        **{f"c{c.pk}": Count("id", filter=Q(path__startswith=c.path)) for c in children}
    )
    return [{"node": c, "institutions": agg[f"c{c.pk}"]} for c in children]


@register_panel(order=20, cached=True, kinds=(pagecache.DATA,))
def region_summary(request):
    """For reviewers, analysts and administrators: what lies in their region."""
    user = request.user
    if user.role == Role.INSTITUTION_STAFF and not scope.is_global(user):
        return None
    root = user.node
    if root is None and not scope.is_global(user):
        return None
    nodes = scope.visible_nodes(user)
    return {
        "template": "core/panels/region.html",
        "wide": True,
        "root": root,
        "kind_counts": _kind_counts(nodes),
        "total": nodes.institutions().count(),
        "children": _children_with_counts(root, nodes),
    }


@register_panel(order=15, cached=True, kinds=(pagecache.DATA,))
def own_institution(request):
    """For institution staff: their institution and the units below it."""
    user = request.user
    if user.role != Role.INSTITUTION_STAFF:
        return None
    inst = user.home_institution
    if inst is None:
        return None
    year_row = (
        NodeYear.objects.filter(node__path__startswith=inst.path)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    figures = None
    if year_row:
        from jiceng.orgs.queries import population

        figures = {"year": year_row, **population(inst, year_row)}
    return {
        "template": "core/panels/institution.html",
        "institution": inst,
        "ancestors": list(inst.ancestors()),
        "children": list(inst.children.order_by("code")),
        "figures": figures,
    }


@register_panel(order=12)
def admin_shortcuts(request):
    """Links to the administrator's everyday pages."""
    if not is_admin(request.user):
        return None
    return {
        "template": "core/panels/admin.html",
        "import_url": _url("orgs:import", "/orgs/import/"),
        "users_url": reverse("accounts:users"),
        "audit_url": reverse("core:audit"),
    }
