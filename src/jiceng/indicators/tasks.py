"""Background work on record sets: load an upload, compute periods. Progress goes on the row.

The pages enqueue ``load_task`` / ``compute_task`` (django-tasks; the database backend runs
them in ``jiceng db_worker``). The work itself is ``run_load`` / ``run_compute``, which the
demo calls directly. Progress is written to ``RecordSet.progress`` as
``{"task", "stage", "percent", "done", "error"}`` and read by the htmx-polled status.

While a job runs it beats (``heartbeat_at``, see ``core/jobs.py``); a job whose worker died
is found and marked failed by ``indicators/jobs.py``. The uploaded ZIP and its unpacked
tables are deleted as soon as the load has ended, loaded or not: the clear values (ID
numbers) exist only in memory while loading and in no file afterwards.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiceng.core import audit
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.jobs import Heartbeat, worker_id
from jiceng.core.pii import mask_id_numbers
from jiceng.indicators import regions, uploads
from jiceng.indicators.models import RecordSet
from jiceng.indicators.store import platform_tree, remove_files, save_values, store_path

log = logging.getLogger(__name__)

# Share of the bar given to each stage of a load, by the first word of C1's stage labels.
LOAD_STAGES = {"读取": (0, 30), "检查": (30, 60), "写入": (60, 95)}


class Reporter:
    """Writes progress to the record set's row, at most a few times a second."""

    def __init__(self, pk: int, task_name: str, span: tuple[int, int] = (0, 100)):
        self.pk = pk
        self.task = task_name
        self.span = span
        self.last = 0.0
        self.last_percent = -1

    def set(self, stage: str, percent: int, *, done: bool = False, error: str = "", **extra):
        data = {"task": self.task, "stage": stage, "percent": int(percent), "done": done}
        if error:
            data["error"] = mask_id_numbers(error)
        data.update(extra)
        RecordSet.objects.filter(pk=self.pk).update(progress=data, heartbeat_at=timezone.now())
        self.last = time.monotonic()
        self.last_percent = int(percent)

    def load_stage(self, stage: str, done: int, total: int) -> None:
        lo, hi = next((v for k, v in LOAD_STAGES.items() if stage.startswith(k)), self.span)
        percent = lo + (hi - lo) * (done / total if total else 1)
        self._maybe(stage, percent)

    def fraction(self, stage: str, done: int, total: int) -> None:
        lo, hi = self.span
        self._maybe(stage, lo + (hi - lo) * (done / total if total else 1))

    def _maybe(self, stage: str, percent: float) -> None:
        p = int(percent)
        if p != self.last_percent or time.monotonic() - self.last > 0.5:
            self.set(stage, p)


def _problem_dicts(problems: list[Problem]) -> list[dict]:
    return [
        {
            "message": p.message,
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "field": p.field,
            "label": p.label,
        }
        for p in problems
    ]


@transaction.atomic
def _mark_failed(rs: RecordSet, problems: list[Problem], message: str) -> None:
    before = audit.snapshot(rs)
    rs.status = RecordSet.Status.FAILED
    rs.worker = ""
    rs.problems = _problem_dicts(problems)
    message = mask_id_numbers(message)
    rs.message = message
    rs.progress = {**rs.progress, "done": True, "error": message, "percent": 100}
    rs.save(update_fields=["status", "problems", "message", "progress"])
    audit.record(
        rs.loaded_by, "indicators.recordset_failed", rs, before=before, after=audit.snapshot(rs)
    )


@transaction.atomic
def _mark_ready(rs: RecordSet, result, rejects: Path | None) -> None:
    before = audit.snapshot(rs)
    rs.status = RecordSet.Status.READY
    rs.worker = ""
    rs.row_counts = dict(result.counts)
    rs.rejected_rows = int(result.rejected or 0)
    rs.rejects_path = str(rejects) if rejects and result.rejected else ""
    rs.store_path = str(result.store)
    rs.loaded_at = timezone.now()
    rs.problems = []
    rs.message = ""
    rs.progress = {
        "task": "load",
        "stage": _("Load finished"),
        "percent": 100,
        "done": True,
        "warnings": _problem_dicts(list(result.warnings)),
    }
    rs.save()
    audit.record(
        rs.loaded_by, "indicators.recordset_loaded", rs, before=before, after=audit.snapshot(rs)
    )


def _beat(pk: int) -> None:
    RecordSet.objects.filter(pk=pk).update(heartbeat_at=timezone.now())


def _claim(pk: int) -> None:
    """Mark record set ``pk`` as worked on by this process, beating from now on."""
    RecordSet.objects.filter(pk=pk).update(worker=worker_id(), heartbeat_at=timezone.now())


def run_load(pk: int, src: str | None = None, skip_invalid: bool = False) -> dict:
    """Validate and load record set ``pk`` from ``src`` (default: its uploaded ZIP).

    The uploaded ZIP and its unpacked tables are deleted when the load ends, either way.
    """
    rs = RecordSet.objects.select_related("node", "loaded_by").filter(pk=pk).first()
    if rs is None:
        return {"status": "skipped", "reason": f"record set {pk} was withdrawn"}
    if rs.status != RecordSet.Status.LOADING or rs.loaded_at is not None:
        return {"status": "skipped", "reason": f"record set {pk} is {rs.status}"}  # ran already
    _claim(pk)
    try:
        with Heartbeat(lambda: _beat(pk)):
            outcome = _load(rs, src, skip_invalid)
    except BaseException:  # stopped (signal): the ZIP stays for a retry, the tables go
        if src is None:
            uploads.discard(pk, keep_zip=True)
        raise
    if src is None:
        uploads.discard(pk)
    return outcome


