"""Names of units in drop-downs and lists: with their parent chain, never bare.

At province scale several counties share a name (清河县 in three cities); a list of bare
names cannot tell them apart. ``chain_labels`` names every unit after its ancestors below
the user's own region (``top``, which is not repeated): “示范市 / 清河县”, and for
a township “示范市 / 清河县 / 城关镇卫生院”. Every region or unit drop-down uses it.
"""

from __future__ import annotations

from collections.abc import Iterable

from jiceng.orgs.models import Node, path_ids

SEPARATOR = " / "


def _ids(node: Node) -> list[int]:
    return path_ids(node.path)


def chain_labels(nodes: Iterable[Node], top: Node | None = None) -> dict[int, str]:
    """For each node (by id): its ancestors' names below ``top`` and its own, joined by “ / ”.

    ``top`` is the user's region (None: the whole tree); it and the units above it are left
    out, so a province user reads “示范市 / 清河县”. One query for the ancestors' names.
    """
    nodes = list(nodes)
    skip = set(_ids(top)) if top is not None else set()
    wanted = {a for n in nodes for a in _ids(n)[:-1]} - skip
    names = dict(Node.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    out = {}
    for n in nodes:
        chain = [names[a] for a in _ids(n)[:-1] if a in names]
        out[n.pk] = SEPARATOR.join([*chain, n.name])
    return out


def choices(nodes: Iterable[Node], top: Node | None = None) -> list[tuple[str, str]]:
    """(code, chained label) pairs for a drop-down, in the order given."""
    nodes = list(nodes)
    labels = chain_labels(nodes, top)
    return [(n.code, labels[n.pk]) for n in nodes]


def label_nodes(nodes: Iterable[Node], top: Node | None = None) -> list[Node]:
    """The nodes, each with ``chain_label`` set (for templates)."""
    nodes = list(nodes)
    labels = chain_labels(nodes, top)
    for n in nodes:
        n.chain_label = labels[n.pk]
    return nodes
