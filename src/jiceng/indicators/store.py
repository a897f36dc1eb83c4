"""Saving what the analytics engine produced into the platform database.

``save_values`` stores computed values with their provenance (definition version, record
set, engine, time), replacing earlier values of the same record set and periods, and only
for units inside the record set's region. ``register_load`` records a record set loaded
from the command line. Both write one audit row; ``save_values`` writes in short
transactions (see its docstring). ``remove_files`` deletes what a record set left on disk.
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


KEY_FIELDS = ["record_set", "org_code", "period", "indicator"]
VALUE_FIELDS = [
    "node",
    "numerator",
    "denominator",
    "value",
    "definition_version",
    "engine",
    "computed_at",
]
BATCH_ROWS = 2000


def _key(v: IndicatorValue) -> tuple[str, str, str]:
    return (v.org_code, v.period, v.indicator)


def save_values(rs: RecordSet, values: Iterable, engine: str = "duckdb", *, actor=None) -> int:
    """Store computed values of ``rs``, replacing its earlier values for the same periods.

    Only values for platform units inside the owner's region are kept (a set without an
    owner keeps every value). Raises UserError when ``rs`` was withdrawn or is not ready.

    A large compute must not hold the database's write lock for long, so the values are
    upserted in batches of :data:`BATCH_ROWS`, each its own short transaction; then one
    short transaction checks the record set is still there, deletes the earlier values no
    longer produced and writes the audit row. While it runs, a reader may see old and new
    values of these periods side by side (each with its own provenance). If a batch fails,
    or the record set was withdrawn meanwhile, the earlier values are put back.
    """
    from jiceng.analytics import registry
    from jiceng.core.batches import chunks, let_others_write

    current = _ready(rs)
    values = list(values)
    version = registry().version
    periods = sorted({v.period for v in values})
    if current.node is None:
        codes = sorted({v.org_code for v in values})
        nodes: dict[str, int] = {}
        for part in chunks(codes, 500):
            nodes.update(Node.objects.filter(code__in=part).values_list("code", "id"))
        kept = values
    else:
        nodes = dict(Node.objects.subtree(current.node).values_list("code", "id"))
        kept = [v for v in values if v.org_code in nodes]
    dropped = len(values) - len(kept)
    if dropped:
        log.warning("record set %s: %d values outside its region not saved", rs.pk, dropped)
    old = list(IndicatorValue.objects.filter(record_set=rs, period__in=periods))
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
    fresh = {_key(o) for o in objs}
    after = {"periods": periods, "values": len(objs), "engine": engine, "version": version}
    if dropped:
        after["outside_region_dropped"] = dropped
    try:
        for part in chunks(objs, BATCH_ROWS):
            with transaction.atomic():
                IndicatorValue.objects.bulk_create(
                    part,
                    update_conflicts=True,
                    unique_fields=KEY_FIELDS,
                    update_fields=VALUE_FIELDS,
                )
            let_others_write()
        with transaction.atomic():
            _ready(rs, lock=True)  # withdrawn meanwhile: undo what the batches wrote
            stale = [o.pk for o in old if _key(o) not in fresh]
            for part in chunks(stale, BATCH_ROWS):
                IndicatorValue.objects.filter(pk__in=part).delete()
            audit.record(actor, "indicators.values_computed", rs, after=after)
    except BaseException:
        try:
            _put_back(rs, periods, old)
        except Exception:  # the first error is the one to report
            log.exception("putting back the values of record set %s failed", rs.pk)
        raise
    return len(objs)


def _ready(rs: RecordSet, *, lock: bool = False) -> RecordSet:
    """``rs`` as stored now; UserError when it was withdrawn or is not ready."""
    rows = RecordSet.objects.select_related("node")
    if lock:
        rows = RecordSet.objects.select_for_update()
    current = rows.filter(pk=rs.pk).first()
    if current is None or current.status != RecordSet.Status.READY:
        raise UserError(
            _("Record set %(name)s was withdrawn or is not loaded; nothing was saved.")
            % {"name": rs.name}
        )
    return current


def _put_back(rs: RecordSet, periods: list[str], old: list[IndicatorValue]) -> None:
    """Undo a failed :func:`save_values`: drop rows it added, restore the rows it changed."""
    from jiceng.core.batches import chunks, let_others_write

    kept = {_key(o) for o in old}
    added = [
        pk
        for pk, *key in IndicatorValue.objects.filter(record_set=rs, period__in=periods)
        .values_list("pk", "org_code", "period", "indicator")
        .iterator()
        if tuple(key) not in kept
    ]
    for part in chunks(added, BATCH_ROWS):
        with transaction.atomic():
            IndicatorValue.objects.filter(pk__in=part).delete()
        let_others_write()
    for part in chunks(old, 500):
        with transaction.atomic():
            IndicatorValue.objects.bulk_update(part, VALUE_FIELDS)
        let_others_write()


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
