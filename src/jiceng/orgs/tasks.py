"""Background tree imports: large uploads from the web page run in the task worker.

The page validates the file at once (so problems show without waiting) and, when it is
large, stores it in an :class:`ImportJob` and enqueues :func:`import_task`. The worker
validates again (the tree may have changed meanwhile) and writes everything in one
transaction. Its progress goes to a small JSON file under ``VAR_DIR/jobs/`` because the
rows it writes are invisible to other connections until the transaction commits.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiceng.core.errors import UserError, ValidationFailed
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
    def __init__(self, job_id: int, total: int):
        self.path = progress_path(job_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.total = total
        self.done = 0
        self.every = max(1, total // 100)
        self._write()

    def _write(self) -> None:
        self.path.write_text(json.dumps({"done": self.done, "total": self.total}))

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
    job.save()
    progress_path(job.pk).unlink(missing_ok=True)
    return status


def run_import(job_id: int) -> str:
    """Run one queued import job; safe to call twice (only one run claims it)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    job = ImportJob.objects.select_related("created_by", "created_by__node").get(pk=job_id)
    if not claimed:
        return job.status
    actor = job.created_by
    try:
        plan = plan_import(bytes(job.data), job.filename, actor=actor)
        progress = _Progress(job.pk, plan.size)
        result = do_import_tree(actor, plan, progress=progress.step, dry_run=job.dry_run)
    except ValidationFailed as exc:
        return _finish(job, ImportJob.Status.FAILED, problems=[asdict(p) for p in exc.problems])
    except UserError as exc:
        return _finish(job, ImportJob.Status.FAILED, error=str(exc))
    except Exception:
        log.exception("tree import job %s failed", job_id)
        _finish(job, ImportJob.Status.FAILED, error=_("The import failed; nothing was saved."))
        raise
    return _finish(job, ImportJob.Status.DONE, result=asdict(result))


@task()
def import_task(job_id: int) -> str:
    return run_import(job_id)
