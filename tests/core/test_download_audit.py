"""Every download of personal or unpublished data leaves an audit row, visible to the
administrators above the data (``audit.record_download``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jiceng.accounts import actions as account_actions
from jiceng.core.models import AuditEvent
from jiceng.indicators.models import RecordSet

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _downloads(action: str):
    return list(AuditEvent.objects.filter(action=f"download.{action}"))


def test_the_ledger_export_is_audited_on_the_region_exported(personas, client_for):
    client = client_for(personas.county_admin)
    response = client.get(f"/rectification/export.xlsx?region={personas.tree.A.code}")
    assert response.status_code == 200
    [event] = _downloads("ledger_export")
    assert event.actor == personas.county_admin
    assert event.node_path == personas.tree.A.path


def test_an_evidence_download_is_audited_on_its_institution(personas, client_for):
    from jiceng.rectification.actions import do_open_entry, do_report_fixed

    entry = do_open_entry(
        personas.county_reviewer,
        personas.tree.TA1,
        source="other",
        description="记录不全",
        responsible="王医生",
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    do_report_fixed(
        personas.clerk, entry, measures="补齐", files=[SimpleUploadedFile("记录.pdf", PDF)]
    )
    evidence = entry.evidence.get()
    response = client_for(personas.county_reviewer).get(f"/rectification/evidence/{evidence.pk}/")
    assert response.status_code == 200
    [event] = _downloads("evidence")
    assert event.node_path == personas.tree.TA1.path
    assert event.actor == personas.county_reviewer


def test_the_tree_export_is_audited_on_pages_and_api(personas, client_for):
    client = client_for(personas.county_admin)
    assert client.get("/orgs/export.xlsx").status_code == 200
    _t, raw = account_actions.do_create_token(personas.county_admin, personas.county_admin, "t")
    api = Client().get("/api/v1/orgs/export", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 200
    events = _downloads("tree_export")
    assert len(events) == 2
    assert {e.node_path for e in events} == {personas.tree.A.path}


def test_the_indicator_table_export_is_audited(personas, client_for):
    response = client_for(personas.county_admin).get(
        f"/indicators/table/{personas.tree.A.code}/export.xlsx?period=2025"
    )
    assert response.status_code == 200
    [event] = _downloads("indicator_table_export")
    assert event.node_path == personas.tree.A.path


def test_the_publication_list_export_is_audited(personas, client_for):
    response = client_for(personas.county_admin).get(
        f"/evaluation/publication.xlsx?region={personas.tree.A.code}&year=2025"
    )
    assert response.status_code == 200
    [event] = _downloads("publication_export")
    assert event.after["published"] is False


def test_a_rejects_file_download_is_audited(personas, client_for, tmp_path):
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("file,row,column\n", encoding="utf-8")
    rs = RecordSet.objects.create(
        name="记录集",
        node=personas.tree.A,
        status=RecordSet.Status.READY,
        rejects_path=str(rejects),
    )
    response = client_for(personas.county_admin).get(f"/indicators/recordsets/{rs.pk}/rejects.csv")
    assert response.status_code == 200
    [event] = _downloads("rejects")
    assert event.node_path == personas.tree.A.path


def test_the_county_administrator_reads_download_rows_of_their_county_only(personas, client_for):
    client_for(personas.county_admin).get("/orgs/export.xlsx")
    _t, raw = account_actions.do_create_token(personas.county_admin, personas.county_admin, "t")
    rows = (
        Client()
        .get("/api/v1/audit?action=download.tree_export", HTTP_AUTHORIZATION=f"Bearer {raw}")
        .json()["items"]
    )
    assert len(rows) == 1
