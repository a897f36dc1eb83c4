"""One region cannot change what another region sees (issue 7, finding 1).

A record set belongs to a region (``RecordSet.node``). It may only hold values for units
inside that region, and a unit's figures come only from record sets owned by the unit or
one of its ancestors: the nearest owner with values wins, then the newest load.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import make_user
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.accounts.models import Role
from jiceng.analytics import IndicatorValue as ComputedValue
from jiceng.analytics import generate_recordset
from jiceng.indicators import queries
from jiceng.indicators.models import IndicatorValue, RecordSet
from jiceng.indicators.store import platform_tree, save_values

from .conftest import make_record_set, put
from .test_upload import IMMEDIATE, upload, zip_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/indicators"


@pytest.fixture(autouse=True)
def analytics_dir(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    return settings.JICENG_ANALYTICS_DIR


@pytest.fixture
def admin_b(personas):
    return make_user("admin_b", Role.ADMIN, personas.tree.B)


def city_wide_record_set(tree, tmp_path: Path) -> Path:
    """A record set whose own orgs table lists the whole city: county A's and county B's units."""
    out = tmp_path / "city-wide"
    generate_recordset(out, platform_tree(tree.C), [2025], seed=11, fmt="csv", residents=300)
    return out


def shown_values(client, code: str, period: str = "2025") -> list:
    body = client.get(f"{BASE}/values/{code}?period={period}").json()
    return [v for v in body["values"] if v["value"] is not None]


# ---------------------------------------------------------------- the attack


@override_settings(TASKS=IMMEDIATE)
def test_a_county_cannot_load_a_record_set_listing_another_countys_units(
    personas, client_for, admin_b, tmp_path, analytics_dir
):
    tree = personas.tree
    client = client_for(personas.county_admin)
    upload(client, tree, zip_of(city_wide_record_set(tree, tmp_path)), name="入侵")
    rs = RecordSet.objects.get(name="入侵")
    assert rs.status == RecordSet.Status.FAILED
    outside = [p for p in rs.problems if tree.VB1.code in p["message"]]
    assert outside, rs.problems
    assert outside[0]["file"] == "orgs.csv" and outside[0]["row"] >= 2
    assert outside[0]["column"] == "org_code"
    assert "甲县" in outside[0]["message"]
    assert not (analytics_dir / f"recordset-{rs.pk}.duckdb").exists()
    # Even if someone asks for a compute, county B sees nothing of it.
    client.post(reverse("indicators:recordset_compute", args=[rs.pk]), {"periods": "2025"})
    assert not IndicatorValue.objects.exists()
    b = client_for(admin_b)
    assert shown_values(b, tree.B.code) == []
    assert shown_values(b, tree.VB1.code) == []
    page = b.get(reverse("indicators:node", args=[tree.B.code])).content.decode()
    assert "入侵" not in page


@override_settings(TASKS=IMMEDIATE)
def test_a_record_set_owned_by_the_city_may_list_both_counties(personas, client_for, tmp_path):
    tree = personas.tree
    city_admin = make_user("admin_c", Role.ADMIN, tree.C)
    client = client_for(city_admin)
    r = client.post(
        reverse("indicators:recordsets"),
        {
            "name": "全市",
            "node": tree.C.code,
            "file": _uploaded(zip_of(city_wide_record_set(tree, tmp_path))),
        },
    )
    assert r.status_code == 302
    rs = RecordSet.objects.get(name="全市")
    assert rs.status == RecordSet.Status.READY, rs.problems


def _uploaded(payload: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("records.zip", payload, "application/zip")


def test_the_command_line_refuses_units_outside_the_named_region(tree, tmp_path, analytics_dir):
    src = city_wide_record_set(tree, tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command(
            "records_load",
            str(src),
            "--name",
            "x",
            "--region",
            tree.A.code,
            "--no-progress",
            stdout=out,
            stderr=err,
        )
    assert exc.value.code == 1
    assert "orgs.csv，第" in err.getvalue() and tree.B.code in err.getvalue()
    assert not RecordSet.objects.filter(name="x").exists()
    assert not list(Path(analytics_dir).glob("*.duckdb"))


def test_the_store_never_saves_values_for_units_outside_the_owner_region(tree):
    rs = make_record_set(name="甲县", node=tree.A)
    computed = [
        ComputedValue(n.code, "2025", "htn_std_mgmt", 1, 2, 0.5)
        for n in (tree.TA1, tree.VB1, tree.C)
    ]
    computed.append(ComputedValue("999999999999", "2025", "htn_std_mgmt", 1, 2, 0.5))
    save_values(rs, computed)
    assert set(IndicatorValue.objects.values_list("org_code", flat=True)) == {tree.TA1.code}


# ---------------------------------------------------------------- what each unit shows


@pytest.fixture
def intruder(tree):
    """Values stored for county B's units by a record set that county A owns."""
    rs = make_record_set(name="甲县越界", node=tree.A)
    for node in (tree.B, tree.TB1, tree.VB1, tree.C):
        put(rs, node, "2025", "htn_std_mgmt", 99, 100)
    put(rs, tree.VB1, "2023", "htn_std_mgmt", 99, 100)
    return rs


