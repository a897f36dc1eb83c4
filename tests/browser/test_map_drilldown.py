"""The thematic map in a real browser: a click on a county opens the map of its units, and
the map exports as a PNG image."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_clicking_a_county_drills_down_to_its_units_and_the_map_exports_as_png(personas, login):
    from indicators.conftest import make_record_set, put
    from maps.helpers import import_tree_boundaries

    t = personas.tree
    import_tree_boundaries(t)
    rs = make_record_set(node=t.A)
    for node, n in ((t.A, 105), (t.TA1, 60), (t.TA2, 45)):
        put(rs, node, "2025", "htn_std_mgmt", n, 100 if node != t.A else 200)
    page = login(None, "reviewer_city")
    page.goto(f"/maps/?node={t.C.code}&level=county&period=2025&indicator=ind:htn_std_mgmt")
    expect(page.locator("#map-chart[data-ready='1']")).to_have_count(1)
    expect(page.get_by_test_id("map-legend")).to_contain_text("52.50%")

    with page.expect_download() as download:
        page.get_by_test_id("map-png").click()
    assert download.value.suggested_filename == f"map-{t.C.code}-2025.png"

    point = page.evaluate("code => window.jicengMap.pixelOf(code)", t.A.code)
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(f"node={t.A.code}"))
    expect(page.get_by_test_id("map-node")).to_have_text("甲县")
    expect(page.locator("#map-chart[data-ready='1']")).to_have_count(1)
    table = page.get_by_test_id("map-table")
    expect(table.locator(f"tr[data-code='{t.TA1.code}']")).to_contain_text("60%")
    expect(table.locator(f"tr[data-code='{t.TA2.code}']")).to_contain_text("45%")
    # the choices were carried down: same indicator and period
    assert "indicator=ind%3Ahtn_std_mgmt" in page.url and "period=2025" in page.url
