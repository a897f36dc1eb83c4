"""A record set job whose worker died is found, marked failed, cleaned up and can be retried."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jiceng.core.models import AuditEvent
from jiceng.indicators import actions, jobs, tasks, uploads
from jiceng.indicators.models import IndicatorValue, RecordSet

from .test_upload import IMMEDIATE, record_set_dir, upload, zip_of

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(minutes=10)
DEAD_PID = 2**22 + 12345  # above Linux's pid_max: never a living process


@pytest.fixture(autouse=True)
def lease(settings):
    settings.JICENG_JOB_LEASE_SECONDS = 60


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.JICENG_ANALYTICS_DIR


def stuck_load(personas, tmp_path, analytics_dir, name="甲县2025"):
    """A load killed at 37 %: upload and tables on disk, a stray .loading store, old beat."""
    rs = actions.do_register_upload(
        personas.county_admin, name=name, node=personas.tree.A, source="records.zip"
    )
    zip_file = tmp_path / "in.zip"
    zip_file.write_bytes(zip_of(record_set_dir(personas.tree, tmp_path)))
    uploads.adopt(zip_file, rs.pk)
    uploads.unpack(uploads.zip_path(rs.pk), uploads.tables_dir(rs.pk))
    stray = analytics_dir / f".recordset-{rs.pk}.duckdb.{DEAD_PID}.loading"
    stray.write_bytes(b"partial")
    tmpdir = analytics_dir / f".recordset-{rs.pk}.duckdb.{DEAD_PID}.tmp-x1"
    tmpdir.mkdir()
    RecordSet.objects.filter(pk=rs.pk).update(
        progress={"task": "load", "stage": "检查 residents", "percent": 37, "done": False},
        worker=f"host:{DEAD_PID}",
        heartbeat_at=timezone.now() - LONG_AGO,
    )
    return rs, stray, tmpdir


def test_a_load_whose_worker_died_is_failed_when_read_and_its_stray_files_removed(
    personas, client_for, tmp_path, analytics_dir
):
    rs, stray, tmpdir = stuck_load(personas, tmp_path, analytics_dir)
    client = client_for(personas.county_admin)
    html = client.get(reverse("indicators:recordset_status", args=[rs.pk])).content.decode()
    rs.refresh_from_db()
    assert rs.status == RecordSet.Status.FAILED
    assert "后台任务中断" in rs.message and "请重试" in rs.message
    assert rs.progress["done"] and rs.progress["interrupted"]
    assert "hx-trigger" not in html and "后台任务中断" in html
    assert 'id="retry-form"' in html
    assert not stray.exists() and not tmpdir.exists()
    assert not uploads.tables_dir(rs.pk).exists()
    assert uploads.zip_path(rs.pk).exists()  # kept for the retry
    assert AuditEvent.objects.filter(action="indicators.job_interrupted").count() == 1


@override_settings(TASKS=IMMEDIATE)
def test_an_interrupted_load_is_retried_from_the_page_and_its_upload_then_deleted(
    personas, client_for, tmp_path, analytics_dir
):
    rs, _stray, _tmp = stuck_load(personas, tmp_path, analytics_dir)
    client = client_for(personas.county_admin)
    client.get(reverse("indicators:recordset", args=[rs.pk]))
    r = client.post(reverse("indicators:recordset_retry", args=[rs.pk]))
    assert r.status_code == 302
    rs.refresh_from_db()
    assert rs.status == RecordSet.Status.READY, rs.message
    assert rs.row_counts["residents"] == 400
    assert not uploads.zip_path(rs.pk).exists()
    assert AuditEvent.objects.filter(action="indicators.job_retried").count() == 1


def test_the_name_of_a_failed_load_can_be_used_again(personas, client_for, tmp_path, analytics_dir):
    rs, _stray, _tmp = stuck_load(personas, tmp_path, analytics_dir)
    client = client_for(personas.county_admin)
    client.get(reverse("indicators:recordset", args=[rs.pk]))
    r = upload(client, personas.tree, zip_of(record_set_dir(personas.tree, tmp_path / "b")))
    assert r.status_code == 302, r.content.decode()[:2000]
    new = RecordSet.objects.get(name="甲县2025")
    assert new.pk != rs.pk and new.status == RecordSet.Status.LOADING
    assert AuditEvent.objects.filter(action="indicators.recordset_replaced").count() == 1


def test_a_live_load_is_left_running(personas, client_for, tmp_path, analytics_dir):
    rs, stray, _tmp = stuck_load(personas, tmp_path, analytics_dir)
    RecordSet.objects.filter(pk=rs.pk).update(heartbeat_at=timezone.now())
    html = (
        client_for(personas.county_admin)
        .get(reverse("indicators:recordset_status", args=[rs.pk]))
        .content.decode()
    )
    rs.refresh_from_db()
    assert rs.status == RecordSet.Status.LOADING and 'hx-trigger="every 1s"' in html
    assert stray.exists() and uploads.tables_dir(rs.pk).exists()


@override_settings(TASKS=IMMEDIATE)
def test_a_computation_whose_worker_died_no_longer_blocks_computing_and_can_be_retried(
    personas, client_for, tmp_path
):
    client = client_for(personas.county_admin)
    upload(client, personas.tree, zip_of(record_set_dir(personas.tree, tmp_path)))
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.READY
    RecordSet.objects.filter(pk=rs.pk).update(
        progress={
            "task": "compute",
            "stage": "计算",
            "percent": 40,
            "done": False,
            "periods": ["2025"],
        },
        heartbeat_at=timezone.now() - LONG_AGO,
    )
    r = client.get(reverse("indicators:recordset", args=[rs.pk]))
    html = r.content.decode()
    assert "后台任务中断" in html and 'id="retry-form"' in html
    r = client.post(reverse("indicators:recordset_retry", args=[rs.pk]))
    rs.refresh_from_db()
    assert rs.progress["done"] and not rs.progress.get("error"), rs.progress
    assert IndicatorValue.objects.filter(record_set=rs, period="2025").exists()
    # and a new computation is not refused as busy
    client.post(reverse("indicators:recordset_compute", args=[rs.pk]), {"periods": "2024"})
    assert IndicatorValue.objects.filter(record_set=rs, period="2024").exists()


def test_the_api_reports_a_dead_job_as_failed(personas, client_for, tmp_path, analytics_dir):
    rs, _stray, _tmp = stuck_load(personas, tmp_path, analytics_dir)
    r = client_for(personas.county_admin).get(f"/api/v1/indicators/recordsets/{rs.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "failed" and "后台任务中断" in body["progress"]["error"]


def test_a_queued_load_waiting_for_a_worker_is_not_failed(personas, client_for, tmp_path):
    """Default backend (database), no worker: the task waits, however long it takes."""
    client = client_for(personas.county_admin)
    upload(client, personas.tree, zip_of(record_set_dir(personas.tree, tmp_path)))
    rs = RecordSet.objects.get()
    RecordSet.objects.filter(pk=rs.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    assert call_command("jobs_sweep") is None
    rs.refresh_from_db()
    assert rs.status == RecordSet.Status.LOADING and rs.progress["queued"]
    assert uploads.zip_path(rs.pk).exists()


def test_a_queued_load_whose_task_a_dead_worker_took_is_failed_by_the_sweep(
    personas, client_for, tmp_path
):
    client = client_for(personas.county_admin)
    upload(client, personas.tree, zip_of(record_set_dir(personas.tree, tmp_path)))
    rs = RecordSet.objects.get()
    # the worker claimed the task, then was killed before the load began
    DBTaskResult.objects.filter(id=rs.task_id).update(status=TaskResultStatus.RUNNING)
    RecordSet.objects.filter(pk=rs.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    call_command("jobs_sweep")
    rs.refresh_from_db()
    assert rs.status == RecordSet.Status.FAILED and "后台任务中断" in rs.message
    assert DBTaskResult.objects.get(id=rs.task_id).status == TaskResultStatus.FAILED
    assert jobs.can_retry(rs)


def test_the_sweep_deletes_uploads_no_job_needs_and_strays_of_dead_processes(
    personas, tmp_path, analytics_dir, settings
):
    from .conftest import make_record_set

    done = make_record_set(name="旧记录集", node=personas.tree.A)
    old_zip = uploads.zip_path(done.pk)
    old_zip.parent.mkdir(parents=True)
    old_zip.write_bytes(b"PK")
    (uploads.tables_dir(done.pk)).mkdir()
    rejects = uploads.rejects_path(done.pk)
    rejects.write_text("file,row,reasons,values\nresidents.csv,4,sex 无效,sex=330101195001011234\n")
    orphan = uploads.upload_dir(999999)
    orphan.mkdir()
    (orphan / "upload.zip").write_bytes(b"PK")
    stray = analytics_dir / f"..cli-abc.duckdb.{DEAD_PID}.loading"
    stray.write_bytes(b"x")
    mine = analytics_dir / f".recordset-1.duckdb.{os.getpid()}.loading"
    mine.write_bytes(b"x")  # a living process's load is left alone
    call_command("jobs_sweep")
    assert not old_zip.exists() and not uploads.tables_dir(done.pk).exists()
    assert rejects.exists() and "sex=" + "*" * 18 in rejects.read_text()  # older file masked
    assert not orphan.exists() and not stray.exists() and mine.exists()


def test_an_interrupted_loads_upload_is_deleted_after_the_retry_window(
    personas, tmp_path, analytics_dir, settings
):
    rs, _stray, _tmp = stuck_load(personas, tmp_path, analytics_dir)
    call_command("jobs_sweep")
    assert uploads.zip_path(rs.pk).exists()
    settings.JICENG_UPLOAD_RETRY_HOURS = 0
    call_command("jobs_sweep")
    assert not uploads.zip_path(rs.pk).exists()
    rs.refresh_from_db()
    assert not jobs.can_retry(rs)


def test_a_full_disk_while_storing_the_upload_leaves_no_job_and_no_file(
    personas, client_for, tmp_path, analytics_dir, monkeypatch
):
    import errno

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    archive = zip_of(record_set_dir(personas.tree, tmp_path))
    monkeypatch.setattr(os, "fsync", no_space)
    r = upload(client_for(personas.county_admin), personas.tree, archive)
    assert r.status_code == 200
    html = r.content.decode()
    assert "没有保存" in html
    assert not RecordSet.objects.exists()
    root = uploads.uploads_root()
    assert not root.exists() or not any(root.rglob("*"))


@override_settings(TASKS=IMMEDIATE)
def test_a_full_disk_while_unpacking_fails_the_load_clearly_and_leaves_no_file(
    personas, client_for, tmp_path, analytics_dir, monkeypatch
):
    import errno
    import shutil

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    archive = zip_of(record_set_dir(personas.tree, tmp_path))
    monkeypatch.setattr(shutil, "copyfileobj", no_space)
    upload(client_for(personas.county_admin), personas.tree, archive)
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.FAILED
    assert rs.progress["done"] and "No space left" in rs.message
    assert not uploads.upload_dir(rs.pk).exists()
    assert not list(analytics_dir.glob(f".recordset-{rs.pk}.*"))


def test_a_load_records_its_worker_and_beats_until_it_ends(personas, tmp_path):
    rs = actions.do_register_upload(None, name="演示", node=personas.tree.A, source="x")
    src = record_set_dir(personas.tree, tmp_path)
    before = timezone.now()
    tasks.run_load(rs.pk, str(src))
    rs.refresh_from_db()
    assert rs.status == RecordSet.Status.READY
    assert rs.heartbeat_at >= before and rs.worker == ""
