"""Background jobs that survive a crash: heartbeats, leases and the sweep of dead jobs.

A job that runs in the task worker (a record set load or computation, a tree import)
beats while it runs: a thread writes the time every few seconds (to the job's row, or to
its progress file). A job whose last beat is older than the lease
(``JICENG_JOB_LEASE_SECONDS``, default 120) has lost its worker (kill -9, power cut, out
of memory): reading its status, or :func:`sweep` at worker start and in
``jiceng jobs sweep``, marks it failed with :func:`interrupted_message` and removes its
partial files. A queued job whose task was taken by a worker that died before the job
started is found the same way (its task is no longer waiting).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import threading
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Each app with background jobs has a ``sweep() -> int`` (jobs marked failed).
SWEEPERS = (
    "jiceng.indicators.jobs.sweep",
    "jiceng.orgs.tasks.sweep",
    "jiceng.reports.tasks.sweep",
)


def lease_seconds() -> float:
    """Seconds without a beat after which a running job counts as dead."""
    return float(getattr(settings, "JICENG_JOB_LEASE_SECONDS", 120))


def beat_interval() -> float:
    return max(0.2, min(15.0, lease_seconds() / 6))


def worker_id() -> str:
    """This process, as ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def interrupted_message() -> str:
    return _(
        "The background job was interrupted (its worker stopped before it finished). Please retry."
    )


def is_stale(last_beat: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """True when ``last_beat`` is missing or older than the lease."""
    if last_beat is None:
        return True
    now = now or timezone.now()
    return (now - last_beat).total_seconds() > lease_seconds()


def task_waits(task, task_id: str) -> bool | None:
    """Whether the queued task ``task_id`` still waits for a worker (None: cannot tell)."""
    from django_tasks import TaskResultStatus

    if not task_id:
        return None
    try:
        result = task.get_result(task_id)
    except Exception:  # noqa: BLE001 - unknown id, pruned results, backends without results
        return None
    return result.status == TaskResultStatus.READY


def fail_task(task_id: str) -> None:
    """Mark the database task result of a dead job failed (it would stay running for ever)."""
    if not task_id:
        return
    try:
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now()
        )
    except Exception:  # noqa: BLE001 - another backend, or no such row: nothing to mark
        log.debug("could not mark task %s failed", task_id, exc_info=True)


class Heartbeat:
    """Calls ``beat()`` every :func:`beat_interval` seconds in a thread while the block runs.

    A failed beat (a locked database, say) is logged and tried again at the next one.
    """

    def __init__(self, beat: Callable[[], None], interval: float | None = None):
        self.beat = beat
        self.interval = interval or beat_interval()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jiceng-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # noqa: BLE001 - the next beat may succeed
                    log.warning("heartbeat failed", exc_info=True)
        finally:
            connection.close()  # this thread's own database connection


_PID = re.compile(r"\.(\d+)\.(?:loading|tmp-)")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stray_files(folder: Path) -> list[Path]:
    """Remove partial stores (``*.PID.loading``) and temp folders of processes now gone."""
    import shutil

    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        m = _PID.search(path.name)
        if not path.name.startswith(".") or not m or pid_alive(int(m.group(1))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def sweep() -> int:
    """Mark every dead job failed and remove stray files; the number of jobs marked."""
    total = 0
    for dotted in SWEEPERS:
        module, name = dotted.rsplit(".", 1)
        total += getattr(import_module(module), name)()
    return total
