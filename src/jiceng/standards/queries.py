"""Reads of the standards app: which catalogs a user sees and manages, filtered item lists."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope
from jiceng.orgs import labels
from jiceng.orgs.models import Node
from jiceng.standards.models import Catalog, Item


def can_manage_catalogs(user) -> bool:
    """Whether the user may load catalogs at all (for their own region or one below)."""
    if scope.is_global(user):
        return True
    root = scope.scope_root(user)
    return root is not None and scope.can_manage_catalog(user, root)


OWNER_KINDS = ("province", "city", "county")


def owner_choices(user) -> list[tuple[str, str]]:
    """Regions a catalog loaded by ``user`` may belong to: their node first, then below.

    Global superusers may also load a national catalog (value "").
    """
    out: list[tuple[str, str]] = []
    if scope.is_global(user):
        out.append(("", str(_("National (applies everywhere)"))))
        nodes = Node.objects.filter(kind__in=OWNER_KINDS).order_by("path")[:500]
    else:
        root = scope.scope_root(user)
        if root is None or not scope.can_manage_catalog(user, root):
            return out
        below = scope.visible_nodes(user).filter(kind__in=OWNER_KINDS).exclude(pk=root.pk)
        nodes = [root, *below.order_by("path")[:500]]
    out.extend(labels.choices(nodes, scope.scope_root(user)))
    return out


def owner_from_code(user, code: str) -> Node | None:
    """The owner region named by ``code`` ("": the user's own node, or national for a global
    superuser); 404 when out of sight, 403 when the user may not manage catalogs there."""
    if not code:
        if scope.is_global(user):
            return None
        code = user.node.code if user.node_id else ""
    node = scope.access_node(user, code, scope.Action.VIEW)
    if not scope.can_manage_catalog(user, node):
        raise PermissionDenied("not an administrator of this region")
    return node


def catalogs(user) -> QuerySet[Catalog]:
    """The catalogs ``user`` sees (those applying to their node and those below it)."""
    qs = Catalog.objects.select_related("owner").annotate(
        n_items=Count("items"),
        n_core=Count("items", filter=Q(items__core=True)),
    )
    return scope.visible_catalogs(user, qs).order_by("-active", "code", "-loaded_at")


def get_catalog(user, pk: int) -> Catalog:
    """One catalog the user sees, else 404 (its existence is not revealed)."""
    catalog = scope.visible_catalogs(
        user, Catalog.objects.select_related("owner").filter(pk=pk)
    ).first()
    if catalog is None:
        raise Http404("catalog not found")
    return catalog


def filter_items(catalog: Catalog, params) -> QuerySet[Item]:
    """Items of ``catalog`` filtered by chapter, tier, core, N/A allowed and text."""
    items = catalog.items.all()
    if chapter := params.get("chapter"):
        items = items.filter(chapter=chapter)
    if (tier := params.get("tier")) in {"basic", "recommended"}:
        items = items.filter(tier=tier)
    if params.get("core"):
        items = items.filter(core=True)
    if params.get("na"):
        items = items.filter(na_allowed=True)
    if q := (params.get("q") or "").strip():
        items = items.filter(Q(code__icontains=q) | Q(text__icontains=q) | Q(evidence__icontains=q))
    return items.order_by("order")
