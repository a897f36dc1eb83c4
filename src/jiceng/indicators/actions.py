"""Writes of the indicators app: targets, uploaded and withdrawn record sets, each audited."""

from __future__ import annotations

import shutil
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.errors import Problem, UserError, ValidationFailed
from jiceng.indicators.models import IndicatorValue, RecordSet, Target
from jiceng.orgs.models import Node

MIN_YEAR, MAX_YEAR = 2000, 2100


def check_target(indicator: str, year: int, threshold_percent, comparison: str) -> Decimal:
    """Validate a target; return the threshold as a fraction. Raises ValidationFailed."""
    from jiceng.indicators.queries import definition_codes

    problems: list[Problem] = []
    if indicator not in definition_codes():
        problems.append(
            Problem(_("Unknown indicator code %(code)s.") % {"code": indicator}, field="indicator")
        )
    try:
        year = int(year)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem(_("The year must be between 2000 and 2100."), field="year"))
    fraction = None
    try:
        pct = Decimal(str(threshold_percent))
        if not pct.is_finite() or pct < 0 or pct > 100:
            raise InvalidOperation
        fraction = (pct / 100).quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        problems.append(
            Problem(_("The threshold must be a percentage from 0 to 100."), field="threshold")
        )
    if comparison not in Target.Comparison.values:
        problems.append(Problem(_("The comparison must be ge or le."), field="comparison"))
    if problems:
        raise ValidationFailed(problems)
    return fraction  # type: ignore[return-value]


@transaction.atomic
def do_set_target(
    actor,
    *,
    indicator: str,
    node: Node,
    year: int,
    threshold_percent,
    comparison: str = Target.Comparison.AT_LEAST,
    note: str = "",
) -> Target:
    """Create or replace the target of ``indicator`` on ``node`` for ``year`` (in percent)."""
    if actor is not None:
        scope.require(actor, scope.Action.MANAGE_CATALOGS, node)
    fraction = check_target(indicator, year, threshold_percent, comparison)
    existing = (
        Target.objects.select_for_update()
        .filter(indicator=indicator, node=node, year=int(year))
        .first()
    )
    before = audit.snapshot(existing)
    target = existing or Target(indicator=indicator, node=node, year=int(year))
    target.threshold = fraction
    target.comparison = comparison
    target.note = note or ""
    target.save()
    audit.record(
        actor,
        "indicators.target_set",
        target,
        before=before,
        after=audit.snapshot(target),
        node_path=node.path,
    )
    return target


@transaction.atomic
def do_delete_target(actor, target: Target) -> None:
    if actor is not None:
        scope.require(actor, scope.Action.MANAGE_CATALOGS, target.node)
    before = audit.snapshot(target)
    audit.record(
        actor, "indicators.target_deleted", target, before=before, node_path=target.node.path
    )
    target.delete()


def _may_replace(actor, rs: RecordSet) -> bool:
    if actor is None:
        return True
    if rs.node is None:
        return scope.is_global(actor)
    return scope.can(actor, scope.Action.MANAGE_CATALOGS, rs.node)


def _replace_failed(actor, rs: RecordSet) -> None:
    """Remove a record set whose load failed (it holds no values) to reuse its name."""
    from jiceng.indicators import jobs, uploads

    if rs.values.exists():
        return
    before = audit.snapshot(rs)
    audit.record(
        actor,
        "indicators.recordset_replaced",
        rs,
        before=before,
        node_path=rs.node.path if rs.node_id else "",
    )
    jobs.cleanup(rs)
    shutil.rmtree(uploads.upload_dir(rs.pk), ignore_errors=True)
    rs.delete()


