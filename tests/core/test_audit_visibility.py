"""Every audit row hangs on the data it touched: administrators above that data read it,
administrators of other regions never do, and no row is left without a path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jiceng.core import audit, scope
from jiceng.core.models import AuditEvent


def _make_user(*args, **kw):
    from conftest import make_user

    return make_user(*args, **kw)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def others(personas):
    """An administrator of county B and a global superuser."""
    from jiceng.accounts.models import User

    admin_b = _make_user("admin_b", "admin", personas.tree.B)
    root = User.objects.create_superuser("root", password="x" * 12)
    return admin_b, root


def _county_a_scenario(p):
    """One of every kind of write on data inside county A, by actors at several levels."""
    from assessments.conftest import MINI, all_grades, fresh, open_cycle, submit

    from jiceng.accounts.actions import (
        do_create_token,
        do_create_user,
        do_reset_password,
        do_revoke_token,
        do_update_user,
    )
    from jiceng.assessments.actions import do_add_finding, do_pass_county, do_save_grades
    from jiceng.indicators.actions import do_delete_target, do_set_target
    from jiceng.orgs.actions import do_create_node, do_update_node
    from jiceng.rectification.actions import do_open_entry
    from jiceng.standards.actions import do_load_catalog, do_set_catalog_active
    from jiceng.standards.catalog import parse_catalog

    t = p.tree
    catalog = do_load_catalog(p.county_admin, parse_catalog(MINI, "mini.yaml"), MINI, "mini.yaml")
    do_set_catalog_active(p.province_admin, catalog, False, reason="test")
    do_set_catalog_active(p.county_admin, catalog, True)
    node = do_create_node(
        p.province_admin, code="330101400000", name="新镇", kind="township_hc", parent=t.A
    )
    do_update_node(p.county_admin, node, name="新镇卫生院")
    user = do_create_user(
        p.province_admin, username="new_clerk", role="institution_staff", node=t.TA1
    )
    do_update_user(p.county_admin, user, display_name="新同事")
    do_reset_password(p.province_admin, user, "a-Long-pass-2025")
    token, _raw = do_create_token(p.clerk, p.clerk, "script")
    do_revoke_token(p.county_admin, token)
    target = do_set_target(
        p.county_admin, indicator="htn_std_mgmt", node=t.A, year=2025, threshold_percent=60
    )
    do_delete_target(p.county_admin, target)
    do_open_entry(
        p.county_reviewer,
        t.TA1,
        description="问题",
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    cycle = open_cycle(t.A)
    sub = cycle.submissions.get(institution=t.TA1)
    submit(p, sub)
    sub = do_save_grades(
        p.county_reviewer, fresh(sub), "county", all_grades("D"), version=fresh(sub).version
    )
    do_add_finding(p.county_reviewer, sub, "county", "材料不全")
    do_pass_county(p.county_reviewer, fresh(sub), version=fresh(sub).version)
    # the rest of the year: a return, a re-opening, publication, a look-back, the ledger
    from jiceng.assessments.actions import do_lookback, do_publish, do_reopen, do_return, do_submit
    from jiceng.assessments.models import VerdictRecord
    from jiceng.rectification.actions import do_report_fixed, do_verify_close
    from jiceng.rectification.models import LedgerEntry

    sub = do_reopen(
        p.city_reviewer, fresh(sub), "county", "复核发现问题", version=fresh(sub).version
    )
    do_pass_county(p.county_reviewer, sub, version=sub.version)
    county = all_grades("B", **{"2_1_1": "D"})
    for other in cycle.submissions.exclude(pk=sub.pk):
        other = do_save_grades(None, other, "self", all_grades("A"), version=other.version)
        other = do_submit(None, other, version=other.version)
        if other.institution == t.CA1:
            other = do_return(None, other, "补充材料", version=other.version)
            other = do_submit(None, other, version=other.version)
        other = do_save_grades(None, other, "county", county, version=other.version)
        do_pass_county(None, other, version=other.version)
    do_publish(p.county_admin, t.A, 2025)
    do_lookback(
        p.city_reviewer, VerdictRecord.objects.get(institution=t.TA1), "withdraw", "床位未开放"
    )
    entry = LedgerEntry.objects.filter(institution=t.TA1).first()
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    entry = do_report_fixed(
        p.clerk,
        entry,
        measures="已整改",
        responsible="张三",
        files=[SimpleUploadedFile("整改.pdf", pdf, content_type="application/pdf")],
    )
    do_verify_close(p.county_reviewer, entry, note="核实")
    return cycle


def _rows_since(first_id):
    return list(AuditEvent.objects.filter(id__gt=first_id).order_by("id"))


def test_no_audit_row_is_ever_written_without_a_path(personas, others):
    first = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    _county_a_scenario(personas)
    rows = _rows_since(first)
    assert len(rows) > 15
    assert [r.action for r in rows if not r.node_path] == []


def test_every_row_about_county_a_is_read_by_admins_above_it_and_not_by_county_b(personas, others):
    admin_b, root = others
    first = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    _county_a_scenario(personas)
    rows = _rows_since(first)
    ids = {r.pk for r in rows}
    actions = {r.action for r in rows}
    for needed in (
        "standards.load_catalog",
        "standards.deactivate_catalog",
        "accounts.create_user",
        "accounts.reset_password",
        "accounts.create_token",
        "accounts.revoke_token",
        "assessments.save_grades.county",
        "assessments.add_finding",
        "rectification.open_entry",
        "indicators.target_set",
        "orgs.create_node",
        "assessments.return",
        "assessments.reopen.county",
        "assessments.publish",
        "assessments.lookback.withdraw",
        "rectification.report_fixed",
        "rectification.verify_close",
    ):
        assert needed in actions

    def read(user):
        return set(
            scope.visible_audit(user, AuditEvent.objects.filter(pk__in=ids)).values_list(
                "pk", flat=True
            )
        )

    unseen = {r.action for r in rows if r.pk not in read(personas.county_admin)}
    assert unseen == set()
    assert read(personas.province_admin) == ids
    assert read(root) == ids
    leaked = {r.action for r in rows if r.pk in read(admin_b)}
    assert leaked == set()


def test_the_audit_page_and_api_show_a_county_catalog_change_to_its_admins_only(
    personas, others, client_for
):
    from assessments.conftest import MINI

    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    admin_b, _root = others
    catalog = do_load_catalog(personas.county_admin, parse_catalog(MINI, "m.yaml"), MINI, "m.yaml")
    for user, visible in (
        (personas.county_admin, True),
        (personas.province_admin, True),
        (admin_b, False),
    ):
        client = client_for(user)
        page = client.get("/audit/", {"type": "standards.catalog"})
        assert (
            str(catalog.pk) in {e.object_id for e in page.context["page"].object_list}
        ) is visible
        api = client.get("/api/v1/audit", {"object_type": "standards.catalog"}).json()
        assert (str(catalog.pk) in {e["object_id"] for e in api["items"]}) is visible
        client.logout()


def test_global_data_is_read_by_global_superusers_only(personas, others):
    from assessments.conftest import MINI

    from jiceng.accounts.actions import do_create_token
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    _admin_b, root = others
    token, _raw = do_create_token(root, root, "ops")
    national = do_load_catalog(root, parse_catalog(MINI, "m.yaml"), MINI, "m.yaml", owner=None)
    rows = [audit.trail_for(token).get(), audit.trail_for(national).get()]
    assert {r.node_path for r in rows} == {audit.GLOBAL_PATH}
    ids = [r.pk for r in rows]
    assert scope.visible_audit(root, AuditEvent.objects.filter(pk__in=ids)).count() == 2
    assert not scope.visible_audit(
        personas.province_admin, AuditEvent.objects.filter(pk__in=ids)
    ).exists()


def test_non_admins_read_no_audit_rows(personas):
    for who in ("clerk", "county_reviewer", "analyst", "province_reviewer"):
        with pytest.raises(PermissionDenied):
            scope.visible_audit(getattr(personas, who), AuditEvent.objects.all())


def test_rows_written_without_a_path_get_their_datas_path_when_migrating(personas):
    import importlib

    from assessments.conftest import MINI
    from django.apps import apps

    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    catalog = do_load_catalog(personas.county_admin, parse_catalog(MINI, "m.yaml"), MINI, "m.yaml")
    row = audit.trail_for(catalog).get()
    AuditEvent.objects.filter(pk=row.pk).update(node_path="")
    gone = AuditEvent.objects.create(
        action="x", object_type="standards.catalog", object_id="999999"
    )
    migration = importlib.import_module("jiceng.core.migrations.0002_audit_node_paths")
    migration.fill_paths(apps, None)
    row.refresh_from_db()
    gone.refresh_from_db()
    assert row.node_path == personas.tree.A.path
    assert gone.node_path == audit.GLOBAL_PATH
