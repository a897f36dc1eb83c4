"""The organisation tree in a real browser: expanding levels, search, a unit, the upload."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.browser


def test_the_province_admin_expands_a_county_and_opens_a_clinic(personas, login, screenshot):
    tree = personas.tree
    page = login(None, "admin_p")
    page.goto("/orgs/")
    assert page.locator(f"[data-code='{tree.A.code}']").count() == 1
    assert page.locator(f"[data-code='{tree.TA1.code}']").count() == 0
    # Open county A's disclosure triangle: its units load below it.
    page.locator(f"summary:has([data-code='{tree.A.code}'])").click(position={"x": 4, "y": 8})
    page.locator(f"[data-code='{tree.TA1.code}']").wait_for()
    page.locator(f"summary:has([data-code='{tree.TA1.code}'])").click(position={"x": 4, "y": 8})
    page.locator(f"[data-code='{tree.VA1.code}']").wait_for()
    screenshot(page, "orgs-tree-expanded")
    page.locator(f"[data-code='{tree.VA1.code}']").click()
    page.wait_for_url(f"**/orgs/{tree.VA1.code}/")
    crumbs = page.locator("nav.breadcrumbs").inner_text()
    assert "测试省" in crumbs and "甲县" in crumbs and "甲一镇卫生院" in crumbs
    assert page.locator("h1").inner_text().startswith("东村卫生室")
    screenshot(page, "orgs-unit-page")


def test_the_county_reviewer_searches_and_sees_breadcrumbs(personas, login):
    tree = personas.tree
    page = login(None, "reviewer_a")
    page.goto("/orgs/")
    page.fill("input[name=q]", "西村")
    page.press("input[name=q]", "Enter")
    page.locator(f"[data-code='{tree.VA2.code}']").wait_for()
    item = page.locator("ul.org-results li").first.inner_text()
    assert "甲县 › 甲一镇卫生院 ›" in item and "西村卫生室" in item
    page.fill("input[name=q]", "北村")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator(f"[data-code='{tree.VB1.code}']").count() == 0


def test_the_county_admin_uploads_a_bad_file_and_sees_each_problem(
    personas, login, tmp_path, screenshot
):
    from orgs.helpers import workbook

    path = tmp_path / "机构.xlsx"
    path.write_bytes(
        workbook(
            [
                ["X1", "新镇卫生院", "卫生所", personas.tree.A.code, None, None, None],
                ["X2", "二镇卫生院", "乡镇卫生院", personas.tree.A.code, "2025/02/30", None, None],
            ]
        )
    )
    page = login(None, "admin_a")
    page.goto("/orgs/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="导入", exact=True).click()
    page.locator("#import-problems").wait_for()
    rows = page.locator("#import-problems tbody tr").all_inner_texts()
    assert len(rows) == 2
    assert "卫生所" in rows[0] and "YYYY-MM-DD" in rows[1]
    screenshot(page, "orgs-import-problems")


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
    JICENG_IMPORT_BACKGROUND_ROWS=3,
)
def test_a_large_upload_lands_on_its_job_page(personas, login, tmp_path, screenshot):
    from orgs.helpers import workbook

    path = tmp_path / "big.xlsx"
    path.write_bytes(
        workbook(
            [
                [f"X{i}", f"新{i}镇卫生院", "乡镇卫生院", personas.tree.A.code, None, None, None]
                for i in range(5)
            ]
        )
    )
    page = login(None, "admin_a")
    page.goto("/orgs/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="导入", exact=True).click()
    page.locator("[data-testid=import-job][data-status=done]").wait_for()
    assert "导入完成" in page.locator("#import-result").inner_text()
    screenshot(page, "orgs-import-job-done")


def test_the_county_admin_renames_a_clinic_on_its_page(personas, login, screenshot):
    tree = personas.tree
    page = login(None, "admin_a")
    page.goto(f"/orgs/{tree.VA2.code}/")
    page.get_by_role("link", name="编辑", exact=True).click()
    page.fill("input[name=name]", "西村新卫生室")
    screenshot(page, "orgs-edit-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/orgs/{tree.VA2.code}/")
    assert page.locator("h1").inner_text().startswith("西村新卫生室")
    assert "西村卫生室 → 西村新卫生室" in page.locator("body").inner_text()
