"""Uploaded record sets leave no clear personal data on disk, and what stays is private."""

from __future__ import annotations

import csv
import io
import stat

import pytest
from django.test import override_settings
from django.urls import reverse

from jiceng.indicators import uploads
from jiceng.indicators.models import RecordSet

from .test_upload import IMMEDIATE, break_residents, record_set_dir, upload, zip_of

pytestmark = pytest.mark.django_db

ID18 = "33010219800101201X"


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.JICENG_ANALYTICS_DIR


def id_in_sex(name: str, data: bytes) -> bytes:
    """The third resident's row is shifted: its ID number landed in ``sex``."""
    if name != "residents.csv":
        return data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    rows[3][rows[0].index("sex")] = ID18
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(folder) -> list:
    return (
        sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
        if folder.exists()
        else []
    )


@override_settings(TASKS=IMMEDIATE)
def test_the_upload_and_its_tables_are_deleted_once_loaded(
    personas, client_for, tmp_path, analytics_dir
):
    upload(
        client_for(personas.county_admin),
        personas.tree,
        zip_of(record_set_dir(personas.tree, tmp_path)),
    )
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.READY
    assert files_under(uploads.uploads_root()) == []
    store = analytics_dir / f"recordset-{rs.pk}.duckdb"
    assert store.exists() and mode(store) == 0o600
    assert mode(analytics_dir) == 0o700


@override_settings(TASKS=IMMEDIATE)
def test_the_upload_and_its_tables_are_deleted_once_the_load_failed(personas, client_for, tmp_path):
    upload(
        client_for(personas.county_admin),
        personas.tree,
        zip_of(record_set_dir(personas.tree, tmp_path), break_residents),
    )
    assert RecordSet.objects.get().status == RecordSet.Status.FAILED
    assert files_under(uploads.uploads_root()) == []


@override_settings(TASKS=IMMEDIATE)
def test_an_id_number_in_the_sex_column_is_masked_in_the_stored_problems_and_the_page(
    personas, client_for, tmp_path
):
    client = client_for(personas.county_admin)
    r = upload(client, personas.tree, zip_of(record_set_dir(personas.tree, tmp_path), id_in_sex))
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.FAILED
    assert any(p["column"] == "sex" and p["row"] == 4 for p in rs.problems), rs.problems
    assert ID18 not in str(rs.problems) and ID18 not in rs.message
    html = client.get(r["Location"]).content.decode()
    assert "sex" in html and ID18 not in html
    api = client.get(f"/api/v1/indicators/recordsets/{rs.pk}").content.decode()
    assert ID18 not in api


@override_settings(TASKS=IMMEDIATE)
def test_the_rejects_file_is_private_and_holds_no_clear_id_number(personas, client_for, tmp_path):
    client = client_for(personas.county_admin)
    upload(
        client, personas.tree, zip_of(record_set_dir(personas.tree, tmp_path), id_in_sex), skip=True
    )
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.READY and rs.rejected_rows >= 1
    assert files_under(uploads.uploads_root()) == [str(rs.pk), f"{rs.pk}/rejects.csv"]
    rejects = uploads.rejects_path(rs.pk)
    assert mode(rejects) == 0o600 and mode(rejects.parent) == 0o700
    r = client.get(reverse("indicators:recordset_rejects", args=[rs.pk]))
    body = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "sex 无效" in body and ID18 not in body
