"""Writes to the organisation tree. Each runs in a transaction and writes an audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.errors import UserError
from jiceng.orgs.importer import ImportPlan
from jiceng.orgs.models import EventKind, Node, NodeEvent, NodeYear, parent_allowed


def _check_parent(kind: str, parent: Node | None) -> None:
    if not parent_allowed(kind, parent.kind if parent else None):
        raise UserError(
            _("A %(kind)s cannot be placed under %(parent)s.")
            % {"kind": kind, "parent": parent.name if parent else _("the root")}
        )


def _rebuild_paths(node: Node) -> None:
    """Recompute path and depth of ``node`` and its whole subtree (after a move)."""
    old_prefix = node.path
    node.path = node.compute_path()
    node.depth = node.path.count("/") - 2
    node.save(update_fields=["path", "depth"])
    if old_prefix and old_prefix != node.path:
        for d in Node.objects.filter(path__startswith=old_prefix).exclude(pk=node.pk):
            d.path = node.path + d.path[len(old_prefix) :]
            d.depth = d.path.count("/") - 2
            d.save(update_fields=["path", "depth"])


@transaction.atomic
def do_create_node(
    actor,
    *,
    code: str,
    name: str,
    kind: str,
    parent: Node | None,
    opened: dt.date | None = None,
    closed: dt.date | None = None,
    address: str = "",
    longitude: Decimal | None = None,
    latitude: Decimal | None = None,
) -> Node:
    _check_parent(kind, parent)
    if Node.objects.filter(code=code).exists():
        raise UserError(_("The code %(code)s is already used.") % {"code": code})
    node = Node.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        opened=opened,
        closed=closed,
        address=address,
        longitude=longitude,
        latitude=latitude,
    )
    node.path = node.compute_path()
    node.depth = node.path.count("/") - 2
    node.save(update_fields=["path", "depth"])
    NodeEvent.objects.create(
        node=node, kind=EventKind.CREATED, date=opened or dt.date.today(), new_parent=parent
    )
    audit.record(actor, "orgs.create_node", node, after=audit.snapshot(node))
    return node


@transaction.atomic
def do_update_node(actor, node: Node, *, date: dt.date | None = None, **changes) -> Node:
    """Rename, re-type, re-date or move a node; moves and renames enter its history."""
    node = Node.objects.select_for_update().get(pk=node.pk)
    before = audit.snapshot(node)
    date = date or dt.date.today()
    new_parent = changes.pop("parent", node.parent)
    kind = changes.get("kind", node.kind)
    if "name" in changes and changes["name"] != node.name:
        NodeEvent.objects.create(
            node=node,
            kind=EventKind.RENAMED,
            date=date,
            old_name=node.name,
            new_name=changes["name"],
        )
    if "closed" in changes and node.closed is not None and changes["closed"] is None:
        NodeEvent.objects.create(node=node, kind=EventKind.REOPENED, date=date)
    for field, value in changes.items():
        setattr(node, field, value)
    moved = (new_parent.pk if new_parent else None) != node.parent_id
    if moved or "kind" in changes:
        _check_parent(kind, new_parent)
    if moved:
        if new_parent is not None and new_parent.is_within(node):
            raise UserError(
                _("%(node)s cannot be moved under its own descendant %(parent)s.")
                % {"node": node.name, "parent": new_parent.name}
            )
        NodeEvent.objects.create(
            node=node,
            kind=EventKind.MOVED,
            date=date,
            old_parent=node.parent,
            new_parent=new_parent,
        )
        node.parent = new_parent
    node.save()
    if moved:
        _rebuild_paths(node)
    audit.record(actor, "orgs.update_node", node, before=before, after=audit.snapshot(node))
    return node


@transaction.atomic
def do_close_node(actor, node: Node, *, date: dt.date, reason: str = "") -> Node:
    node = Node.objects.select_for_update().get(pk=node.pk)
    before = audit.snapshot(node)
    node.closed = date
    node.save(update_fields=["closed"])
    NodeEvent.objects.create(node=node, kind=EventKind.CLOSED, date=date, note=reason[:255])
    audit.record(
        actor, "orgs.close_node", node, before=before, after=audit.snapshot(node), reason=reason
    )
    return node


@transaction.atomic
def do_merge_nodes(actor, source: Node, target: Node, *, date: dt.date, reason: str = "") -> Node:
    """Merge ``source`` into ``target``: its children move over, it closes, trends follow."""
    if source.pk == target.pk or target.is_within(source):
        raise UserError(_("A unit cannot be merged into itself or its own descendant."))
    if source.kind != target.kind:
        raise UserError(_("Only units of the same type can be merged."))
    before = audit.snapshot(source)
    for child in list(source.children.all()):
        do_update_node(actor, child, parent=target, date=date)
    source.refresh_from_db()
    source.closed = date
    source.successor = target
    source.save(update_fields=["closed", "successor"])
    NodeEvent.objects.create(
        node=source, kind=EventKind.MERGED, date=date, other=target, note=reason[:255]
    )
    NodeEvent.objects.create(
        node=target, kind=EventKind.MERGED, date=date, other=source, note=reason[:255]
    )
    audit.record(
        actor,
        "orgs.merge_nodes",
        source,
        before=before,
        after=audit.snapshot(source),
        reason=reason,
    )
    return target


@transaction.atomic
def do_set_year(actor, node: Node, year: int, **figures) -> NodeYear:
    """Create or update the per-year figures of a node."""
    unknown = set(figures) - set(NodeYear.FIGURES)
    if unknown:
        raise UserError(_("Unknown figures: %(names)s") % {"names": ", ".join(sorted(unknown))})
    for name, value in figures.items():
        if value is not None and value < 0:
            raise UserError(_("%(field)s cannot be negative.") % {"field": name})
    row, _created = NodeYear.objects.select_for_update().get_or_create(node=node, year=year)
    before = audit.snapshot(row)
    for name, value in figures.items():
        setattr(row, name, value)
    row.save()
    audit.record(
        actor, "orgs.set_year", row, before=before, after=audit.snapshot(row), node_path=node.path
    )
    return row


@dataclass
class ImportResult:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    moved: int = 0
    renamed: int = 0
    unchanged: int = 0
    years_written: int = 0
    years_unchanged: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.years_written)


def _node_changes(row, node: Node, current_parent: str | None) -> tuple[dict, bool, bool]:
    """(field changes, closing, moved) that ``row`` of an import makes to ``node``."""
    wanted = {"name": row.name, "kind": row.kind, "opened": row.opened, "address": row.address}
    if getattr(row, "point", None) is not None:
        wanted["longitude"], wanted["latitude"] = row.point
    changes = {k: v for k, v in wanted.items() if getattr(node, k) != v}
    closing = node.closed is None and row.closed is not None
    if not closing and node.closed != row.closed:
        changes["closed"] = row.closed
    return changes, closing, row.parent != current_parent


def _count(result: ImportResult, changes: dict, closing: bool, moved: bool) -> None:
    result.moved += int(moved)
    result.renamed += int("name" in changes)
    if changes or closing or moved:
        result.updated += 1
    else:
        result.unchanged += 1


def _year_unchanged(node_id: int | None, yrow) -> bool:
    current = NodeYear.objects.filter(node_id=node_id, year=yrow.year).first()
    return current is not None and all(getattr(current, k) == v for k, v in yrow.figures.items())


def _dry_run(plan: ImportPlan, progress: Callable[[int], None] | None) -> ImportResult:
    """The counts a real run would give, computed without writing anything."""
    result = ImportResult()
    for row in plan.nodes:
        node = Node.objects.select_related("parent").filter(code=row.code).first()
        if node is None:
            result.created += 1
        else:
            _count(result, *_node_changes(row, node, node.parent.code if node.parent else None))
        if progress:
            progress(1)
    for yrow in plan.years:
        node_id = Node.objects.filter(code=yrow.code).values_list("pk", flat=True).first()
        if _year_unchanged(node_id, yrow):
            result.years_unchanged += 1
        else:
            result.years_written += 1
        if progress:
            progress(1)
    return result


def do_import_tree(
    actor,
    plan: ImportPlan,
    *,
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Write a validated import plan: create or update units, then upsert yearly figures.

    Every change goes through the actions above (history and audit included); unchanged
    rows write nothing. The rows are written in short transactions (a long import never
    blocks other writers for long); if one fails, what the earlier ones wrote is undone,
    so the import is still all or nothing. With ``dry_run`` nothing is written and the
    counts are exactly those a real run would give.
    """
    if dry_run:
        return _dry_run(plan, progress)
    from jiceng.core.batches import undone_on_failure, write_in_batches
    from jiceng.core.models import AuditEvent

    result = ImportResult()
    today = dt.date.today()

    def write_node(row) -> None:
        parent = Node.objects.get(code=row.parent) if row.parent else None
        node = Node.objects.select_related("parent").filter(code=row.code).first()
        if node is None:
            node = do_create_node(
                actor,
                code=row.code,
                name=row.name,
                kind=row.kind,
                parent=parent,
                opened=row.opened,
                address=row.address,
                longitude=row.point[0] if row.point else None,
                latitude=row.point[1] if row.point else None,
            )
            if row.closed is not None:
                do_close_node(actor, node, date=row.closed)
            result.created += 1
        else:
            changes, closing, moved = _node_changes(
                row, node, node.parent.code if node.parent else None
            )
            if moved:
                changes["parent"] = parent
            if changes:
                do_update_node(actor, node, date=today, **changes)
            if closing:
                do_close_node(actor, node, date=row.closed)
            _count(result, changes, closing, moved)
        if progress:
            progress(1)

    def write_year(yrow) -> None:
        node = Node.objects.get(code=yrow.code)
        if _year_unchanged(node.pk, yrow):
            result.years_unchanged += 1
        else:
            do_set_year(actor, node, yrow.year, **yrow.figures)
            result.years_written += 1
        if progress:
            progress(1)

    with undone_on_failure([Node, NodeEvent, NodeYear, AuditEvent]):
        write_in_batches(plan.nodes, write_node)
        write_in_batches(plan.years, write_year)
    return result
