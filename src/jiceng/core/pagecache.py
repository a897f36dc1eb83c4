"""What pages recompute on every view, cached per region and dropped by the writes that change it.

Every write the platform makes is an action that writes an audit row with the tree path of
the data it touched (:func:`jiceng.core.audit.record`). In the same transaction the action
adds one to a counter for that path and the *kind* of its write (:data:`KINDS`: an
institution's grades, the ledger, everything else), and stamps the time
(:class:`~jiceng.core.models.DataVersion`). A part of a page computed from the data at and
below a node R — and from what hangs on R's ancestors (a city's cycle, a province's catalog)
or on nothing (``/``) — is cached under a key that holds the *version* of R: the sum of the
counters of R's subtree and ancestors, of the kinds the part depends on, and their latest
stamp. Every committed write that can change that part adds one to the sum, so the next view
misses the cache and recomputes it, on every server process; writes in another county, or of
a kind the part does not show (a draft grade for the progress board), leave it alone. The
stamp keeps a version from coming back after the database was emptied (``demo --reset``,
``restore``). Reading the version is one indexed query over a table with a few rows per node
that was ever written (read once a request and set of kinds, see :func:`version_for`).

Keys also hold what the part depends on besides the data: who is asking (their role, node,
institution; :func:`signature`), the language and today's date (overdue counts change at
midnight). Entries expire after ``JICENG_PAGE_CACHE_SECONDS`` anyway (default 600), and a
part whose HTML carries a CSRF token is never stored. ``JICENG_PAGE_CACHE_SECONDS=0`` turns
the cache off. The cache is Django's ``default`` cache (``JICENG_CACHE_*`` settings,
docs/deployment.md): by default each server process keeps its own in memory.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Q, Sum
from django.utils import timezone, translation

ROOT = "/"  # the path of data that hangs on no node (audit.GLOBAL_PATH)
_MISSING = object()

# Kinds of writes, by the audit action's name: what a part of a page may declare it does not
# depend on. Anything not listed is "data" (stages, verdicts, the tree, users, indicators...).
GRADES = "grades"  # an institution's grades, remarks and evidence while they are filled in
LEDGER = "ledger"  # the rectification ledger
DATA = "data"
KINDS = (DATA, GRADES, LEDGER)
_KIND_OF_ACTION = (
    ("assessments.save_draft_grade.", GRADES),
    ("assessments.save_grades.", GRADES),
    ("assessments.save_recheck.", GRADES),
    ("assessments.adopt_grades.", GRADES),
    ("assessments.upload_evidence", GRADES),
    ("assessments.delete_evidence", GRADES),
    ("rectification.", LEDGER),
)


def kind_of(action: str) -> str:
    """The kind of write an audit action is (:data:`KINDS`)."""
    for prefix, kind in _KIND_OF_ACTION:
        if action.startswith(prefix):
            return kind
    return DATA


def enabled() -> bool:
    return getattr(settings, "JICENG_PAGE_CACHE_SECONDS", 600) > 0


def _ancestor_paths(path: str) -> list[str]:
    """``/0001/0007/`` → ``["/", "/0001/"]``: the paths strictly above ``path``."""
    parts = [p for p in path.strip("/").split("/") if p]
    out = [ROOT]
    for i in range(1, len(parts)):
        out.append("/" + "/".join(parts[:i]) + "/")
    return [p for p in out if p != path]


def bump(kind: str, *paths: str) -> None:
    """Count one write of ``kind`` at each of ``paths`` (inside the writing transaction)."""
    paths = sorted({p or ROOT for p in paths})  # one order everywhere: no deadlock between two
    from jiceng.core.models import DataVersion

    table = connection.ops.quote_name(DataVersion._meta.db_table)
    stamp = time.time_ns() // 1000
    with connection.cursor() as cursor:
        for path in paths:
            cursor.execute(
                f"INSERT INTO {table} (kind, path, n, stamp) VALUES (%s, %s, 1, %s) "
                f"ON CONFLICT (kind, path) DO UPDATE SET n = {table}.n + 1, stamp = %s",
                [kind, path, stamp, stamp],
            )


def version(path: str, kinds: tuple[str, ...] = KINDS) -> str:
    """The writes of ``kinds`` ever made at or below ``path`` or above it (its ancestors):
    their number and the time of the latest, as one string."""
    from jiceng.core.models import DataVersion

    if path in ("", ROOT):
        where = Q()
    else:  # paths are digits and slashes: the subtree is the range [path, path-with-"0")
        where = Q(path__gte=path, path__lt=path[:-1] + "0") | Q(path__in=_ancestor_paths(path))
    if tuple(sorted(kinds)) != tuple(sorted(KINDS)):
        where &= Q(kind__in=kinds)
    row = DataVersion.objects.filter(where).aggregate(n=Sum("n"), stamp=Max("stamp"))
    return f"{row['n'] or 0}.{row['stamp'] or 0}"


def version_for(request, path: str, kinds: tuple[str, ...] = KINDS) -> str:
    """:func:`version`, read once per request, path and kinds."""
    memo = request.__dict__.setdefault("_jiceng_data_versions", {})
    key = (path, kinds)
    if key not in memo:
        memo[key] = version(path, kinds)
    return memo[key]


def region_path(user) -> str:
    """The path of the part of the tree what ``user`` sees is computed from: their node's,
    or the one above both their node and their institution when that lies elsewhere."""
    if user.node_id is None:  # a global superuser: the whole tree
        return ROOT
    path = user.node.path
    if user.institution_id and not user.institution.path.startswith(path):
        common = []
        for a, b in zip(path.split("/"), user.institution.path.split("/"), strict=False):
            if a != b:
                break
            common.append(a)
        path = "/".join(common) + "/" if len(common) > 1 else ROOT
    return path


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
    kinds: tuple[str, ...] = KINDS,
) -> Any:
    """``compute()``, or what it returned last time for the same key and data version.

    ``path`` is the node whose region the result is computed from (its subtree and
    ancestors); ``kinds`` the kinds of writes that can change it (default: all); ``vary``
    anything else it depends on (a year, a filter). ``per_user`` (default) keys it by
    :func:`signature` as well.
    """
    if not enabled():
        return compute()
    parts = [
        name,
        path,
        version_for(request, path, kinds),
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
