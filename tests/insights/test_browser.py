"""A dashboard with a saved visualizer view, in a real browser: build the view, save it, pin
it, see its chart on the dashboard, export it as PNG and follow it to its table."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_saved_view_pinned_to_the_dashboard_draws_its_chart_and_leads_to_its_table(
    figures, login, screenshot
):
    t = figures.tree
    page = login(None, "admin_a")  # county A's administrator
    page.goto(f"/insights/visualizer/?m=ind:htn_std_mgmt&root={t.A.code}&level=children"
              "&pt=year&year=2025&chart=bar")
    page.wait_for_selector("#viz-chart[data-drawn='1'] canvas")
    screenshot(page, "visualizer-bar-chart")
    assert "60.0%" in page.locator(f"#viz-table tr[data-code='{t.TA1.code}']").inner_text()
    with page.expect_download() as png:
        page.click("[data-png=viz-chart]")
    assert png.value.suggested_filename.endswith(".png")
    page.fill("#view-name", "各单位高血压规范管理率")
    with page.expect_navigation():
        page.click("#save-view")
    assert "view=" in page.url
    with page.expect_navigation():
        page.click("#pin-view")
    assert page.url.endswith("/insights/")
    card = page.locator("[data-pin]").filter(has_text="各单位高血压规范管理率")
    card.locator("canvas").wait_for()
    screenshot(page, "dashboard-with-saved-view")
    with page.expect_navigation():
        card.get_by_text("查看图表对应的数据表").click()
    page.wait_for_load_state("domcontentloaded")
    row = page.locator(f"#viz-table tr[data-code='{t.TA2.code}']")
    assert "90.0%" in row.inner_text()