def test_values_stored_for_another_region_are_never_shown(personas, admin_b, intruder, client_for):
    tree = personas.tree
    b = client_for(admin_b)
    for node in (tree.B, tree.TB1, tree.VB1):
        assert shown_values(b, node.code) == []
        html = b.get(reverse("indicators:node", args=[node.code]) + "?period=2025").content
        assert "99.00%" not in html.decode()
    assert "2023" not in queries.available_periods(tree.VB1)
    assert b.get(f"{BASE}/values/{tree.VB1.code}").status_code == 400  # no values at all
    table = b.get(f"{BASE}/table/{tree.B.code}?period=2025&level=institution").json()
    assert table["items"] == [] and table["count"] == 0 and table["total"] is None
    city = client_for(personas.city_reviewer)
    table = city.get(f"{BASE}/table/{tree.C.code}?period=2025").json()
    assert table["items"] == [] and table["count"] == 0 and table["total"] is None
    r = city.get(reverse("indicators:table_export", args=[tree.C.code]) + "?period=2025")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.max_row == 2  # the group row and the header only
    html = city.get(reverse("indicators:table", args=[tree.C.code]) + "?period=2025").content
    assert "99.00%" not in html.decode()
    assert queries.summary_for(tree.VB1, "2025")["rows"] == []
    assert queries.below_target(tree.C, "2025") == []


def test_a_unit_shows_its_nearest_owner_then_the_newest_load(tree):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    province = make_record_set(name="省", node=tree.P, loaded_at=now)
    county_old = make_record_set(name="甲县旧", node=tree.A, loaded_at=now - timedelta(days=9))
    county_new = make_record_set(name="甲县新", node=tree.A, loaded_at=now - timedelta(days=1))
    failed = make_record_set(
        name="甲县失败", node=tree.A, status=RecordSet.Status.FAILED, loaded_at=now
    )
    platform = make_record_set(name="平台", node=None, loaded_at=now)
    for rs, num in ((province, 10), (county_old, 20), (county_new, 30), (failed, 40)):
        for node in (tree.P, tree.C, tree.A, tree.TA1, tree.B, tree.TB1):
            if node.is_within(rs.node):
                put(rs, node, "2025", "htn_std_mgmt", num, 100)
    put(province, tree.TA1, "2024", "htn_std_mgmt", 11, 100)
    put(platform, tree.VB1, "2025", "htn_std_mgmt", 50, 100)
    put(platform, tree.TA1, "2025", "htn_std_mgmt", 50, 100)

    got = queries.latest_values(
        [tree.P, tree.A, tree.TA1, tree.B, tree.TB1, tree.VB1], ["2025", "2024"]
    )

    def value(node, period="2025"):
        return got[(node.pk, period)]["htn_std_mgmt"].value

    assert value(tree.P) == value(tree.B) == value(tree.TB1) == pytest.approx(0.10)
    # county A loaded its own sets: they win over the newer province set, newest first
    assert value(tree.A) == value(tree.TA1) == pytest.approx(0.30)
    # a period only the province has still comes from the province
    assert value(tree.TA1, "2024") == pytest.approx(0.11)
    # a set without a region (loaded by the operator) fills in only where no region has values
    assert value(tree.VB1) == pytest.approx(0.50)


def test_the_lookup_costs_the_same_queries_however_big_the_tree(tree):
    from jiceng.orgs.actions import do_create_node

    rs = make_record_set(name="甲县", node=tree.A)
    put(rs, tree.TA1, "2025", "htn_std_mgmt", 1, 2)

    def count() -> int:
        nodes = list(tree.C.__class__.objects.all())
        with CaptureQueriesContext(connection) as ctx:
            queries.latest_values(nodes, ["2025", "2024"])
            queries.available_periods(tree.VA1)
        return len(ctx.captured_queries)

    small = count()
    for i in range(15):
        village = do_create_node(
            None,
            code=f"3301011002{i + 10:02d}",
            name=f"新村{i}",
            kind="village_clinic",
            parent=tree.TA1,
        )
        other = make_record_set(name=f"村{i}", node=village)
        put(other, village, "2025", "htn_std_mgmt", 1, 2)
    assert count() == small


def test_the_region_message_never_echoes_an_identity_number(tree, tmp_path):
    from jiceng.indicators.regions import outside_problems

    src = tmp_path / "rs"
    src.mkdir()
    (src / "orgs.csv").write_text(
        "org_code,name,parent_code,kind\n"
        f"{tree.A.code},甲县,,county\n"
        f"11010519491231002X,110105194912310021,{tree.A.code},village\n",
        encoding="utf-8",
    )
    (problem,) = outside_problems(src, tree.A)
    assert problem.row == 3 and problem.file == "orgs.csv"
    assert "11010519491231002X" not in problem.message
    assert "110105194912310021" not in problem.message
    assert "*" * 18 in problem.message
