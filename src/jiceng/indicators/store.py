"""Saving what the analytics engine produced into the platform database.

``save_values`` stores computed values with their provenance (definition version, record
set, engine, time), replacing earlier values of the same record set and periods, and only
for units inside the record set's region. ``register_load`` records a record set loaded
from the command line. Both write one audit row inside one transaction. ``remove_files``
deletes what a record set left on disk.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.errors import UserError
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.orgs.models import Node

log = logging.getLogger(__name__)


def platform_tree(node: Node | None = None) -> list:
    """The platform's tree below ``node`` (the whole tree when None) as analytics OrgRows.

    Used when a record set has no ``orgs`` table of its own; ``node`` becomes the root.
    """
    from jiceng.analytics import OrgRow

    nodes = Node.objects.subtree(node) if node else Node.objects.all()
    rows = nodes.select_related("parent").order_by("path")
    return [
        OrgRow(n.code, n.name, n.parent.code if n.parent_id and n != node else None, n.kind)
        for n in rows
    ]


def store_path(rs: RecordSet) -> Path:
    """The DuckDB file of a record set."""
    return Path(settings.JICENG_ANALYTICS_DIR) / f"recordset-{rs.pk}.duckdb"


@transaction.atomic
def register_load(
    name: str,
    src: Path,
    result,
    *,
    actor=None,
    rejects: Path | None = None,
    node: Node | None = None,
) -> RecordSet:
    """Create or update the RecordSet row ``name`` after a successful load."""
    rs, _created = RecordSet.objects.get_or_create(name=name)
    before = audit.snapshot(rs)
    rs.source = str(src)
    if node is not None:
        rs.node = node
    rs.store_path = str(result.store)
    rs.status = RecordSet.Status.READY
    rs.row_counts = dict(result.counts)
    rs.rejected_rows = int(result.rejected)
    rs.rejects_path = str(rejects) if rejects and result.rejected else ""
    rs.loaded_at = timezone.now()
    rs.loaded_by = actor if getattr(actor, "is_authenticated", False) else None
    rs.message = ""
    rs.problems = []
    rs.save()
    audit.record(actor, "indicators.recordset_loaded", rs, before=before, after=audit.snapshot(rs))
    return rs


@transaction.atomic
def save_values(rs: RecordSet, values: Iterable, engine: str = "duckdb", *, actor=None) -> int:
    """Store computed values of ``rs``, replacing its earlier values for the same periods.

    Only values for platform units inside the owner's region are kept (a set without an
    owner keeps every value). Raises UserError when ``rs`` was withdrawn or is not ready.
    """
    from jiceng.analytics import registry

    locked = RecordSet.objects.select_for_update().filter(pk=rs.pk).first()
    if locked is None or locked.status != RecordSet.Status.READY:
        raise UserError(
            _("Record set %(name)s was withdrawn or is not loaded; nothing was saved.")
            % {"name": rs.name}
        )
    values = list(values)
    version = registry().version
    periods = sorted({v.period for v in values})
    if locked.node is None:
        nodes = dict(
            Node.objects.filter(code__in={v.org_code for v in values}).values_list("code", "id")
        )
        kept = values
    else:
        nodes = dict(Node.objects.subtree(locked.node).values_list("code", "id"))
        kept = [v for v in values if v.org_code in nodes]
    dropped = len(values) - len(kept)
    if dropped:
        log.warning("record set %s: %d values outside its region not saved", rs.pk, dropped)
    IndicatorValue.objects.filter(record_set=rs, period__in=periods).delete()
    now = timezone.now()
    objs = [
        IndicatorValue(
            record_set=rs,
            org_code=v.org_code,
            node_id=nodes.get(v.org_code),
            period=v.period,
            indicator=v.indicator,
            numerator=v.numerator,
            denominator=v.denominator,
            value=v.value,
            definition_version=version,
            engine=engine,
            computed_at=now,
        )
        for v in kept
    ]
    IndicatorValue.objects.bulk_create(objs, batch_size=2000)
    after = {"periods": periods, "values": len(objs), "engine": engine, "version": version}
    if dropped:
        after["outside_region_dropped"] = dropped
    audit.record(actor, "indicators.values_computed", rs, after=after)
    return len(objs)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def remove_files(pk: int, *paths: str | Path) -> None:
    """Delete every file record set ``pk`` left: store (and its WAL), stray temporary loads,
    upload, unpacked tables and rejects. Only paths inside the analytics folder are touched.
    """
    from jiceng.indicators import uploads

    folder = Path(settings.JICENG_ANALYTICS_DIR)
    store = folder / f"recordset-{pk}.duckdb"
    candidates = [store, *(Path(p) for p in paths if p)]
    candidates += [Path(f"{p}.wal") for p in list(candidates)]
    candidates += list(folder.glob(f".recordset-{pk}.duckdb.*.loading*"))
    for path in candidates:
        if path.is_file() and _inside(path, folder):
            path.unlink(missing_ok=True)
    up = uploads.upload_dir(pk)
    if up.is_dir() and _inside(up, folder):
        shutil.rmtree(up)
