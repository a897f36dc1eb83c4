"""The ledger pages in a real browser: a supervision visit with several findings, the
overdue highlighting, the filters and the Excel export."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

pytestmark = pytest.mark.browser


def test_a_visit_puts_findings_on_the_ledger_where_overdue_ones_stand_out(
    personas, login, screenshot
):
    t = personas.tree
    today = dt.date.today()
    page = login(None, "reviewer_a")
    page.goto("/rectification/")
    with page.expect_navigation():
        page.click("a[href='/rectification/visits/new/']")
    page.select_option("select[name=node]", t.A.code)
    page.fill("input[name=visited_on]", (today - dt.timedelta(days=40)).isoformat())
    page.select_option("select[name=kind]", "supervision")
    page.fill("textarea[name=team]", "县卫健委督导组：张三、李四")
    page.select_option("select[name=f-0-institution]", t.TA1.code)
    page.fill("textarea[name=f-0-description]", "慢病随访记录不完整")
    page.fill("input[name=f-0-deadline]", (today - dt.timedelta(days=10)).isoformat())
    page.select_option("select[name=f-1-institution]", t.CA1.code)
    page.fill("textarea[name=f-1-description]", "药品效期管理不规范")
    page.fill("input[name=f-1-responsible]", "刘主任")
    page.fill("input[name=f-1-deadline]", (today + dt.timedelta(days=20)).isoformat())
    screenshot(page, "ledger-visit-form")
    with page.expect_navigation():
        page.click("[data-testid=visit-form] button[type=submit]")
    assert "2 条问题已登记入整改台账" in page.locator(".messages").inner_text()
    assert page.locator("[data-testid=findings] tr.overdue").count() == 1

    page.goto("/rectification/")
    screenshot(page, "ledger-list")
    late = page.locator("table[data-testid=ledger] tr.overdue")
    assert late.count() == 1
    assert "慢病随访记录不完整" in late.inner_text() and "逾期 10 天" in late.inner_text()
    assert page.locator("[data-testid=overdue-count]").inner_text() == "1"

    page.check("input[name=overdue]")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.locator("table[data-testid=ledger] tbody tr").count() == 1
    with page.expect_download() as info:
        page.click("[data-testid=export]")
    data = open(info.value.path(), "rb").read()
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "县区", "机构")
    assert [r[2] for r in rows[1:]] == ["甲一镇卫生院"]


def test_a_visit_form_with_a_half_filled_finding_saves_nothing(personas, login):
    from jiceng.rectification.models import LedgerEntry, SupervisionVisit

    t = personas.tree
    page = login(None, "reviewer_a")
    page.goto("/rectification/visits/new/")
    page.select_option("select[name=node]", t.A.code)
    page.fill("input[name=visited_on]", dt.date.today().isoformat())
    page.fill("textarea[name=team]", "督导组")
    page.select_option("select[name=f-0-institution]", t.TA1.code)
    page.fill("textarea[name=f-0-description]", "没有期限的问题")
    with page.expect_navigation():
        page.click("[data-testid=visit-form] button[type=submit]")
    errors = page.locator("[data-testid=errors]").inner_text()
    assert "第1行" in errors and "请设定整改期限" in errors
    assert page.locator("textarea[name=f-0-description]").input_value() == "没有期限的问题"
    assert not SupervisionVisit.objects.exists() and not LedgerEntry.objects.exists()
