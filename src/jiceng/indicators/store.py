"""Saving what the analytics engine produced into the platform database.

``save_values`` stores computed values with their provenance (definition version, record
set, engine, time), replacing earlier values of the same record set and periods.
``register_load`` records a record set loaded from the command line. Both write one
audit row inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiceng.core import audit
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.orgs.models import Node


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
    """Store computed values of ``rs``, replacing its earlier values for the same periods."""
    from jiceng.analytics import registry

    values = list(values)
    version = registry().version
    periods = sorted({v.period for v in values})
    nodes = dict(
        Node.objects.filter(code__in={v.org_code for v in values}).values_list("code", "id")
    )
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
        for v in values
    ]
    IndicatorValue.objects.bulk_create(objs, batch_size=2000)
    audit.record(
        actor,
        "indicators.values_computed",
        rs,
        after={"periods": periods, "values": len(objs), "engine": engine, "version": version},
    )
    return len(objs)
