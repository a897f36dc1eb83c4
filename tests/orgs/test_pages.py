"""The tree pages: browsing, search, a unit's page, and the Excel upload and downloads."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import load_workbook

from jiceng.orgs.actions import do_update_node
from jiceng.orgs.models import Node

from .helpers import db_state, workbook


def codes_in(html: str) -> set[str]:
    return set(re.findall(r'data-code="([^"]+)"', html))


def test_the_tree_shows_only_the_users_subtree(personas, client_for):
    tree = personas.tree
    html = client_for(personas.county_reviewer).get("/orgs/").content.decode()
    assert {tree.A.code, tree.TA1.code, tree.VA1.code} <= codes_in(html)
    assert tree.B.code not in codes_in(html) and tree.VB1.code not in codes_in(html)
    assert tree.C.code not in codes_in(html)
    assert "组织" in html or "机构树" in html


def test_the_tree_nests_levels_in_expandable_lists(personas, client_for):
    html = client_for(personas.province_admin).get("/orgs/").content.decode()
    assert "<details" in html and "<summary>" in html
    tree = personas.tree
    # Two levels open under the province; deeper units load on demand.
    assert tree.A.code in codes_in(html)
    assert tree.TA1.code not in codes_in(html)
    assert f"/orgs/{tree.A.code}/children/" in html
    html = (
        client_for(personas.province_admin).get(f"/orgs/?expand={tree.TA1.code}").content.decode()
    )
    assert tree.VA1.code in codes_in(html)


def test_the_children_fragment_lists_the_units_below(personas, client_for):
    tree = personas.tree
    c = client_for(personas.city_reviewer)
    html = c.get(f"/orgs/{tree.TA1.code}/children/").content.decode()
    assert codes_in(html) == {tree.VA1.code, tree.VA2.code}
    assert c.get(f"/orgs/{tree.C.code}/children/").status_code == 200
    c = client_for(personas.county_reviewer_b)
    assert c.get(f"/orgs/{tree.TA1.code}/children/").status_code == 404


def test_search_finds_by_code_or_name_with_the_breadcrumb(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_reviewer)
    html = c.get("/orgs/", {"q": "卫生室"}).content.decode()
    assert codes_in(html) == {tree.VA1.code, tree.VA2.code, tree.VA3.code}
    assert "甲县 › 甲一镇卫生院 ›" in html
    assert "测试市" not in html  # ancestors above the user's node are not shown
    html = c.get("/orgs/", {"q": "330101100"}).content.decode()
    assert tree.TA1.code in codes_in(html)


def test_search_never_finds_outside_the_users_area(personas, client_for):
    html = client_for(personas.county_reviewer).get("/orgs/", {"q": "北村"}).content.decode()
    assert personas.tree.VB1.code not in codes_in(html)


def test_the_unit_page_shows_breadcrumb_facts_children_figures_and_history(personas, client_for):
    tree = personas.tree
    do_update_node(None, tree.VA2, name="西村新卫生室")
    c = client_for(personas.county_reviewer)
    html = c.get(f"/orgs/{tree.TA1.code}/").content.decode()
    assert codes_in(html) == {tree.TA1.code, tree.VA1.code, tree.VA2.code}
    assert "乡镇卫生院" in html and "测试市" not in html and "甲县" in html
    html = c.get(f"/orgs/{tree.A.code}/").content.decode()
    # County A: sum of its villages and station in 2025.
    assert ">6600<" in html
    html = c.get(f"/orgs/{tree.VA2.code}/").content.decode()
    assert "西村卫生室 → 西村新卫生室" in html and "更名" in html


def test_the_unit_page_shows_users_and_audit_link_to_admins_only(personas, client_for):
    tree = personas.tree
    html = client_for(personas.county_admin).get(f"/orgs/{tree.TA2.code}/").content.decode()
    assert "reviewer_a" in html
    assert f"/audit/orgs.node/{tree.TA2.pk}/" in html
    html = client_for(personas.city_reviewer).get(f"/orgs/{tree.TA2.code}/").content.decode()
    main = html.split('id="main"')[1]
    assert "reviewer_a" not in main and "/audit/" not in main


def test_a_unit_outside_the_users_area_is_404(personas, client_for):
    c = client_for(personas.county_reviewer)
    assert c.get(f"/orgs/{personas.tree.VB1.code}/").status_code == 404
    assert c.get("/orgs/nosuchcode/").status_code == 404
    assert c.get(f"/orgs/?expand={personas.tree.VB1.code}").status_code == 404


def test_the_import_page_imports_a_file_and_shows_a_summary(personas, client_for):
    c = client_for(personas.county_admin)
    assert c.get("/orgs/import/").status_code == 200
    data = workbook([["X1", "新镇卫生院", "乡镇卫生院", personas.tree.A.code, None, None, None]])
    response = c.post("/orgs/import/", {"file": SimpleUploadedFile("t.xlsx", data)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-result"' in html and "导入完成" in html
    assert Node.objects.get(code="X1").is_within(personas.tree.A)


def test_the_import_page_shows_the_problem_table_and_saves_nothing(personas, client_for):
    c = client_for(personas.county_admin)
    before = db_state()
    data = workbook(
        [
            ["X1", "新镇卫生院", "卫生所", personas.tree.A.code, None, None, None],
            ["X2", "二镇卫生院", "乡镇卫生院", personas.tree.B.code, None, None, None],
        ]
    )
    response = c.post("/orgs/import/", {"file": SimpleUploadedFile("bad.xlsx", data)})
    assert response.status_code == 422
    html = response.content.decode()
    assert "<th>行</th><th>列</th><th>原因</th>" in html
    assert "未知的类型“卫生所”" in html and "管辖范围" in html
    assert db_state() == before


def test_the_import_page_can_only_check(personas, client_for):
    c = client_for(personas.county_admin)
    before = db_state()
    data = workbook([["X1", "新镇卫生院", "乡镇卫生院", personas.tree.A.code, None, None, None]])
    response = c.post(
        "/orgs/import/", {"file": SimpleUploadedFile("t.xlsx", data), "dry_run": "on"}
    )
    assert "未保存" in response.content.decode()
    assert db_state() == before


def test_the_import_page_refuses_a_renamed_pdf(personas, client_for):
    c = client_for(personas.county_admin)
    response = c.post("/orgs/import/", {"file": SimpleUploadedFile("t.xlsx", b"%PDF-1.7 ...")})
    assert response.status_code == 422 and "PDF" in response.content.decode()


@override_settings(JICENG_MAX_UPLOAD_BYTES=1000)
def test_the_import_page_refuses_a_file_above_the_size_limit(personas, client_for):
    c = client_for(personas.county_admin)
    response = c.post("/orgs/import/", {"file": SimpleUploadedFile("t.xlsx", b"x" * 2000)})
    assert response.status_code == 400 and "MB" in response.content.decode()


@pytest.mark.parametrize("url", ["/orgs/import/", "/orgs/export.xlsx", "/orgs/template.xlsx"])
def test_excel_pages_are_403_for_non_admins(personas, client_for, url):
    assert client_for(personas.county_reviewer).get(url).status_code == 403


def test_the_export_download_is_limited_to_the_admins_area(personas, client_for):
    tree = personas.tree
    c = client_for(personas.county_admin)
    response = c.get("/orgs/export.xlsx", {"root": tree.TA1.code})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    codes = {r[0].value for r in wb["机构"].iter_rows(min_row=2)}
    assert codes == {tree.TA1.code, tree.VA1.code, tree.VA2.code}
    response = c.get("/orgs/export.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    codes = {r[0].value for r in wb["机构"].iter_rows(min_row=2)}
    assert tree.B.code not in codes and tree.A.code in codes
    assert c.get("/orgs/export.xlsx", {"root": tree.B.code}).status_code == 404


def test_the_template_download_is_an_empty_template(personas, client_for):
    response = client_for(personas.county_admin).get("/orgs/template.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["机构", "年度数据", "说明"] and wb["机构"].max_row == 1


def test_search_and_tree_pages_use_a_fixed_number_of_queries(
    personas, client_for, django_assert_max_num_queries
):
    from jiceng.orgs.actions import do_import_tree
    from jiceng.orgs.importer import plan_import

    rows = [
        [
            f"3301011002{i:02d}",
            f"新{i}村卫生室",
            "村卫生室",
            personas.tree.TA1.code,
            None,
            None,
            None,
        ]
        for i in range(10, 60)
    ]
    do_import_tree(None, plan_import(workbook(rows), "t.xlsx"))
    c = client_for(personas.province_admin)
    with django_assert_max_num_queries(12):
        html = c.get("/orgs/", {"q": "村卫生室"}).content.decode()
    assert len(codes_in(html)) == 50 + 4
    with django_assert_max_num_queries(12):
        c.get("/orgs/", {"expand": personas.tree.TA1.code})
