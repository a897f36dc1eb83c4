"""The organisation tree over the REST API: each endpoint × persona, and its errors."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from orgs.helpers import db_state, workbook

from jiceng.core.models import AuditEvent
from jiceng.orgs.models import Node, NodeEvent, NodeYear


def codes(response) -> set[str]:
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {n["code"] for n in items}


def test_listing_returns_only_the_callers_subtree(personas, api):
    tree = personas.tree
    r = api(personas.county_reviewer)("GET", "/orgs")
    assert r.status_code == 200
    assert codes(r) == {n.code for n in Node.objects.subtree(tree.A)}
    assert r.json()["count"] == 8


def test_listing_filters_by_text_kind_parent_and_root(personas, api):
    tree = personas.tree
    call = api(personas.city_reviewer)
    assert codes(call("GET", "/orgs", data={"q": "卫生室"})) == {
        tree.VA1.code,
        tree.VA2.code,
        tree.VA3.code,
        tree.VB1.code,
    }
    assert codes(call("GET", "/orgs", data={"kind": "county"})) == {tree.A.code, tree.B.code}
    assert codes(call("GET", "/orgs", data={"parent": tree.TA1.code})) == {
        tree.VA1.code,
        tree.VA2.code,
    }
    assert codes(call("GET", "/orgs", data={"root": tree.B.code})) == {
        tree.B.code,
        tree.TB1.code,
        tree.VB1.code,
    }


def test_listing_is_paginated(personas, api):
    r = api(personas.province_admin)("GET", "/orgs", data={"page": 2})
    assert r.status_code == 200 and r.json()["items"] == [] and r.json()["count"] == 13


def test_filters_naming_a_unit_outside_the_area_are_404(personas, api):
    call = api(personas.county_reviewer)
    assert call("GET", "/orgs", data={"root": personas.tree.B.code}).status_code == 404
    assert call("GET", "/orgs", data={"parent": personas.tree.TB1.code}).status_code == 404


@pytest.mark.parametrize("suffix", ["", "/children", "/years", "/history"])
def test_reading_a_unit_is_200_inside_and_404_outside_the_area(personas, api, suffix):
    tree = personas.tree
    call = api(personas.county_reviewer)
    assert call("GET", f"/orgs/{tree.TA1.code}{suffix}").status_code == 200
    r = call("GET", f"/orgs/{tree.TB1.code}{suffix}")
    assert r.status_code == 404
    assert r.json() == {"detail": "未找到。"} or "detail" in r.json()
    assert "乙" not in r.content.decode()


def test_a_unit_has_its_code_type_and_parent(personas, api):
    tree = personas.tree
    body = api(personas.clerk)("GET", f"/orgs/{tree.TA1.code}").json()
    assert body["code"] == tree.TA1.code and body["kind"] == "township_hc"
    assert body["kind_label"] == "乡镇卫生院" and body["parent_code"] == tree.A.code
    assert body["is_institution"] is True


def test_children_are_the_units_directly_below(personas, api):
    tree = personas.tree
    r = api(personas.county_reviewer)("GET", f"/orgs/{tree.A.code}/children")
    assert codes(r) == {tree.TA1.code, tree.TA2.code, tree.CA1.code}


def test_years_of_a_division_are_subtree_sums_and_can_be_filtered(personas, api):
    tree = personas.tree
    call = api(personas.county_reviewer)
    body = call("GET", f"/orgs/{tree.A.code}/years").json()
    assert body == [
        {
            "year": 2025,
            "summed": True,
            "permanent_residents": 6600,
            "residents_65_plus": 200 + 150 + 250 + 500,
            "children_0_6": 80 + 60 + 100 + 200,
            "adults_18_plus": 960 + 720 + 1200 + 2400,
            "key_population": 400 + 300 + 500 + 1000,
            "beds": None,
            "doctors": None,
            "general_practitioners": None,
            "nurses": None,
            "fd_teams": None,
        }
    ]
    assert call("GET", f"/orgs/{tree.A.code}/years", data={"year": 2024}).json() == []


def test_history_lists_moves(personas, api):
    tree = personas.tree
    admin = api(personas.county_admin)
    admin("PATCH", f"/orgs/{tree.VA2.code}", json={"parent_code": tree.TA2.code})
    events = admin("GET", f"/orgs/{tree.VA2.code}/history").json()["items"]
    moved = [e for e in events if e["kind"] == "moved"]
    assert moved[0]["old_parent_code"] == tree.TA1.code
    assert moved[0]["new_parent_code"] == tree.TA2.code
    assert moved[0]["kind_label"] == "迁移"


# ------------------------------------------------------------------ writes


def test_an_admin_creates_a_unit_in_their_area(personas, api):
    tree = personas.tree
    r = api(personas.county_admin)(
        "POST",
        "/orgs",
        json={
            "code": "X1",
            "name": "新镇卫生院",
            "kind": "township_hc",
            "parent_code": tree.A.code,
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["parent_code"] == tree.A.code
    node = Node.objects.get(code="X1")
    assert AuditEvent.objects.filter(action="orgs.create_node", object_id=str(node.pk)).exists()


def test_creating_under_a_unit_outside_the_area_is_404(personas, api):
    r = api(personas.county_admin)(
        "POST",
        "/orgs",
        json={
            "code": "X1",
            "name": "x",
            "kind": "township_hc",
            "parent_code": personas.tree.B.code,
        },
    )
    assert r.status_code == 404
    assert not Node.objects.filter(code="X1").exists()


def test_a_non_admin_cannot_create_update_or_set_years(personas, api):
    tree = personas.tree
    call = api(personas.county_reviewer)
    before = db_state()
    r = call(
        "POST",
        "/orgs",
        json={"code": "X1", "name": "x", "kind": "township_hc", "parent_code": tree.A.code},
    )
    assert r.status_code == 403 and r.json()["detail"]
    assert call("PATCH", f"/orgs/{tree.TA1.code}", json={"name": "y"}).status_code == 403
    assert call("PUT", f"/orgs/{tree.TA1.code}/years/2025", json={"beds": 3}).status_code == 403
    assert db_state() == before


def test_only_a_global_admin_creates_a_root(personas, api):
    r = api(personas.province_admin)(
        "POST", "/orgs", json={"code": "440000000000", "name": "另一省", "kind": "province"}
    )
    assert r.status_code == 403


def test_creating_a_duplicate_code_is_400_with_a_chinese_message(personas, api):
    tree = personas.tree
    r = api(personas.county_admin)(
        "POST",
        "/orgs",
        json={
            "code": tree.TA1.code,
            "name": "x",
            "kind": "township_hc",
            "parent_code": tree.A.code,
        },
    )
    assert r.status_code == 400 and "已被使用" in r.json()["detail"]


def test_a_bad_type_is_422_naming_the_field(personas, api):
    r = api(personas.county_admin)(
        "POST",
        "/orgs",
        json={"code": "X1", "name": "x", "kind": "hospital", "parent_code": personas.tree.A.code},
    )
    assert r.status_code == 422
    assert any(e["field"].endswith("kind") for e in r.json()["errors"])


def test_patch_renames_and_moves_with_history(personas, api):
    tree = personas.tree
    r = api(personas.county_admin)(
        "PATCH",
        f"/orgs/{tree.VA2.code}",
        json={"name": "西村新卫生室", "parent_code": tree.TA2.code, "date": "2025-03-01"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["parent_code"] == tree.TA2.code and r.json()["name"] == "西村新卫生室"
    kinds = set(NodeEvent.objects.filter(node=tree.VA2).values_list("kind", flat=True))
    assert {"renamed", "moved"} <= kinds


def test_patch_cannot_move_a_unit_out_of_the_area(personas, api):
    tree = personas.tree
    r = api(personas.county_admin)(
        "PATCH", f"/orgs/{tree.VA2.code}", json={"parent_code": tree.TB1.code}
    )
    assert r.status_code == 404
    tree.VA2.refresh_from_db()
    assert tree.VA2.is_within(tree.TA1)


def test_patch_refuses_a_move_under_a_descendant(personas, api):
    tree = personas.tree
    r = api(personas.county_admin)(
        "PATCH", f"/orgs/{tree.TA1.code}", json={"parent_code": tree.VA1.code}
    )
    assert r.status_code == 400


def test_put_year_sets_figures_and_refuses_a_part_above_the_whole(personas, api):
    tree = personas.tree
    call = api(personas.county_admin)
    r = call(
        "PUT", f"/orgs/{tree.VA1.code}/years/2026", json={"permanent_residents": 1000, "beds": 2}
    )
    assert r.status_code == 200 and r.json()["beds"] == 2
    assert NodeYear.objects.get(node=tree.VA1, year=2026).permanent_residents == 1000
    before = db_state()
    r = call(
        "PUT",
        f"/orgs/{tree.VA1.code}/years/2026",
        json={"permanent_residents": 100, "residents_65_plus": 101},
    )
    assert r.status_code == 422
    assert "大于常住人口" in r.json()["errors"][0]["message"]
    r = call("PUT", f"/orgs/{tree.VA1.code}/years/2026", json={"beds": -1})
    assert r.status_code == 422
    assert db_state() == before
    assert call("PUT", f"/orgs/{tree.VB1.code}/years/2026", json={"beds": 1}).status_code == 404


# ------------------------------------------------------------------ Excel


def test_import_accepts_an_xlsx_upload(personas, api):
    data = workbook([["X1", "新镇卫生院", "乡镇卫生院", personas.tree.A.code, None, None, None]])
    r = api(personas.county_admin)(
        "POST", "/orgs/import", data={"file": SimpleUploadedFile("t.xlsx", data)}
    )
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 1 and r.json()["dry_run"] is False


def test_import_answers_422_with_the_row_errors_and_saves_nothing(personas, api):
    before = db_state()
    data = workbook(
        [
            ["X1", "新镇卫生院", "卫生所", personas.tree.A.code, None, None, None],
            ["X2", "二镇卫生院", "乡镇卫生院", "999", None, None, None],
        ]
    )
    r = api(personas.county_admin)(
        "POST", "/orgs/import", data={"file": SimpleUploadedFile("bad.xlsx", data)}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["detail"]
    assert [(e["row"], e["column"], e["field"]) for e in body["errors"]] == [
        (2, "机构!C", "类型"),
        (3, "机构!D", "上级代码"),
    ]
    assert body["errors"][0]["file"] == "bad.xlsx"
    assert db_state() == before


def test_import_dry_run_saves_nothing(personas, api):
    before = db_state()
    data = workbook([["X1", "新镇卫生院", "乡镇卫生院", personas.tree.A.code, None, None, None]])
    r = api(personas.county_admin)(
        "POST", "/orgs/import", data={"file": SimpleUploadedFile("t.xlsx", data), "dry_run": "true"}
    )
    assert r.status_code == 200 and r.json()["created"] == 1 and r.json()["dry_run"] is True
    assert db_state() == before


def test_import_by_a_non_admin_is_403(personas, api):
    data = workbook([["X1", "新镇卫生院", "乡镇卫生院", personas.tree.A.code, None, None, None]])
    r = api(personas.county_reviewer)(
        "POST", "/orgs/import", data={"file": SimpleUploadedFile("t.xlsx", data)}
    )
    assert r.status_code == 403


def test_export_returns_the_admins_area_as_xlsx(personas, api):
    tree = personas.tree
    call = api(personas.county_admin)
    r = call("GET", "/orgs/export")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    exported = {row[0].value for row in wb["机构"].iter_rows(min_row=2)}
    assert exported == {n.code for n in Node.objects.subtree(tree.A)}
    assert call("GET", "/orgs/export", data={"root": tree.B.code}).status_code == 404
    assert api(personas.county_reviewer)("GET", "/orgs/export").status_code == 403


def test_patch_with_a_closing_date_closes_the_unit_with_history(personas, api):
    tree = personas.tree
    r = api(personas.county_admin)("PATCH", f"/orgs/{tree.VA2.code}", json={"closed": "2025-06-30"})
    assert r.status_code == 200 and r.json()["closed"] == "2025-06-30"
    event = NodeEvent.objects.get(node=tree.VA2, kind="closed")
    assert str(event.date) == "2025-06-30"


def test_a_closing_date_before_the_opening_date_is_400(personas, api):
    tree = personas.tree
    call = api(personas.county_admin)
    r = call(
        "POST",
        "/orgs",
        json={
            "code": "X1",
            "name": "x",
            "kind": "township_hc",
            "parent_code": tree.A.code,
            "opened": "2025-01-01",
            "closed": "2024-01-01",
        },
    )
    assert r.status_code == 400 and "早于" in r.json()["detail"]
    r = call(
        "PATCH", f"/orgs/{tree.VA2.code}", json={"opened": "2025-01-01", "closed": "2024-01-01"}
    )
    assert r.status_code == 400


def test_names_are_stored_without_surrounding_spaces(personas, api):
    r = api(personas.county_admin)(
        "POST",
        "/orgs",
        json={
            "code": "X1",
            "name": "  新镇卫生院 ",
            "kind": "township_hc",
            "parent_code": personas.tree.A.code,
        },
    )
    assert r.status_code == 201 and r.json()["name"] == "新镇卫生院"
