"""Background generation of reports, and the quarterly progress reports (调度) on a schedule.

A page queues :func:`generate_task`; the worker (``jiceng db_worker``, started by
``jiceng serve``) claims the report (``queued → running``, only one claim wins), writes its
progress on the row and stores the .docx and PDF. While it runs, a thread beats (writes the time
on the row) every few seconds; a report whose worker died is marked failed when read (no
beat for longer than the job lease, ``JICENG_JOB_LEASE_SECONDS``).

The schedule: :func:`ensure_scheduled` (called when a worker starts) queues
:func:`quarterly_task` to run a few hours after the current quarter ends, unless one is
already waiting. When it runs it writes the progress report of the quarter just ended for
every county, city and province that has none yet, then queues itself for the next quarter.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from jiceng.core.jobs import Heartbeat, is_stale
from jiceng.orgs.models import Kind, Node
from jiceng.reports.actions import do_generate_report, do_request_report
from jiceng.reports.models import GeneratedReport

log = logging.getLogger(__name__)
SCHEDULE_HOUR = 2  # local hour of the day after a quarter ends when the reports are written


def run_generate(report_id: int, pdf: bool = True) -> str:
    """Generate one queued report; safe to call twice (only one run claims it)."""
    claimed = GeneratedReport.objects.filter(
        pk=report_id, status=GeneratedReport.Status.QUEUED
    ).update(status=GeneratedReport.Status.RUNNING, progress=1, heartbeat_at=timezone.now())
    report = GeneratedReport.objects.select_related("region").get(pk=report_id)
    if not claimed:
        return report.status

    def progress(percent: int) -> None:
        GeneratedReport.objects.filter(pk=report_id).update(
            progress=max(1, min(99, percent)), heartbeat_at=timezone.now()
        )

    def beat() -> None:  # while a long stage runs (a province's figures, the PDF)
        GeneratedReport.objects.filter(pk=report_id, status=GeneratedReport.Status.RUNNING).update(
            heartbeat_at=timezone.now()
        )

    try:
        with Heartbeat(beat):
            do_generate_report(None, report, pdf=pdf, progress=progress)
    except Exception:
        log.exception("report %s failed", report_id)
        GeneratedReport.objects.filter(pk=report_id).update(
            status=GeneratedReport.Status.FAILED,
            error=_("The report could not be written; nothing was saved. Please retry."),
            finished_at=timezone.now(),
        )
        return GeneratedReport.Status.FAILED
    return GeneratedReport.Status.DONE


@task()
def generate_task(report_id: int) -> str:
    return run_generate(report_id)


def enqueue(report: GeneratedReport) -> None:
    """Queue a requested report for the worker."""
    result = generate_task.enqueue(report.pk)  # the immediate backend runs it here and now
    GeneratedReport.objects.filter(pk=report.pk).update(task_id=str(result.id)[:64])


def check(report: GeneratedReport) -> GeneratedReport:
    """``report``, marked failed first if it runs without a beat for longer than the lease."""
    if report.status == GeneratedReport.Status.RUNNING and is_stale(report.heartbeat_at):
        from jiceng.core.jobs import interrupted_message

        GeneratedReport.objects.filter(pk=report.pk, status=report.status).update(
            status=GeneratedReport.Status.FAILED,
            error=interrupted_message(),
            finished_at=timezone.now(),
        )
        report.refresh_from_db()
    return report


def sweep() -> int:
    """Mark every report whose worker died failed (``core/jobs.py``); the number marked."""
    marked = 0
    running = GeneratedReport.objects.filter(status=GeneratedReport.Status.RUNNING)
    for report in running.defer("docx", "pdf"):
        if check(report).status == GeneratedReport.Status.FAILED:
            marked += 1
    return marked


# ---------------------------------------------------------------- the quarterly schedule


def last_ended_quarter(today: dt.date) -> tuple[int, int]:
    """(year, quarter) of the last quarter that ended before ``today``."""
    q = (today.month - 1) // 3  # quarters finished this year
    return (today.year - 1, 4) if q == 0 else (today.year, q)


def next_run(now: dt.datetime) -> dt.datetime:
    """The first day of the next quarter at :data:`SCHEDULE_HOUR`, local time."""
    local = timezone.localtime(now)
    month = ((local.month - 1) // 3 + 1) * 3 + 1
    year = local.year + (month > 12)
    month = month - 12 if month > 12 else month
    naive = dt.datetime(year, month, 1, SCHEDULE_HOUR)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def regions_for_progress_reports() -> list[Node]:
    """Every open county, city and province."""
    return list(
        Node.objects.filter(
            kind__in=[Kind.PROVINCE, Kind.CITY, Kind.COUNTY], closed__isnull=True
        ).order_by("path")
    )


def write_progress_reports(today: dt.date | None = None, pdf: bool = True) -> list[GeneratedReport]:
    """The progress report of the last ended quarter for every region lacking one."""
    year, quarter = last_ended_quarter(today or timezone.localdate())
    done = set(
        GeneratedReport.objects.filter(
            kind=GeneratedReport.Kind.PROGRESS, year=year, quarter=quarter
        )
        .exclude(status=GeneratedReport.Status.FAILED)
        .values_list("region_id", flat=True)
    )
    out = []
    for region in regions_for_progress_reports():
        if region.pk in done:
            continue
        report = do_request_report(None, region, year, quarter)
        run_generate(report.pk, pdf=pdf)
        out.append(report)
    return out


@task()
def quarterly_task() -> int:
    """Write the last quarter's progress reports, then queue the next run."""
    try:
        return len(write_progress_reports())
    finally:
        _enqueue_next()


def _enqueue_next() -> bool:
    """Queue the next quarterly run, if the task backend can defer a task (the database one)."""
    if not quarterly_task.get_backend().supports_defer:
        return False
    quarterly_task.using(run_after=next_run(timezone.now())).enqueue()
    return True


def ensure_scheduled() -> bool:
    """Queue the quarterly run unless one already waits; whether one was queued."""
    try:
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: nothing to look at
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=quarterly_task.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    return _enqueue_next()
