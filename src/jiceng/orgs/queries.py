"""Reads of the organisation tree."""

from __future__ import annotations

from django.db.models import Q, Sum

from jiceng.orgs.models import Node, NodeYear


def lineage(node: Node) -> list[Node]:
    """The node and every node ever merged into it, so trends survive merges."""
    seen: dict[int, Node] = {node.pk: node}
    frontier = [node]
    while frontier:
        preds = list(Node.objects.filter(successor__in=frontier))
        frontier = [p for p in preds if p.pk not in seen]
        seen.update({p.pk: p for p in frontier})
    return list(seen.values())


def population(node: Node, year: int) -> dict[str, int | None]:
    """Per-year figures summed over the node's subtree (the node itself included)."""
    qs = NodeYear.objects.filter(node__path__startswith=node.path, year=year)
    agg = qs.aggregate(**{f: Sum(f) for f in NodeYear.FIGURES})
    return agg


def search(nodes, text: str):
    """Nodes whose code or name contains ``text``."""
    text = text.strip()
    if not text:
        return nodes
    return nodes.filter(Q(code__icontains=text) | Q(name__icontains=text))


def child_counts(node: Node) -> dict[str, int]:
    from django.db.models import Count

    rows = node.descendants().values("kind").annotate(n=Count("id"))
    return {r["kind"]: r["n"] for r in rows}


def institution_counts(node: Node) -> dict[str, int]:
    """Open institutions below ``node`` by kind (in the kinds' order), as its page lists them."""
    from django.db.models import Count

    from jiceng.orgs.models import INSTITUTION_KINDS, Kind

    rows = (
        node.descendants()
        .filter(kind__in=[k.value for k in INSTITUTION_KINDS], closed__isnull=True)
        .values("kind")
        .annotate(n=Count("id"))
    )
    found = {r["kind"]: r["n"] for r in rows}
    return {k.value: found[k.value] for k in Kind if k.value in found}


def for_export(nodes, year: int | None = None):
    """The nodes (parents first) and their yearly rows, as the export writes them."""
    nodes = nodes.select_related("parent").order_by("path")
    years = NodeYear.objects.filter(node__in=nodes).select_related("node")
    if year is not None:
        years = years.filter(year=year)
    return nodes, years.order_by("node__path", "year")


def export_workbook(nodes, year: int | None = None) -> bytes:
    """An .xlsx of ``nodes`` in the import template: importing it back changes nothing."""
    from jiceng.orgs import excel

    rows, years = for_export(nodes, year)
    return excel.write_workbook(rows.iterator(), years.iterator())
