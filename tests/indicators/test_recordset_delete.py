"""Withdrawing a record set: its values, store, upload and rejects files go; it is audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_user
from django.urls import reverse

from jiceng.accounts.models import Role
from jiceng.core.models import AuditEvent
from jiceng.indicators import tasks, uploads
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.indicators.store import store_path

from .conftest import make_record_set, put

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    """``api(user)(method, path)``: a call to /api/v1 with a bearer token of ``user``."""
    from api.conftest import make_token

    def for_user(user):
        token = make_token(user)

        def call(method, path):
            fn = getattr(client, method.lower())
            return fn(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})

        return call

    return for_user


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.JICENG_ANALYTICS_DIR


def with_files(rs: RecordSet) -> list[Path]:
    """Give ``rs`` the files a real load leaves: store, upload, unpacked tables, rejects."""
    store = store_path(rs)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"duckdb")
    Path(f"{store}.wal").write_bytes(b"wal")
    up = uploads.upload_dir(rs.pk)
    (up / "tables").mkdir(parents=True)
    (up / "upload.zip").write_bytes(b"zip")
    (up / "tables" / "residents.csv").write_text("resident_id\nR1\n")
    rejects = uploads.rejects_path(rs.pk)
    rejects.write_text("reason\n")
    rs.store_path = str(store)
    rs.rejects_path = str(rejects)
    rs.save()
    return [store, Path(f"{store}.wal"), up, rejects]


@pytest.mark.parametrize(
    "status", [RecordSet.Status.READY, RecordSet.Status.FAILED, RecordSet.Status.LOADING]
)
def test_an_administrator_withdraws_a_record_set_with_its_values_and_files(
    personas, client_for, status
):
    tree = personas.tree
    rs = make_record_set(name="甲县2025", node=tree.A, status=status)
    put(rs, tree.TA1, "2025", "htn_std_mgmt", 60, 100)
    files = with_files(rs)
    other = make_record_set(name="保留", node=tree.A)
    kept = put(other, tree.TA1, "2024", "htn_std_mgmt", 1, 2)
    client = client_for(personas.county_admin)

    r = client.post(reverse("indicators:recordset_delete", args=[rs.pk]))

    assert r.status_code == 302 and r["Location"] == reverse("indicators:recordsets")
    assert not RecordSet.objects.filter(pk=rs.pk).exists()
    assert not IndicatorValue.objects.filter(record_set_id=rs.pk).exists()
    assert IndicatorValue.objects.filter(pk=kept.pk).exists()
    assert [f for f in files if f.exists()] == []
    event = AuditEvent.objects.get(action="indicators.recordset_deleted")
    assert event.object_id == str(rs.pk) and event.node_path == tree.A.path
    assert event.actor == personas.county_admin
    assert event.before["name"] == "甲县2025" and event.after["values_deleted"] == 1
    page = client.get(r["Location"]).content.decode()
    assert "甲县2025" in page  # the success message names it


def test_the_record_set_page_offers_deletion_with_a_confirmation(personas, client_for):
    rs = make_record_set(name="甲县2025", node=personas.tree.A)
    html = (
        client_for(personas.county_admin)
        .get(reverse("indicators:recordset", args=[rs.pk]))
        .content.decode()
    )
    action = reverse("indicators:recordset_delete", args=[rs.pk])
    assert f'action="{action}"' in html
    assert "data-confirm=" in html


def test_deleting_is_a_post(personas, client_for):
    rs = make_record_set(node=personas.tree.A)
    r = client_for(personas.county_admin).get(reverse("indicators:recordset_delete", args=[rs.pk]))
    assert r.status_code == 405
    assert RecordSet.objects.filter(pk=rs.pk).exists()


@pytest.mark.parametrize(
    "who, status",
    [
        ("admin_b", 404),  # another county: the record set is out of sight
        ("analyst", 403),  # county A, but not an administrator
        ("county_reviewer", 403),
        ("clerk", 404),  # an institution below county A does not see the county's sets
        ("province_admin", 302),  # administrators above the owner region may
        ("county_admin", 302),
    ],
)
def test_only_administrators_of_the_owner_region_and_above_may_delete(
    personas, client_for, who, status
):
    if who == "admin_b":
        user = make_user("admin_b", Role.ADMIN, personas.tree.B)
    else:
        user = getattr(personas, who)
    rs = make_record_set(node=personas.tree.A)
    r = client_for(user).post(reverse("indicators:recordset_delete", args=[rs.pk]))
    assert r.status_code == status
    assert RecordSet.objects.filter(pk=rs.pk).exists() == (status != 302)


def test_a_county_administrator_cannot_delete_a_set_without_a_region(personas, client_for):
    rs = make_record_set(node=None)
    r = client_for(personas.county_admin).post(reverse("indicators:recordset_delete", args=[rs.pk]))
    assert r.status_code == 404
    assert RecordSet.objects.filter(pk=rs.pk).exists()


@pytest.mark.parametrize("who, status", [("county_admin", 204), ("analyst", 403), ("admin_b", 404)])
def test_the_api_deletes_a_record_set_within_scope(personas, api, who, status):
    if who == "admin_b":
        user = make_user("admin_b", Role.ADMIN, personas.tree.B)
    else:
        user = getattr(personas, who)
    rs = make_record_set(node=personas.tree.A)
    put(rs, personas.tree.TA1, "2025", "htn_std_mgmt", 1, 2)
    files = with_files(rs)
    r = api(user)("DELETE", f"/indicators/recordsets/{rs.pk}")
    assert r.status_code == status, r.content
    gone = status == 204
    assert RecordSet.objects.filter(pk=rs.pk).exists() != gone
    assert IndicatorValue.objects.filter(record_set_id=rs.pk).exists() != gone
    assert all(f.exists() != gone for f in files)
    assert AuditEvent.objects.filter(action="indicators.recordset_deleted").exists() == gone


def test_a_worker_that_picks_up_a_withdrawn_record_set_does_nothing(personas, analytics_dir):
    rs = make_record_set(node=personas.tree.A)
    pk = rs.pk
    from jiceng.indicators.actions import do_delete_record_set

    do_delete_record_set(personas.county_admin, rs)
    assert tasks.run_load(pk)["status"] == "skipped"
    assert tasks.run_compute(pk, ["2025"])["status"] == "skipped"
    assert not IndicatorValue.objects.exists()
    assert not list(Path(analytics_dir).glob("*.duckdb"))
