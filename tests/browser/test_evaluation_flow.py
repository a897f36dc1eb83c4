"""The whole campaign flow in a real browser, through the real pages.

The clerk of 甲一镇卫生院 (TA1) self-assesses and submits; the county reviewer returns it;
the clerk fixes and submits again; the county reviewer grades one item below standard and
passes it; the city reviewer re-checks; the county publishes the list; the item below
standard is on the rectification ledger, where the clerk reports it fixed (after a
refused upload) and the county reviewer verifies and closes it (销号).
"""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.postgresql_too]

CATALOG = """
code: flow
version: "1"
title: 流程测试标准
institution_kinds: [township_hc, community_hc, village_clinic, community_station]
scale:
  - {grade: A, label: 优秀, meets: true}
  - {grade: B, label: 良好, meets: true}
  - {grade: C, label: 合格, meets: true}
  - {grade: D, label: 不合格, meets: false}
basic_threshold: 0.60
recommended_threshold: 0.60
chapters:
  - code: "1"
    title: 功能任务与资源配置
    sections:
      - code: "1.1"
        title: 功能任务
        items:
          - {code: "1.1.1", tier: basic, text: 功能定位明确}
          - {code: "1.1.2", tier: basic, text: 承担公共卫生管理}
          - {code: "1.2.1", tier: basic, text: 全科医生不少于3名}
  - code: "2"
    title: 基本医疗和公共卫生服务
    sections:
      - code: "2.1"
        title: 医疗服务
        items:
          - {code: "2.1.1", tier: recommended, text: 开展远程会诊}
"""
CODES = ["1.1.1", "1.1.2", "1.2.1", "2.1.1"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def cycle(personas):
    """County A's cycle; every submission but TA1's already county-passed (basic verdict)."""
    from jiceng.assessments import actions
    from jiceng.assessments.models import Submission
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    do_load_catalog(None, parse_catalog(CATALOG, "flow.yaml"), CATALOG, "flow.yaml")
    today = dt.date.today()
    cyc = actions.do_open_cycle(
        None,
        personas.tree.A,
        today.year,
        self_deadline=today + dt.timedelta(days=30),
        county_deadline=today + dt.timedelta(days=60),
        recheck_deadline=today + dt.timedelta(days=90),
    )
    basic_only = {"1.1.1": "B", "1.1.2": "B", "1.2.1": "B", "2.1.1": "D"}
    for sub in Submission.objects.filter(cycle=cyc).exclude(institution=personas.tree.TA1):
        sub = actions.do_save_grades(None, sub, "self", basic_only, version=sub.version)
        sub = actions.do_submit(None, sub, version=sub.version)
        sub = actions.do_save_grades(None, sub, "county", basic_only, version=sub.version)
        actions.do_pass_county(None, sub, version=sub.version)
    return Submission.objects.get(cycle=cyc, institution=personas.tree.TA1)


def grade_all(page, grades: dict[str, str], remarks: dict[str, str] | None = None) -> None:
    for code, grade in grades.items():
        page.select_option(f"[data-testid=grade-form] select[name='g-{code}']", grade)
    for code, remark in (remarks or {}).items():
        page.fill(f"[data-testid=grade-form] textarea[name='r-{code}']", remark)


def stage(page) -> str:
    return page.locator("[data-testid=stage]").get_attribute("data-stage")


def press(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_submit_return_fix_pass_recheck_publish_then_rectify_and_close(
    personas, cycle, login, screenshot
):
    from jiceng.rectification.models import LedgerEntry

    url = f"/evaluation/s/{cycle.pk}/"
    # 1. The institution grades itself and submits.
    clerk = login(None, "clerk_ta1")
    clerk.goto(url)
    grade_all(clerk, {"1.1.1": "A", "1.1.2": "A", "1.2.1": "A", "2.1.1": "B"})
    press(clerk, "[data-testid=grade-form] button[name=step][value=submit]")
    assert stage(clerk) == "submitted"

    # 2. The county reviewer returns it with a comment.
    county = login(None, "reviewer_a")
    county.goto(url)
    county.fill("[data-testid=return-form] textarea[name=comment]", "1.2.1 佐证材料不足，请补充")
    press(county, "[data-testid=return-form] button[type=submit]")
    assert stage(county) == "returned"

    # 3. The institution corrects its grade and submits again.
    clerk.goto(url)
    assert "佐证材料不足" in clerk.content()
    grade_all(clerk, {"1.2.1": "C"})
    press(clerk, "[data-testid=grade-form] button[name=step][value=submit]")
    assert stage(clerk) == "submitted"

    # 4. The county grades 1.2.1 below standard and passes (a recommended verdict → re-check).
    county.goto(url)
    grade_all(
        county,
        {"1.1.1": "A", "1.1.2": "B", "1.2.1": "D", "2.1.1": "B"},
        {"1.2.1": "仅有2名全科医生"},
    )
    press(county, "[data-testid=grade-form] button[name=step][value=pass]")
    assert stage(county) == "recheck_pending"
    entry = LedgerEntry.objects.get(submission_id=cycle.pk)
    assert (entry.item_code, entry.source, entry.status) == ("1.2.1", "review", "open")

    # 5. The city re-checks: it agrees on 1.2.1 and completes the re-check.
    city = login(None, "reviewer_city")
    city.goto(url)
    grade_all(city, {"1.1.1": "A", "1.1.2": "B", "1.2.1": "D", "2.1.1": "B"})
    press(city, "[data-testid=grade-form] button[name=step][value=complete]")
    assert stage(city) == "rechecked"
    assert LedgerEntry.objects.filter(submission_id=cycle.pk).count() == 1

    # 6. The county publishes the list.
    county.goto(f"/evaluation/publication/?region={personas.tree.A.code}&year={cycle.cycle.year}")
    press(county, "[data-testid=publish-form] button[type=submit]")
    press(county, "[data-testid=publish-confirm] button[type=submit]")
    assert "甲一镇卫生院" in county.locator("[data-testid=publication-list]").inner_text()

    # 7. The clerk finds the entry on the ledger and reports it fixed.
    clerk.goto("/rectification/")
    row = clerk.locator(f"tr[data-entry='{entry.pk}']")
    assert "全科医生不少于3名" in row.inner_text()
    with clerk.expect_navigation():
        row.locator("a").first.click()
    assert "仅有2名全科医生" in clerk.locator("[data-testid=description]").inner_text()
    form = "[data-testid=report-form]"
    clerk.fill(f"{form} textarea[name=measures]", "已招聘1名全科医生，并与县医院签订帮扶协议")
    clerk.fill(f"{form} input[name=responsible]", "李院长")
    clerk.set_input_files(
        f"{form} input[name=evidence]",
        files=[
            {
                "name": "setup.exe",
                "mimeType": "application/octet-stream",
                "buffer": b"MZ" + b"\0" * 64,
            }
        ],
    )
    press(clerk, f"{form} button[type=submit]")
    assert "不接受此类文件" in clerk.locator("[data-testid=errors]").inner_text()
    entry.refresh_from_db()
    assert entry.status == "open"
    clerk.fill(f"{form} textarea[name=measures]", "已招聘1名全科医生，并与县医院签订帮扶协议")
    clerk.fill(f"{form} input[name=responsible]", "李院长")
    clerk.set_input_files(
        f"{form} input[name=evidence]",
        files=[{"name": "聘用合同.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    press(clerk, f"{form} button[type=submit]")
    assert clerk.locator("h1 [data-status]").get_attribute("data-status") == "reported_fixed"
    screenshot(clerk, "ledger-entry-reported")

    # 8. The county reviewer verifies and closes it (销号).
    county.goto("/")
    assert county.locator("[data-panel=rectification-verify]").count() == 1
    county.goto(f"/rectification/{entry.pk}/")
    assert "聘用合同.pdf" in county.content()
    county.fill("[data-testid=verify-form] textarea[name=note]", "现场核实，整改到位")
    press(county, "[data-testid=verify-form] button[type=submit]")
    assert county.locator("h1 [data-status]").get_attribute("data-status") == "closed"
    assert "已销号" in county.locator("h1").inner_text()
    kinds = county.locator("[data-testid=history] tr[data-event]").evaluate_all(
        "rows => rows.map(r => r.dataset.event)"
    )
    assert kinds == ["opened", "reported_fixed", "closed"]
    screenshot(county, "ledger-entry-closed")
    entry.refresh_from_db()
    assert entry.status == "closed" and entry.verified_by.username == "reviewer_a"
