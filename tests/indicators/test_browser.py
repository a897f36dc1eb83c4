"""The region table and the record-set upload in a real browser (Chromium via Playwright)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings
from django.utils import timezone

from jiceng.analytics import generate_recordset
from jiceng.indicators.actions import do_set_target
from jiceng.indicators.models import RecordSet
from jiceng.indicators.tasks import platform_tree

from .conftest import make_record_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def row_codes(page) -> list[str]:
    return page.locator("#region-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )


def test_the_region_table_sorts_by_a_column_and_exports_to_excel(
    live_server, personas, values, login, screenshot
):
    t = personas.tree
    do_set_target(None, indicator="htn_std_mgmt", node=t.A, year=2025, threshold_percent=80)
    page = login(None, "admin_a")
    page.goto(f"/indicators/table/{t.A.code}/?period=2025")
    assert row_codes(page) == [t.TA1.code, t.TA2.code]
    page.select_option("#level", "village")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert row_codes(page) == [t.VA1.code, t.VA2.code, t.VA3.code]
    header = page.locator("th[data-indicator=htn_std_mgmt] a")
    header.click()  # first click: highest first
    page.wait_for_load_state("domcontentloaded")
    assert row_codes(page) == [t.VA3.code, t.VA1.code, t.VA2.code]
    page.locator("th[data-indicator=htn_std_mgmt] a").click()
    page.wait_for_load_state("domcontentloaded")
    assert row_codes(page) == [t.VA2.code, t.VA1.code, t.VA3.code]
    assert page.locator("td.miss").count() >= 2  # 50% and 75% are below the 80% target
    screenshot(page, "indicators-region-table")
    with page.expect_download() as info:
        page.click("#export")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(info.value.path().read_bytes())).active
    # row 1 names the service groups, row 2 the columns
    assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)][:3] == [
        t.VA2.code,
        t.VA1.code,
        t.VA3.code,
    ]


def test_the_node_page_draws_the_trend_chart(live_server, personas, values, login, screenshot):
    page = login(None, "admin_a")
    page.goto(f"/indicators/node/{personas.tree.TA1.code}/?period=2025")
    page.wait_for_selector("#trend-chart canvas")
    assert page.locator("tr[data-indicator=htn_std_mgmt] .change").inner_text() == "+10.00"
    screenshot(page, "indicators-node")


def test_the_status_block_polls_until_the_load_ends(live_server, personas, login):
    rs = make_record_set(node=personas.tree.A, status=RecordSet.Status.LOADING)
    rs.progress = {"task": "load", "stage": "检查 residents", "percent": 42, "done": False}
    rs.heartbeat_at = timezone.now()  # its worker is alive
    rs.save()
    page = login(None, "admin_a")
    page.goto(f"/indicators/recordsets/{rs.pk}/")
    assert "42%" in page.locator("#recordset-status").inner_text()
    rs.status = RecordSet.Status.READY
    rs.row_counts = {"residents": 1234}
    rs.progress = {"task": "load", "stage": "导入完成", "percent": 100, "done": True}
    rs.save()
    page.wait_for_selector("#load-summary", timeout=5000)  # htmx fetched it within ~1s
    assert "1234" in page.locator("#load-summary").inner_text()
    assert page.locator("#recordset-status[hx-trigger]").count() == 0
    # every place the status shows was refreshed: one status, and the compute form appeared
    page.wait_for_selector("#compute-form", timeout=5000)
    main = page.locator("main").inner_text()
    assert main.count("就绪") == 1 and "导入中" not in main


def test_the_list_of_record_sets_refreshes_a_running_status(live_server, personas, login):
    rs = make_record_set(node=personas.tree.A, status=RecordSet.Status.LOADING)
    rs.progress = {"task": "load", "stage": "检查 residents", "percent": 42, "done": False}
    rs.heartbeat_at = timezone.now()
    rs.save()
    page = login(None, "admin_a")
    page.goto("/indicators/recordsets/")
    row = page.locator(f"#recordsets tr[data-id='{rs.pk}']")
    assert "导入中" in row.inner_text()
    rs.status = RecordSet.Status.READY
    rs.progress = {"task": "load", "stage": "导入完成", "percent": 100, "done": True}
    rs.save()
    page.wait_for_selector(f"#recordsets tr[data-id='{rs.pk}']:has-text('就绪')", timeout=6000)
    assert page.locator("#recordsets-list[hx-trigger]").count() == 0


@override_settings(TASKS=IMMEDIATE)
def test_an_administrator_uploads_a_zip_and_sees_it_loaded(
    live_server, personas, login, screenshot, tmp_path, settings
):
    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    out = tmp_path / "rs"
    generate_recordset(out, platform_tree(personas.tree.A), [2025], seed=3, residents=300)
    archive = tmp_path / "records.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in out.iterdir():
            zf.write(f, f.name)
    page = login(None, "admin_a")
    page.goto("/indicators/recordsets/")
    page.fill("#id_name", "浏览器上传")
    page.set_input_files("#id_file", str(archive))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#load-summary")
    assert page.locator("#load-summary [data-table=residents]").inner_text().endswith(" 300")
    page.fill("#id_periods", "2025")
    page.click("#compute-form button[type=submit]")
    page.wait_for_selector("#computed:has-text('2025')")
    screenshot(page, "indicators-recordset")
    assert RecordSet.objects.get(name="浏览器上传").values.filter(period="2025").exists()


def test_withdrawing_a_record_set_asks_first_and_then_removes_its_figures(
    live_server, personas, values, login, screenshot
):
    t = personas.tree
    page = login(None, "admin_a")
    page.goto(f"/indicators/recordsets/{values.pk}/")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#withdraw button[type=submit]")
    assert questions and values.name in questions[0]
    assert RecordSet.objects.filter(pk=values.pk).exists()  # cancelled: nothing happened
    screenshot(page, "indicators-recordset-withdraw")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#withdraw button[type=submit]")
    page.wait_for_url("**/indicators/recordsets/")
    assert values.name in page.locator(".message").first.inner_text()
    assert not RecordSet.objects.filter(pk=values.pk).exists()
    page.goto(f"/indicators/node/{t.TA1.code}/?period=2025")
    assert "60.00%" not in page.content()


@override_settings(TASKS=IMMEDIATE, JICENG_JOB_LEASE_SECONDS=60)
def test_a_load_whose_worker_died_shows_the_reason_and_is_retried_with_one_click(
    live_server, personas, login, screenshot, tmp_path, settings
):
    from .test_dead_jobs import stuck_load

    settings.JICENG_ANALYTICS_DIR = tmp_path / "analytics"
    settings.JICENG_ANALYTICS_DIR.mkdir()
    rs, _stray, _tmp = stuck_load(personas, tmp_path, settings.JICENG_ANALYTICS_DIR)
    page = login(None, "admin_a")
    page.goto(f"/indicators/recordsets/{rs.pk}/")
    status = page.locator("#recordset-status")
    assert "后台任务中断" in status.inner_text() and "请重试" in status.inner_text()
    screenshot(page, "indicators-recordset-interrupted")
    page.click("#retry-form button[type=submit]")
    page.wait_for_selector("#load-summary")
    assert page.locator("#load-summary [data-table=residents]").inner_text().endswith(" 400")
