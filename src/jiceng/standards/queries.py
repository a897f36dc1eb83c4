"""Reads of the standards app: who may manage catalogs, filtered item lists."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from jiceng.core import scope
from jiceng.standards.models import Catalog, Item


def can_manage_catalogs(user) -> bool:
    """Administrators (MANAGE_CATALOGS where they sit) and global superusers."""
    if scope.is_global(user):
        return True
    root = scope.scope_root(user)
    return root is not None and scope.can(user, scope.Action.MANAGE_CATALOGS, root)


def catalogs() -> QuerySet[Catalog]:
    return Catalog.objects.annotate(
        n_items=Count("items"),
        n_core=Count("items", filter=Q(items__core=True)),
    ).order_by("-active", "code", "-loaded_at")


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
