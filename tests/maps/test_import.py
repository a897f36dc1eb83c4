"""Importing boundaries: all or nothing, within the importer's part of the tree, audited,
and each import a version (the one it replaces is kept)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.core.errors import ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.maps.actions import do_import_boundaries, plan_import
from jiceng.maps.models import Boundary, BoundarySet

from .helpers import collection, feature, import_tree_boundaries, rect


def _post(client, data: bytes, name: str = "b.geojson", code_field: str = "code"):
    upload = SimpleUploadedFile(name, data, content_type="application/geo+json")
    return client.post("/maps/boundaries/", {"file": upload, "code_field": code_field})


def test_an_administrator_imports_a_file_and_each_unit_gets_its_current_boundary(
    personas, client_for
):
    t = personas.tree
    client = client_for(personas.county_admin)
    data = collection(
        feature(t.TA1.code, rect(120, 30, 121, 31)), feature(t.TA2.code, rect(120, 31, 121, 32))
    )
    response = _post(client, data)
    assert response.status_code == 302
    bset = BoundarySet.objects.get()
    # TA1 and TA2 lie in county A: the import hangs on A (their smallest common region)
    assert (bset.node, bset.features, bset.format) == (t.A, 2, "geojson")
    assert set(Boundary.objects.filter(current=True).values_list("node__code", flat=True)) == {
        t.TA1.code,
        t.TA2.code,
    }
    event = AuditEvent.objects.get(action="maps.import_boundaries")
    assert event.node_path == t.A.path and event.after["codes"] == sorted([t.TA1.code, t.TA2.code])


def test_a_second_import_makes_the_new_outline_current_and_keeps_the_old_one(personas):
    t = personas.tree
    first = import_tree_boundaries(t)
    data = collection(feature(t.A.code, rect(120, 30, 120.9, 32)))
    second = do_import_boundaries(None, plan_import(None, data, "a.geojson"), "a.geojson")
    rows = Boundary.objects.filter(node=t.A).order_by("source_id")
    assert [(b.source_id, b.current) for b in rows] == [(first.pk, False), (second.pk, True)]
    assert rows[1].geometry["coordinates"][0][1] == [120.9, 30.0]


def test_unknown_codes_and_invalid_geometry_are_all_named_and_nothing_is_saved(
    personas, client_for
):
    t = personas.tree
    client = client_for(personas.county_admin)
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    data = collection(
        feature(t.TA1.code, rect(120, 30, 121, 31)),  # fine
        feature("999999999999", rect(120, 30, 121, 31)),  # 2: no such unit
        feature(t.TA2.code, bowtie),  # 3: self-intersecting
    )
    response = _post(client, data, "mixed.geojson")
    assert response.status_code == 422
    page = response.content.decode()
    assert "mixed.geojson：发现 2 个问题，未保存任何内容" in page
    assert "第 2 个要素" in page and "未知的单位编码 999999999999" in page
    assert "第 3 个要素，geometry" in page and "自相交" in page
    assert not Boundary.objects.exists() and not BoundarySet.objects.exists()
    assert not AuditEvent.objects.filter(action="maps.import_boundaries").exists()


def test_a_unit_out_of_the_administrators_sight_is_reported_as_unknown(personas):
    t = personas.tree
    data = collection(feature(t.TB1.code, rect(121, 30, 122, 31)))  # county B's, not A's
    with pytest.raises(ValidationFailed) as exc:
        plan_import(personas.county_admin, data, "b.geojson")
    assert f"未知的单位编码 {t.TB1.code}" in str(exc.value)


def test_a_visible_unit_above_the_administrator_may_not_be_changed(personas):
    t = personas.tree
    data = collection(feature(t.A.code, rect(120, 30, 121, 32)))
    with pytest.raises(ValidationFailed, match="无权修改 甲县"):
        plan_import(personas.county_reviewer, data, "a.geojson")


def test_only_administrators_post_to_the_import_page(personas, client_for):
    client = client_for(personas.county_reviewer)
    data = collection(feature(personas.tree.TA1.code, rect(120, 30, 121, 31)))
    assert _post(client, data).status_code == 403
    assert 'name="code_field"' not in client.get("/maps/boundaries/").content.decode()
    with pytest.raises(PermissionDenied):
        do_import_boundaries(
            personas.county_reviewer,
            plan_import(None, data, "x.geojson"),
            "x.geojson",
        )
    assert not Boundary.objects.exists()


def test_a_file_over_the_limit_is_refused_by_the_form(personas, client_for, settings):
    settings.JICENG_MAP_MAX_BYTES = 2048
    t = personas.tree
    data = collection(*[feature(t.TA1.code, rect(120, 30, 121, 31)) for _i in range(30)])
    assert len(data) > 2048
    response = _post(client_for(personas.county_admin), data, "big.geojson")
    assert response.status_code == 400
    assert "big.geojson 大小为" in response.content.decode() and "上限为 2 KB" in (
        response.content.decode()
    )
    assert not Boundary.objects.exists()


def test_a_projected_file_is_refused_with_the_crs_named(personas, client_for):
    t = personas.tree
    data = collection(feature(t.TA1.code, rect(120, 30, 121, 31)), crs="EPSG:3857")
    response = _post(client_for(personas.county_admin), data, "merc.geojson")
    assert response.status_code == 422
    assert "不接受坐标参考系 EPSG:3857" in response.content.decode()
    assert not Boundary.objects.exists()


def test_the_code_may_sit_in_another_property(personas, client_for):
    t = personas.tree
    data = collection(feature(t.TA1.code, rect(120, 30, 121, 31), field="adcode"))
    response = _post(client_for(personas.county_admin), data, code_field="adcode")
    assert response.status_code == 302
    assert BoundarySet.objects.get().code_field == "adcode"


def test_the_list_of_imports_shows_only_those_within_the_users_sight(personas, client_for):
    t = personas.tree
    do_import_boundaries(
        None,
        plan_import(None, collection(feature(t.TB1.code, rect(121, 30, 122, 31))), "乙.geojson"),
        "乙.geojson",
    )
    do_import_boundaries(
        None,
        plan_import(None, collection(feature(t.TA1.code, rect(120, 30, 121, 31))), "甲.geojson"),
        "甲.geojson",
    )
    page = client_for(personas.county_admin).get("/maps/boundaries/").content.decode()
    assert "甲.geojson" in page and "乙.geojson" not in page


def test_the_audit_trail_shows_the_import_in_chinese(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    data = collection(feature(t.TA1.code, rect(120, 30, 121, 31)))
    assert _post(client, data, "甲一.geojson").status_code == 302
    bset = BoundarySet.objects.get()
    page = client.get(f"/audit/maps.boundaryset/{bset.pk}/").content.decode()
    assert "导入边界" in page and "单位编码" in page and "被替换的边界数" in page
    assert "甲一.geojson" in page
