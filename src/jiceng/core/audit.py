"""Writing and reading the audit trail.

Every action (``actions.py`` of each app) calls :func:`record` inside its transaction.
Each row carries the tree path of the *data* it touched (never the actor's), so the
administrators at and above that data read it; data that hangs on no node (a national
catalog, a global superuser, their tokens) gets :data:`GLOBAL_PATH`, read by global
superusers only. A row is never written without a path.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

from jiceng.core import bulk, pagecache
from jiceng.core.models import AuditEvent


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        if all(v is None or v.__class__ is str for v in value.values()):
            return dict(value)  # texts only (a form's values before and after): as they are
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    return value


def snapshot(obj: models.Model | None, exclude: tuple[str, ...] = ("password",)) -> dict | None:
    """The concrete field values of a model instance, JSON-safe, for before/after."""
    if obj is None:
        return None
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = _json_safe(getattr(obj, field.attname))
    return data


# The path of platform-wide data: no administrator's subtree prefix matches it.
GLOBAL_PATH = "/"

# Attributes that lead from an object to the object it belongs to, tried in order.
_OWNERS = ("node", "institution", "region", "owner", "submission", "entry", "record", "user")


def node_path_of(obj: Any, _depth: int = 0) -> str:
    """The tree path the data ``obj`` hangs on, or :data:`GLOBAL_PATH`.

    A node is its own path; anything else follows ``node``, ``institution``, ``region``,
    ``owner``, ``submission``, ``entry``, ``record`` or ``user`` (a token hangs on its
    user, a user on their node). Works on historical models in migrations too.
    """
    if obj is None or _depth > 4:
        return GLOBAL_PATH
    meta = getattr(obj, "_meta", None)
    if meta is not None and meta.label_lower == "orgs.node":
        return obj.path or GLOBAL_PATH
    for name in _OWNERS:
        try:
            target = getattr(obj, name, None)
        except Exception:  # a dangling relation  # noqa: BLE001
            target = None
        if target is None or target is obj or not hasattr(target, "_meta"):
            continue
        path = node_path_of(target, _depth + 1)
        if path != GLOBAL_PATH:
            return path
        if name in {"node", "owner"}:  # the object explicitly hangs on nothing
            return GLOBAL_PATH
    return GLOBAL_PATH


def record(
    actor: Any,
    action: str,
    obj: models.Model,
    *,
    before: dict | None = None,
    after: dict | None = None,
    node_path: str = "",
    reason: str = "",
    changes_data: bool = True,
) -> AuditEvent:
    """Write one audit row. ``actor`` may be None for system work (imports run by cron).

    ``node_path`` defaults to the path of the data (:func:`node_path_of`); give it only
    when the data hangs on another node than ``obj`` says (e.g. a cycle's region).
    Unless ``changes_data`` is False (a download), the cached page parts of that path's
    region are dropped (:mod:`jiceng.core.pagecache`); a node that moved drops those of
    its old place too.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    if not node_path:
        node_path = node_path_of(obj)
    if changes_data:
        moved = []
        if obj._meta.label_lower == "orgs.node":
            moved = [s.get("path") for s in (before, after) if isinstance(s, dict)]
        pagecache.bump(
            pagecache.kind_of(action), node_path, *[p for p in moved if isinstance(p, str) and p]
        )
    return AuditEvent.objects.create(
        actor=user,
        actor_name=(user.get_username() if user else "system"),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        node_path=node_path,
        before=_json_safe(before),
        after=_json_safe(after),
        reason=reason,
    )


def record_many(
    actor: Any, action: str, items: list[tuple[models.Model, dict | None, dict | None]]
) -> int:
    """Write one audit row per ``(obj, before, after)`` at once, as :func:`record` would one
    by one (a bulk import's forms): the same rows, one page-cache bump per path."""
    if not items:
        return 0
    user = actor if getattr(actor, "is_authenticated", False) else None
    paths = [node_path_of(obj) for obj, _before, _after in items]
    pagecache.bump(pagecache.kind_of(action), *paths)
    bulk.insert_objects(
        [
            AuditEvent(
                actor=user,
                actor_name=(user.get_username() if user else "system"),
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:255],
                node_path=path,
                before=_json_safe(before),
                after=_json_safe(after),
            )
            for (obj, before, after), path in zip(items, paths, strict=True)
        ]
    )
    return len(items)


def trail_for(obj: models.Model):
    """All audit rows of one object, newest first."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def record_download(
    actor: Any,
    what: str,
    obj: models.Model | None,
    *,
    node_path: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Write the audit row of a download of personal or unpublished data.

    Every export and file download that can hold names, ID-bearing records, evidence or
    results not yet published calls this (pages and API alike): ``what`` names the download
    (``ledger_export``, ``evidence`` …; the action is ``download.<what>``), ``obj`` is the
    file or the region exported (None: the whole tree, seen by a system administrator),
    ``details`` the filters used.
    """
    if obj is None:
        obj, node_path = actor, ""
    return record(
        actor,
        f"download.{what}",
        obj,
        after=details or {},
        node_path=node_path,
        changes_data=False,
    )
