"""A tree import whose worker died is marked failed with a clear reason, never running for ever."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jiceng.orgs.models import ImportJob, Node
from jiceng.orgs.tasks import _Progress, enqueue, progress_path, run_import

from .test_import_jobs import IMMEDIATE, big_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lease(settings, tmp_path):
    settings.JICENG_JOB_LEASE_SECONDS = 60
    settings.VAR_DIR = tmp_path


def running_job(personas, beat_age: float | None, started_ago=dt.timedelta(minutes=10)):
    job = ImportJob.objects.create(
        created_by=personas.county_admin,
        filename="big.xlsx",
        data=big_file(personas.tree),
        total=5,
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now() - started_ago,
        worker="host:1",
    )
    if beat_age is not None:
        path = progress_path(job.pk)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"done": 2, "total": 5, "beat": time.time() - beat_age}))
    return job


def test_a_running_import_without_a_beat_for_longer_than_the_lease_is_failed_when_read(
    personas, client_for
):
    job = running_job(personas, beat_age=600)
    html = client_for(personas.county_admin).get(f"/orgs/import/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "后台任务中断" in job.error and job.data == b""
    assert 'data-status="failed"' in html and "后台任务中断" in html
    assert not progress_path(job.pk).exists()


def test_a_running_import_that_never_wrote_progress_is_failed_after_the_lease(personas):
    job = running_job(personas, beat_age=None)
    assert call_command("jobs_sweep") is None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_a_running_import_that_beats_is_left_alone(personas, client_for):
    job = running_job(personas, beat_age=1)
    client_for(personas.county_admin).get(f"/orgs/import/{job.pk}/")
    call_command("jobs_sweep")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING


def test_a_queued_import_whose_task_a_dead_worker_took_is_failed_by_the_sweep(personas):
    job = ImportJob.objects.create(
        created_by=personas.county_admin, filename="big.xlsx", data=big_file(personas.tree), total=5
    )
    enqueue(job)  # database backend, no worker
    job.refresh_from_db()
    call_command("jobs_sweep")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED  # waiting for a worker is fine
    DBTaskResult.objects.filter(id=job.task_id).update(status=TaskResultStatus.RUNNING)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    call_command("jobs_sweep")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "后台任务中断" in job.error
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.FAILED


@override_settings(TASKS=IMMEDIATE)
def test_an_import_records_its_worker_and_heartbeat(personas):
    job = ImportJob.objects.create(
        created_by=personas.county_admin, filename="big.xlsx", data=big_file(personas.tree), total=5
    )
    assert run_import(job.pk) == "done"
    job.refresh_from_db()
    assert job.started_at is not None and job.worker == ""
    assert Node.objects.filter(code__startswith="X").count() == 5


def test_the_progress_file_carries_the_heartbeat(personas):
    before = time.time()
    progress = _Progress(12345, 10)
    progress.step(1)
    progress.beat()
    data = json.loads(progress_path(12345).read_text())
    assert data["beat"] >= before and data["total"] == 10 and ":" in data["worker"]
