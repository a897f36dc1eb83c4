"""Uploading a record set: checked, loaded in the background, computed; problems listed."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from jiceng.analytics import generate_recordset
from jiceng.core.models import AuditEvent
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.indicators.tasks import platform_tree

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.JICENG_ANALYTICS_DIR


def record_set_dir(tree, tmp_path: Path, fmt="csv") -> Path:
    out = tmp_path / "rs"
    generate_recordset(out, platform_tree(tree.A), [2024, 2025], seed=7, fmt=fmt, residents=400)
    return out


def zip_of(directory: Path, mutate=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(directory.iterdir()):
            data = f.read_bytes()
            if mutate:
                data = mutate(f.name, data)
            zf.writestr(f"export/{f.name}", data)
    return buf.getvalue()


def break_residents(name: str, data: bytes) -> bytes:
    """Line 4 of residents.csv (the third resident) gets an impossible birth date."""
    if name != "residents.csv":
        return data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    col = rows[0].index("birth_date")
    rows[3][col] = "2025-13-45"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(client, tree, payload: bytes, name="甲县2025", skip=False):
    return client.post(
        reverse("indicators:recordsets"),
        {
            "name": name,
            "node": tree.A.code,
            "file": SimpleUploadedFile("records.zip", payload, "application/zip"),
            **({"skip_invalid": "on"} if skip else {}),
        },
    )


@override_settings(TASKS=IMMEDIATE)
def test_a_good_zip_is_loaded_and_then_computed(personas, client_for, tmp_path):
    tree = personas.tree
    client = client_for(personas.county_admin)
    r = upload(client, tree, zip_of(record_set_dir(tree, tmp_path)))
    assert r.status_code == 302
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.READY, rs.message
    assert rs.row_counts["residents"] == 400
    assert rs.progress["percent"] == 100 and rs.progress["done"] is True
    page = client.get(r["Location"]).content.decode()
    assert 'id="load-summary"' in page and "hx-trigger" not in page
    r = client.post(
        reverse("indicators:recordset_compute", args=[rs.pk]), {"periods": "2025, 2025Q2"}
    )
    assert r.status_code == 302
    rs.refresh_from_db()
    assert rs.progress["task"] == "compute" and rs.progress["done"], rs.progress
    values = IndicatorValue.objects.filter(record_set=rs)
    assert set(values.values_list("period", flat=True)) == {"2025", "2025Q2"}
    county = values.get(node=tree.A, period="2025", indicator="hr_coverage")
    assert 0 < county.value < 1
    assert AuditEvent.objects.filter(action="indicators.recordset_loaded").count() == 1
    page = client.get(reverse("indicators:node", args=[tree.A.code]) + "?period=2025")
    assert "居民健康档案建档率" in page.content.decode()


@override_settings(TASKS=IMMEDIATE)
def test_a_zip_with_a_bad_value_lists_the_problem_and_loads_nothing(
    personas, client_for, tmp_path, analytics_dir
):
    tree = personas.tree
    client = client_for(personas.county_admin)
    r = upload(client, tree, zip_of(record_set_dir(tree, tmp_path), break_residents))
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.FAILED
    assert any(
        p["file"].startswith("residents") and p["row"] == 4 and p["column"] == "birth_date"
        for p in rs.problems
    ), rs.problems
    assert not (analytics_dir / f"recordset-{rs.pk}.duckdb").exists()
    page = client.get(r["Location"]).content.decode()
    assert 'id="problems"' in page and "birth_date" in page
    status = client.get(reverse("indicators:recordset_status", args=[rs.pk])).content.decode()
    assert "hx-trigger" not in status  # polling stops once the load has ended


@override_settings(TASKS=IMMEDIATE)
def test_setting_bad_rows_aside_loads_the_rest_and_offers_the_rejects(
    personas, client_for, tmp_path
):
    tree = personas.tree
    client = client_for(personas.county_admin)
    upload(client, tree, zip_of(record_set_dir(tree, tmp_path), break_residents), skip=True)
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.READY, rs.problems
    assert rs.rejected_rows >= 1
    r = client.get(reverse("indicators:recordset_rejects", args=[rs.pk]))
    assert r.status_code == 200
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "birth_date" in body
    assert "33010119" not in body  # identity numbers never leave the store


def test_a_file_that_is_not_a_zip_is_refused_at_once(personas, client_for):
    r = upload(client_for(personas.county_admin), personas.tree, b"not a zip at all")
    assert r.status_code == 200
    assert "ZIP" in r.content.decode()
    assert not RecordSet.objects.exists()


def test_a_zip_without_the_residents_table_is_refused_at_once(personas, client_for):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("population.csv", "org_code,year,permanent_residents\n")
        zf.writestr("../evil.csv", "x")
    r = upload(client_for(personas.county_admin), personas.tree, buf.getvalue())
    html = r.content.decode()
    assert "residents" in html and "../evil.csv" in html
    assert not RecordSet.objects.exists()


def test_while_loading_the_status_block_polls_every_second(personas, client_for):
    from .conftest import make_record_set

    rs = make_record_set(node=personas.tree.A, status=RecordSet.Status.LOADING)
    rs.progress = {"task": "load", "stage": "检查 residents", "percent": 42, "done": False}
    rs.heartbeat_at = timezone.now()  # its worker is alive
    rs.save()
    html = (
        client_for(personas.county_admin)
        .get(reverse("indicators:recordset_status", args=[rs.pk]))
        .content.decode()
    )
    assert 'hx-trigger="every 1s"' in html and "42%" in html


@pytest.mark.parametrize(
    "who, status", [("clerk", 403), ("analyst", 403), ("county_reviewer", 403)]
)
def test_only_administrators_open_the_upload_page(personas, client_for, who, status):
    assert (
        client_for(getattr(personas, who)).get(reverse("indicators:recordsets")).status_code
        == status
    )


def test_an_administrator_of_another_county_cannot_see_the_record_set(personas, client_for):
    from conftest import make_user

    from jiceng.accounts.models import Role

    from .conftest import make_record_set

    rs = make_record_set(node=personas.tree.A)
    admin_b = make_user("admin_b", Role.ADMIN, personas.tree.B)
    assert client_for(admin_b).get(reverse("indicators:recordset", args=[rs.pk])).status_code == 404


def test_a_queued_load_says_the_worker_must_run(personas, client_for, tmp_path):
    """With the database backend and no worker, the page explains why nothing moves."""
    client = client_for(personas.county_admin)
    archive = zip_of(record_set_dir(personas.tree, tmp_path))
    r = upload(client, personas.tree, archive)  # default backend: django_tasks_db, no worker
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.LOADING and rs.progress["percent"] == 0
    html = client.get(r["Location"]).content.decode()
    assert 'id="queued-hint"' in html and "任务进程没有运行" in html
    assert 'hx-trigger="every 1s"' in html
