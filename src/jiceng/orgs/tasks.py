"""Background tree imports: large uploads from the web page run in the task worker.

The page validates the file at once (so problems show without waiting) and, when it is
large, stores it in an :class:`ImportJob` and enqueues :func:`import_task`. The worker
validates again (the tree may have changed meanwhile) and writes everything in one
transaction. Its progress goes to a small JSON file under ``VAR_DIR/jobs/`` because the
rows it writes are invisible to other connections until the transaction commits.

The same file carries the job's heartbeat (``beat``, a Unix time written every few seconds
by a thread), so that beating never waits for the database. A running job whose beat is
older than the lease, or a queued job whose task a dead worker took, is marked failed when
its page is read and by :func:`sweep` (``core/jobs.py``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.jobs import (
    Heartbeat,
    fail_task,
    interrupted_message,
    is_stale,
    lease_seconds,
    task_waits,
    worker_id,
)
from jiceng.orgs.actions import do_import_tree
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import ImportJob

log = logging.getLogger(__name__)


def progress_path(job_id: int) -> Path:
    return Path(settings.VAR_DIR) / "jobs" / f"orgs-import-{job_id}.json"


def read_progress(job: ImportJob) -> int:
    """Percent of the rows written so far (0–100)."""
    if job.status == ImportJob.Status.DONE:
        return 100
    try:
        data = json.loads(progress_path(job.pk).read_text())
    except (OSError, ValueError):
        return 0
    total = data.get("total") or 0
    return min(99, int(100 * data.get("done", 0) / total)) if total else 0


class _Progress:
    def __init__(self, job_id: int, total: int = 0):
        self.path = progress_path(job_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.total = total
        self.done = 0
        self.every = max(1, total // 100)
        self._lock = threading.Lock()
        self._write()

    def _write(self) -> None:
        data = {"done": self.done, "total": self.total, "beat": time.time(), "worker": worker_id()}
        with self._lock:  # the heartbeat thread writes too
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(self.path)

    def beat(self) -> None:
        self._write()

    def start(self, total: int) -> None:
        self.total = total
        self.every = max(1, total // 100)
        self._write()

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.done % self.every == 0 or self.done >= self.total:
            self._write()


def _finish(job: ImportJob, status: str, **fields) -> str:
    for name, value in fields.items():
        setattr(job, name, value)
    job.status = status
    job.finished_at = timezone.now()
    job.data = b""
    job.worker = ""
    job.save()
    progress_path(job.pk).unlink(missing_ok=True)
    return status


def run_import(job_id: int) -> str:
    """Run one queued import job; safe to call twice (only one run claims it)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), worker=worker_id()
    )
    job = ImportJob.objects.select_related("created_by", "created_by__node").get(pk=job_id)
    if not claimed:
        return job.status
    progress = _Progress(job.pk)
    with Heartbeat(progress.beat):
        return _run(job, progress)


def _run(job: ImportJob, progress: _Progress) -> str:
    actor = job.created_by
    try:
        plan = plan_import(bytes(job.data), job.filename, actor=actor)
        progress.start(plan.size)
        result = do_import_tree(actor, plan, progress=progress.step, dry_run=job.dry_run)
    except ValidationFailed as exc:
        return _finish(job, ImportJob.Status.FAILED, problems=[asdict(p) for p in exc.problems])
    except UserError as exc:
        return _finish(job, ImportJob.Status.FAILED, error=str(exc))
    except Exception:
        log.exception("tree import job %s failed", job.pk)
        _finish(job, ImportJob.Status.FAILED, error=_("The import failed; nothing was saved."))
        raise
    return _finish(job, ImportJob.Status.DONE, result=asdict(result))


@task()
def import_task(job_id: int) -> str:
    return run_import(job_id)


def enqueue(job: ImportJob) -> None:
    """Queue a stored import job for the worker."""
    result = import_task.enqueue(job.pk)  # the immediate backend runs it here and now
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def last_beat(job: ImportJob) -> float | None:
    """Unix time of the running job's last heartbeat (from its progress file)."""
    try:
        return float(json.loads(progress_path(job.pk).read_text())["beat"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_dead(job: ImportJob) -> bool:
    """The job lost its worker: no beat within the lease, or a dead worker took its task."""
    if job.status == ImportJob.Status.RUNNING:
        beat = last_beat(job)
        if beat is not None:
            return time.time() - beat > lease_seconds()
        return is_stale(job.started_at)
    if job.status == ImportJob.Status.QUEUED:
        waits = task_waits(import_task, job.task_id)
        if waits or (waits is None and job.task_id):
            return False
        return is_stale(job.created_at)
    return False


def check(job: ImportJob) -> ImportJob:
    """``job``, marked failed first if its worker died (nothing was saved: one transaction)."""
    if not is_dead(job):
        return job
    changed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportJob.Status.FAILED,
        error=interrupted_message(),
        finished_at=timezone.now(),
        data=b"",
        worker="",
    )
    if changed:
        progress_path(job.pk).unlink(missing_ok=True)
        progress_path(job.pk).with_suffix(".tmp").unlink(missing_ok=True)
        fail_task(job.task_id)
    job.refresh_from_db()
    return job


def sweep() -> int:
    """Mark every dead tree import failed; the number marked."""
    active = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    marked = 0
    for job in ImportJob.objects.filter(status__in=active).defer("data"):
        if is_dead(job):
            check(job)
            marked += 1
    return marked
