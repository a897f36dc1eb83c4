"""Record set jobs whose worker died: found, marked failed, cleaned up, offered for retry.

``check(rs)`` runs whenever a page or the API reads a record set; ``sweep()`` runs when a
task worker starts and in ``jiceng jobs sweep``. See ``core/jobs.py`` for the lease.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.conf import settings

from jiceng.core.jobs import fail_task, is_stale, remove_stray_files, task_waits
from jiceng.core.pii import mask_id_numbers
from jiceng.indicators import uploads
from jiceng.indicators.models import RecordSet


def is_active(rs: RecordSet) -> bool:
    """A load or computation is queued or running (as far as the row says)."""
    progress = rs.progress or {}
    return rs.status == RecordSet.Status.LOADING or (
        bool(progress) and not progress.get("done", False)
    )


def is_dead(rs: RecordSet) -> bool:
    """The job of ``rs`` lost its worker: no beat within the lease, or its task is gone."""
    from jiceng.indicators import tasks

    if not is_active(rs):
        return False
    progress = rs.progress or {}
    if progress.get("queued"):
        task = tasks.compute_task if progress.get("task") == "compute" else tasks.load_task
        waits = task_waits(task, rs.task_id)
        if waits or (waits is None and rs.task_id):
            return False  # still waiting for a worker (or the backend cannot tell)
    return is_stale(rs.heartbeat_at)


def check(rs: RecordSet) -> RecordSet:
    """``rs``, marked failed (and cleaned up) first if its worker died."""
    from jiceng.indicators.actions import do_fail_interrupted

    if is_dead(rs) and do_fail_interrupted(rs):
        cleanup(rs)
        rs.refresh_from_db()
    return rs


def cleanup(rs: RecordSet) -> None:
    """Remove what a dead job left: unpacked tables, a partial store and its temp folder.

    The uploaded ZIP of an interrupted load stays for a retry (see :func:`sweep`).
    """
    uploads.discard(rs.pk, keep_zip=True)
    folder = Path(settings.JICENG_ANALYTICS_DIR)
    if folder.is_dir():
        for path in folder.glob(f".recordset-{rs.pk}.duckdb.*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    fail_task(rs.task_id)


def can_retry(rs: RecordSet) -> bool:
    """An interrupted load whose ZIP is still kept, or a computation that failed."""
    progress = rs.progress or {}
    if is_active(rs):
        return False
    if progress.get("task") == "compute":
        return bool(progress.get("error")) and rs.status == RecordSet.Status.READY
    return (
        rs.status == RecordSet.Status.FAILED
        and bool(progress.get("interrupted"))
        and uploads.zip_path(rs.pk).exists()
    )


def retry(actor, rs: RecordSet) -> str:
    """Retry the failed job of ``rs`` (audited) and queue it; the job retried."""
    from jiceng.indicators import actions, tasks

    kind, args = actions.do_retry(actor, rs)
    if kind == "compute":
        tasks.enqueue_compute(rs, *args)
    else:
        tasks.enqueue_load(rs, *args)
    return kind


def retry_hours() -> float:
    """How long the ZIP of an interrupted load is kept for a retry."""
    return float(getattr(settings, "JICENG_UPLOAD_RETRY_HOURS", 24))


def sweep() -> int:
    """Mark dead jobs failed; delete uploads no job needs and stray partial files."""
    marked = 0
    for rs in RecordSet.objects.filter(pk__in=_active_ids()):
        if is_dead(rs):
            check(rs)
            marked += 1
    _purge_uploads()
    remove_stray_files(Path(settings.JICENG_ANALYTICS_DIR))
    return marked


def _active_ids() -> list[int]:
    return [rs.pk for rs in RecordSet.objects.only("pk", "status", "progress") if is_active(rs)]


def _purge_uploads() -> None:
    root = uploads.uploads_root()
    if not root.is_dir():
        return
    now = time.time()
    for path in root.iterdir():
        if path.name.startswith(".incoming-"):
            if now - path.stat().st_mtime > 3600:  # a receive that never finished
                path.unlink(missing_ok=True)
            continue
        if not path.is_dir() or not path.name.isdigit():
            continue
        rs = RecordSet.objects.filter(pk=int(path.name)).first()
        if rs is None:
            shutil.rmtree(path, ignore_errors=True)
            continue
        if is_active(rs):
            continue
        _mask_rejects(uploads.rejects_path(rs.pk))
        zip_file = uploads.zip_path(rs.pk)
        kept = (
            can_retry(rs)
            and zip_file.exists()
            and now - zip_file.stat().st_mtime < retry_hours() * 3600
        )
        uploads.discard(rs.pk, keep_zip=kept)


def _mask_rejects(path: Path) -> None:
    """Rewrite a rejects file written before masking existed, if it echoes an ID number."""
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8-sig")
    masked = mask_id_numbers(text)
    if masked != text:
        tmp = path.with_suffix(".masking")
        tmp.write_text(masked, encoding="utf-8-sig")
        tmp.replace(path)
