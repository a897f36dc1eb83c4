"""The standards pages in a real browser: an administrator uploads a catalog, a clerk reads it."""

from __future__ import annotations

import pytest

from jiceng.standards.catalog import sample_catalog_paths

pytestmark = pytest.mark.browser


def test_an_admin_sees_every_problem_of_a_bad_upload_then_loads_the_good_file(
    personas, login, screenshot, tmp_path
):
    from jiceng.standards.models import Catalog

    good = sample_catalog_paths()["village_clinic"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        good.read_text(encoding="utf-8")
        .replace("basic_threshold: 0.80", "basic_threshold: 8")
        .replace('code: "1.1.2", tier: basic', 'code: "1.1.2", tier: 中级'),
        encoding="utf-8",
    )
    page = login(None, "admin_p")
    page.goto("/standards/")
    page.click("[data-testid=upload-link]")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button.primary")
    page.wait_for_load_state("domcontentloaded")
    problems = page.locator("[data-testid=catalog-problems]")
    screenshot(page, "standards-upload-problems")
    text = problems.inner_text()
    assert "basic_threshold" in text and "中级" in text and "未加载" in text
    assert not Catalog.objects.exists()

    page.set_input_files("input[name=file]", str(good))
    page.click("button.primary")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("h1[data-code=village_clinic]").count() == 1
    assert page.locator("[data-item]").count() == 30
    screenshot(page, "standards-catalog-page")


def test_a_clerk_filters_the_core_items_of_a_catalog(personas, login):
    from jiceng.standards.actions import do_load_samples
    from jiceng.standards.models import Catalog

    do_load_samples(None)
    catalog = Catalog.objects.get(code="township_hc")
    page = login(None, "clerk_ta1")
    page.click("nav >> text=服务能力标准")
    page.click(f"text={catalog.title}")
    page.check("input[name=core]")
    page.click("[data-testid=filters] button")
    page.wait_for_load_state("domcontentloaded")
    expected = catalog.items.filter(core=True).count()
    assert page.locator("[data-item]").count() == expected
    assert page.locator(".core-mark").count() == expected
    assert page.locator("[data-testid=upload-link]").count() == 0