@transaction.atomic
def do_register_upload(actor, *, name: str, node: Node, source: str) -> RecordSet:
    """Register an uploaded record set that a background task will load."""
    if actor is not None:
        scope.require(actor, scope.Action.MANAGE_CATALOGS, node)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed([Problem(_("A name is required."), field="name")])
    failed = RecordSet.objects.filter(name=name, status=RecordSet.Status.FAILED).first()
    if failed is not None and _may_replace(actor, failed):
        _replace_failed(actor, failed)  # a load that failed does not keep its name
    if RecordSet.objects.filter(name=name).exists():
        raise ValidationFailed(
            [
                Problem(
                    _("A record set named %(name)s exists already.") % {"name": name}, field="name"
                )
            ]
        )
    rs = RecordSet.objects.create(
        name=name,
        node=node,
        source=source,
        status=RecordSet.Status.LOADING,
        loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        progress={
            "task": "load",
            "stage": _("Queued"),
            "percent": 0,
            "done": False,
            "queued": True,
        },
    )
    audit.record(actor, "indicators.recordset_uploaded", rs, after=audit.snapshot(rs))
    return rs


@transaction.atomic
def do_delete_record_set(actor, rs: RecordSet) -> int:
    """Withdraw ``rs`` whatever its status: its values, then the row, then its files.

    Allowed to administrators of the owner region and above (a set without a region: only
    to global users). Returns the number of values removed. A worker still busy with the
    set finds it gone and stops (``tasks``).
    """
    from jiceng.indicators.store import remove_files

    if actor is not None:
        if rs.node is None:
            if not scope.is_global(actor):
                raise PermissionDenied
        else:
            scope.require(actor, scope.Action.MANAGE_CATALOGS, rs.node)
    locked = RecordSet.objects.select_for_update().filter(pk=rs.pk).first()
    if locked is None:
        return 0
    before = audit.snapshot(locked)
    files = (locked.store_path, locked.rejects_path)
    removed, _by_model = IndicatorValue.objects.filter(record_set=locked).delete()
    audit.record(
        actor,
        "indicators.recordset_deleted",
        locked,
        before=before,
        after={"values_deleted": removed},
        node_path=locked.node.path if locked.node_id else "",
    )
    pk = locked.pk
    locked.delete()
    remove_files(pk, *files)
    return removed


@transaction.atomic
def do_fail_interrupted(rs: RecordSet) -> bool:
    """Mark the job of ``rs`` failed because its worker died; False if it moved meanwhile."""
    from jiceng.core.jobs import interrupted_message

    before = audit.snapshot(rs)
    message = interrupted_message()
    progress = {
        **(rs.progress or {}),
        "done": True,
        "queued": False,
        "error": message,
        "interrupted": True,
    }
    updates: dict = {"progress": progress, "worker": ""}
    if rs.status == RecordSet.Status.LOADING:
        updates.update(status=RecordSet.Status.FAILED, message=message, problems=[])
    # Only if no beat came in since it was read (a live worker wins).
    changed = RecordSet.objects.filter(
        pk=rs.pk, status=rs.status, heartbeat_at=rs.heartbeat_at
    ).update(**updates)
    if not changed:
        return False
    rs.refresh_from_db()
    audit.record(None, "indicators.job_interrupted", rs, before=before, after=audit.snapshot(rs))
    return True


@transaction.atomic
def do_retry(actor, rs: RecordSet) -> tuple[str, tuple]:
    """Put back in the queue an interrupted load (its ZIP is kept) or a failed computation.

    Returns the job (``"load"`` or ``"compute"``) and its arguments; the caller enqueues it
    (``indicators.jobs.retry``) once this transaction has committed.
    """
    from jiceng.indicators import jobs, tasks

    if actor is not None and rs.node is not None:
        scope.require(actor, scope.Action.MANAGE_CATALOGS, rs.node)
    if not jobs.can_retry(rs):
        raise UserError(_("There is nothing to retry: upload the record set again."))
    before = audit.snapshot(rs)
    progress = rs.progress or {}
    if progress.get("task") == "compute":
        kind, args = "compute", (list(progress.get("periods") or []),)
        rs.progress = tasks.queued("compute", periods=args[0])
    else:
        kind, args = "load", (bool(progress.get("skip_invalid")),)
        rs.status = RecordSet.Status.LOADING
        rs.message = ""
        rs.problems = []
        rs.progress = tasks.queued("load", skip_invalid=args[0])
    rs.save(update_fields=["status", "message", "problems", "progress"])
    audit.record(actor, "indicators.job_retried", rs, before=before, after=audit.snapshot(rs))
    return kind, args