def _load(rs: RecordSet, src: str | None, skip_invalid: bool) -> dict:
    from jiceng.analytics import load_recordset

    from .schedule import deployment_schedule

    pk = rs.pk
    report = Reporter(pk, "load")
    report.set(_("Starting"), 0, skip_invalid=skip_invalid)
    try:
        if src is None:
            src_dir = uploads.tables_dir(pk)
            uploads.unpack(uploads.zip_path(pk), src_dir, rs.source or "upload.zip")
        else:
            src_dir = Path(src)
        regions.check_units(src_dir, rs.node)
        rejects = uploads.rejects_path(pk) if skip_invalid else None
        result = load_recordset(
            src_dir,
            store_path(rs),
            tree=platform_tree(rs.node),
            pii_key=settings.JICENG_PII_KEY.encode(),
            skip_invalid=skip_invalid,
            rejects=rejects,
            progress=report.load_stage,
            immunization_schedule=deployment_schedule(),
        )
    except ValidationFailed as e:
        rs.refresh_from_db()
        _mark_failed(rs, e.problems, _("The record set has problems; nothing was loaded."))
        return {"status": "failed", "problems": len(e.problems)}
    except Exception as e:  # a crash must still end the progress bar
        log.exception("loading record set %s failed", pk)
        rs.refresh_from_db()
        _mark_failed(rs, [], _("Loading failed: %(error)s") % {"error": e})
        return {"status": "failed", "error": mask_id_numbers(str(e))}
    if not RecordSet.objects.filter(pk=pk).exists():  # withdrawn while it was loading
        remove_files(pk, result.store)
        return {"status": "skipped", "reason": f"record set {pk} was withdrawn"}
    rs.refresh_from_db()
    _mark_ready(rs, result, rejects)
    return {"status": "ready", "counts": dict(result.counts), "rejected": result.rejected}


def run_compute(pk: int, periods: list[str], engine: str = "duckdb") -> dict:
    """Compute ``periods`` on record set ``pk`` and store the values (replacing earlier ones)."""
    from jiceng.analytics import compute_indicators, parse_period

    from .schedule import schedule_settings

    rs = RecordSet.objects.select_related("node", "loaded_by").filter(pk=pk).first()
    if rs is None:
        return {"status": "skipped", "reason": f"record set {pk} was withdrawn"}
    _claim(pk)
    report = Reporter(pk, "compute", span=(0, 90))
    report.set(_("Starting"), 0, periods=periods)
    try:
        with Heartbeat(lambda: _beat(pk)):
            parsed = [parse_period(p) for p in periods]
            values = compute_indicators(
                Path(rs.store_path),
                parsed,
                engine=engine,
                settings=schedule_settings(),
                progress=report.fraction,
            )
            report.set(_("Saving values"), 92, periods=periods)
            saved = save_values(rs, values, engine, actor=rs.loaded_by)
    except Exception as e:
        log.exception("computing record set %s failed", pk)
        report.set(_("Failed"), 100, done=True, error=str(e), periods=periods)
        RecordSet.objects.filter(pk=pk).update(worker="")
        return {"status": "failed", "error": mask_id_numbers(str(e))}
    report.set(_("Computed"), 100, done=True, periods=periods, values=saved)
    RecordSet.objects.filter(pk=pk).update(worker="")
    return {"status": "computed", "values": saved}


def queued(task_name: str, **extra) -> dict:
    """The progress of a job waiting for the worker."""
    return {
        "task": task_name,
        "stage": _("Queued"),
        "percent": 0,
        "done": False,
        "queued": True,
        **extra,
    }


def enqueue_load(rs: RecordSet, skip_invalid: bool = False) -> None:
    """Queue the load of an uploaded record set (its ZIP is in place)."""
    _enqueue(rs, load_task, queued("load", skip_invalid=skip_invalid), skip_invalid)


def enqueue_compute(rs: RecordSet, periods: list[str]) -> None:
    """Queue the computation of ``periods`` on a loaded record set."""
    _enqueue(rs, compute_task, queued("compute", periods=periods), periods)


def _enqueue(rs: RecordSet, task, progress: dict, *args) -> None:
    RecordSet.objects.filter(pk=rs.pk).update(
        progress=progress, heartbeat_at=timezone.now(), task_id="", worker=""
    )
    result = task.enqueue(rs.pk, *args)  # the immediate backend runs it here and now
    RecordSet.objects.filter(pk=rs.pk).update(task_id=str(result.id)[:64])


@task()
def load_task(pk: int, skip_invalid: bool = False) -> dict:
    return run_load(pk, None, skip_invalid)


@task()
def compute_task(pk: int, periods: list[str]) -> dict:
    return run_compute(pk, periods)
