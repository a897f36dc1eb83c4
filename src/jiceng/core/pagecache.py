"""What pages recompute on every view, cached per region and dropped by the writes that change it.

Every write the platform makes is an action that writes an audit row with the tree path of
the data it touched (:func:`jiceng.core.audit.record`). In the same transaction the action
adds one to a counter for that path (:class:`~jiceng.core.models.DataVersion`, one row a
path). A part of a page computed from the data at and below a node R — and from what hangs on
R's ancestors (a city's cycle, a province's catalog) or on nothing (``/``) — is cached under a
key that holds the *version* of R: the sum of the counters of R's subtree and of R's
ancestors. Every committed write that can change that part adds one to the sum, so the next
view misses the cache and recomputes it, on every server process; writes in another county
leave it alone. Reading the version is one indexed query over a table with one row per node
that was ever written (it is read once a request, see :func:`version_for`).

Keys also hold what the part depends on besides the data: who is asking (their role, node,
institution; :func:`signature`), the language and today's date (overdue counts change at
midnight). Entries expire after ``JICENG_PAGE_CACHE_SECONDS`` anyway (default 600), and a
part whose HTML carries a CSRF token is never stored. ``JICENG_PAGE_CACHE_SECONDS=0`` turns
the cache off. The cache is Django's ``default`` cache (``JICENG_CACHE_*`` settings,
docs/deployment.md): by default each server process keeps its own in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone, translation

ROOT = "/"  # the path of data that hangs on no node (audit.GLOBAL_PATH)
_MISSING = object()


def enabled() -> bool:
    return getattr(settings, "JICENG_PAGE_CACHE_SECONDS", 600) > 0


def _ancestor_paths(path: str) -> list[str]:
    """``/0001/0007/`` → ``["/", "/0001/"]``: the paths strictly above ``path``."""
    parts = [p for p in path.strip("/").split("/") if p]
    out = [ROOT]
    for i in range(1, len(parts)):
        out.append("/" + "/".join(parts[:i]) + "/")
    return [p for p in out if p != path]


def bump(*paths: str) -> None:
    """Count one write at each of ``paths`` (inside the writing transaction)."""
    paths = sorted({p or ROOT for p in paths})  # one order everywhere: no deadlock between two
    from jiceng.core.models import DataVersion

    table = connection.ops.quote_name(DataVersion._meta.db_table)
    with connection.cursor() as cursor:
        for path in paths:
            cursor.execute(
                f"INSERT INTO {table} (path, n) VALUES (%s, 1) "
                f"ON CONFLICT (path) DO UPDATE SET n = {table}.n + 1",
                [path],
            )


def version(path: str) -> int:
    """The number of writes ever made at or below ``path`` or above it (its ancestors)."""
    from jiceng.core.models import DataVersion

    if path in ("", ROOT):
        subtree = Q()
    else:  # paths are digits and slashes: the subtree is the range [path, path-with-"0")
        subtree = Q(path__gte=path, path__lt=path[:-1] + "0")
        subtree |= Q(path__in=_ancestor_paths(path))
    return DataVersion.objects.filter(subtree).aggregate(n=Sum("n"))["n"] or 0


def version_for(request, path: str) -> int:
    """:func:`version`, read once per request and path."""
    memo = request.__dict__.setdefault("_jiceng_data_versions", {})
    if path not in memo:
        memo[path] = version(path)
    return memo[path]


def signature(user) -> str:
    """Who is asking, as far as what they see depends on it."""
    return ":".join(
        str(v)
        for v in (
            user.role,
            user.node_id or "",
            user.institution_id or "",
            int(user.is_superuser),
            int(user.is_active),
        )
    )


def cached(
    request,
    name: str,
    path: str,
    compute: Callable[[], Any],
    *,
    vary: tuple = (),
    per_user: bool = True,
) -> Any:
    """``compute()``, or what it returned last time for the same key and data version.

    ``path`` is the node whose region the result is computed from (its subtree and
    ancestors); ``vary`` anything else it depends on (a year, a filter). ``per_user``
    (default) keys it by :func:`signature` as well.
    """
    if not enabled():
        return compute()
    parts = [
        name,
        path,
        version_for(request, path),
        translation.get_language(),
        timezone.localdate().isoformat(),
        signature(request.user) if per_user else "",
        *vary,
    ]
    key = "jiceng:page:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = compute()
    if not _has_csrf_token(value):
        cache.set(key, value, settings.JICENG_PAGE_CACHE_SECONDS)
    return value


def _has_csrf_token(value: Any) -> bool:
    if isinstance(value, str):
        return "csrfmiddlewaretoken" in value
    if isinstance(value, dict):
        return any(_has_csrf_token(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_csrf_token(v) for v in value)
    return False
