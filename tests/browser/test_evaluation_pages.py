"""Evaluation pages in a real browser: the missing list, two reviewers saving at once,
differences highlighted, the city's sample re-check, the published list with its Excel
export, and a look-back that withdraws a verdict.

(The whole submit → return → fix → pass → re-check → publish path is
``test_evaluation_flow.py``.)
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

pytestmark = pytest.mark.browser

CATALOG = """
code: pages
version: "1"
title: 页面测试标准
institution_kinds: [township_hc, community_hc, village_clinic, community_station]
scale:
  - {grade: A, label: 优秀, meets: true}
  - {grade: C, label: 合格, meets: true}
  - {grade: D, label: 不合格, meets: false}
chapters:
  - code: "1"
    title: 功能任务与资源配置
    sections:
      - code: "1.1"
        title: 功能任务
        items:
          - {code: "1.1.1", tier: basic, core: true, text: 功能定位明确}
          - {code: "1.1.2", tier: basic, text: 承担公共卫生管理}
          - {code: "1.1.3", tier: basic, na_allowed: true, text: 设置住院床位}
  - code: "2"
    title: 基本医疗和公共卫生服务
    sections:
      - code: "2.1"
        title: 医疗服务
        items:
          - {code: "2.1.1", tier: recommended, text: 开展远程会诊}
"""
BASIC = {"1.1.1": "A", "1.1.2": "C", "1.1.3": "NA", "2.1.1": "D"}


@pytest.fixture
def cycle(personas):
    from jiceng.assessments import actions
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    do_load_catalog(None, parse_catalog(CATALOG, "pages.yaml"), CATALOG, "pages.yaml")
    today = dt.date.today()
    return actions.do_open_cycle(
        None,
        personas.tree.A,
        today.year,
        self_deadline=today - dt.timedelta(days=1),  # already past: drafts are late
        county_deadline=today + dt.timedelta(days=30),
    )


def sub_of(cycle, node):
    from jiceng.assessments.models import Submission

    return Submission.objects.get(cycle=cycle, institution=node)


def take_through_county(sub, self_grades=BASIC, county_grades=BASIC):
    from jiceng.assessments import actions

    sub = actions.do_save_grades(None, sub, "self", self_grades, version=sub.version)
    sub = actions.do_submit(None, sub, version=sub.version)
    sub = actions.do_save_grades(None, sub, "county", county_grades, version=sub.version)
    return actions.do_pass_county(None, sub, version=sub.version)


def press(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_the_clerk_sees_what_is_missing_and_the_progress_board_shows_them_late(
    personas, cycle, login
):
    sub = sub_of(cycle, personas.tree.TA1)
    clerk = login(None, "clerk_ta1")
    clerk.goto(f"/evaluation/s/{sub.pk}/")
    clerk.select_option("select[name='g-1.1.1']", "A")
    press(clerk, "[data-testid=grade-form] button[name=step][value=submit]")
    missing = clerk.locator("[data-testid=missing] li").all_inner_texts()
    assert missing == ["1.1.2", "1.1.3", "2.1.1"]
    assert "尚有 3 个条款未评分" in clerk.locator(".messages").inner_text()
    assert clerk.locator(".messages .message.error").count() == 1  # one message, not 4
    assert clerk.locator(".messages details").count() == 1
    assert clerk.locator("tr.flagged").count() == 3  # the items named are outlined
    assert clerk.locator("[data-testid=stage]").get_attribute("data-stage") == "draft"
    admin = login(None, "admin_a")
    admin.goto(f"/evaluation/progress/?region={personas.tree.A.code}&year={cycle.year}")
    late = admin.locator("[data-testid=late]").inner_text()
    assert "甲一镇卫生院" in late and "自评已于" in late


def test_two_reviewers_saving_the_same_form_the_second_is_told_and_nothing_is_overwritten(
    personas, cycle, login
):
    from conftest import make_user

    from jiceng.assessments import actions

    sub = sub_of(cycle, personas.tree.TA1)
    sub = actions.do_save_grades(None, sub, "self", BASIC, version=sub.version)
    actions.do_submit(None, sub, version=sub.version)
    make_user("reviewer_a2", "county_reviewer", personas.tree.A)
    first = login(None, "reviewer_a")
    second = login(None, "reviewer_a2")
    url = f"/evaluation/s/{sub.pk}/"
    first.goto(url)
    second.goto(url)
    first.select_option("select[name='g-1.1.2']", "D")
    press(first, "[data-testid=grade-form] button[name=step][value=save]")
    # the county grade differs from the self-grade: the row is highlighted
    assert "differs" in first.locator("tr[data-item='1.1.2']").get_attribute("class")
    second.select_option("select[name='g-1.1.2']", "A")
    press(second, "[data-testid=grade-form] button[name=step][value=save]")
    assert "已有他人保存" in second.locator("[data-testid=form-errors]").inner_text()
    assert sub_of(cycle, personas.tree.TA1).grades_at("county") == {"1.1.2": "D"}
    # the second reviewer now sees the first one's grade
    assert second.locator("select[name='g-1.1.2']").input_value() == "D"


def test_the_city_samples_a_basic_verdict_rechecks_it_and_the_county_publishes(
    personas, cycle, login, new_page
):
    from jiceng.assessments.models import Submission

    for sub in Submission.objects.filter(cycle=cycle):
        take_through_county(sub)
    ta1 = sub_of(cycle, personas.tree.TA1)
    city = login(None, "reviewer_city")
    city.goto(f"/evaluation/cycles/{cycle.pk}/")
    city.check(f"[data-code='{personas.tree.TA1.code}'] input[name=submission]")
    press(city, "button.primary")
    assert "已将 1 家机构列入复核" in city.locator(".messages").inner_text()
    city.goto(f"/evaluation/s/{ta1.pk}/")
    for code, grade in {"1.1.1": "D", "1.1.2": "C", "1.1.3": "NA", "2.1.1": "D"}.items():
        city.select_option(f"select[name='g-{code}']", grade)
    press(city, "[data-testid=grade-form] button[name=step][value=complete]")
    panel = city.locator("[data-testid=verdict-panel]")
    assert panel.locator("[data-verdict]").get_attribute("data-verdict") == "none"
    assert "1.1.1" in panel.inner_text()  # the failed core item is named

    county = login(None, "admin_a")
    county.goto(f"/evaluation/publication/?region={personas.tree.A.code}&year={cycle.year}")
    press(county, "[data-testid=publish-form] button[type=submit]")
    press(county, "[data-testid=publish-confirm] button[type=submit]")
    headline = county.locator("[data-testid=headline]").inner_text()
    assert "达到基本标准 6 家，占 85.7%" in headline and "未达标 1 家，占 14.3%" in headline
    with county.expect_download() as info:
        county.click("[data-testid=export-xlsx]")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert any(r[2] == "甲一镇卫生院" and r[4] == "未达标" for r in rows if len(r) > 4)

    # a look-back withdraws TA2's verdict; its history shows it
    city.goto(f"/evaluation/history/{personas.tree.TA2.code}/")
    form = city.locator("[data-testid=lookback-form]").first
    form.locator("select[name=outcome]").select_option("withdraw")
    form.locator("textarea[name=reason]").fill("回头看发现核心条款不再达标")
    with city.expect_navigation():
        form.locator("button[type=submit]").click()
    row = city.locator("[data-testid=verdict-history] tr[data-record]").first
    assert row.get_attribute("data-status") == "withdrawn"
    assert "回头看发现核心条款不再达标" in row.inner_text()
