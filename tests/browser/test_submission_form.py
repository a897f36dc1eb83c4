"""The grading form in a real browser: grades survive an evidence upload (and are saved as
they are chosen), the page comes back at the item, it warns before leaving unsaved changes,
and it is usable on a 390 px phone."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.browser

CATALOG = """
code: form
version: "1"
title: 表单测试标准
institution_kinds: [township_hc, community_hc, village_clinic, community_station]
scale:
  - {grade: A, label: 优秀, meets: true}
  - {grade: B, label: 良好, meets: true}
  - {grade: C, label: 合格, meets: true}
  - {grade: D, label: 不合格, meets: false}
chapters:
  - code: "1"
    title: 功能任务与资源配置
    sections:
      - code: "1.1"
        title: 功能任务
        items:
          - {code: "1.1.1", tier: basic, text: 功能定位明确, evidence: 机构职能文件}
          - {code: "1.1.2", tier: basic, text: 承担公共卫生管理}
          - {code: "1.2.1", tier: basic, text: 全科医生不少于3名，且均在岗在编并按规定注册}
  - code: "2"
    title: 基本医疗和公共卫生服务
    sections:
      - code: "2.1"
        title: 医疗服务
        items:
          - {code: "2.1.1", tier: recommended, text: 开展远程会诊}
          - {code: "2.1.2", tier: recommended, text: 设置康复科}
"""
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = "[data-testid=grade-form]"


@pytest.fixture
def sub(personas, settings, tmp_path):
    """TA1's draft self-assessment in County A's cycle (deadline in a month)."""
    from jiceng.assessments import actions
    from jiceng.assessments.models import Submission
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    settings.MEDIA_ROOT = tmp_path
    do_load_catalog(None, parse_catalog(CATALOG, "form.yaml"), CATALOG, "form.yaml")
    today = dt.date.today()
    cyc = actions.do_open_cycle(
        None, personas.tree.A, today.year, self_deadline=today + dt.timedelta(days=30)
    )
    return Submission.objects.get(cycle=cyc, institution=personas.tree.TA1)


def grade(page, code: str) -> str:
    return page.locator(f"{FORM} select[name='g-{code}']").input_value()


def test_grades_chosen_then_evidence_uploaded_are_still_there_and_the_page_is_at_the_item(
    sub, login, screenshot
):
    from jiceng.assessments.models import Evidence

    page = login(None, "clerk_ta1")
    page.goto(f"/evaluation/s/{sub.pk}/")
    chosen = {"1.1.1": "A", "1.1.2": "C", "2.1.1": "B"}
    for code, value in chosen.items():
        page.select_option(f"{FORM} select[name='g-{code}']", value)
    page.fill(f"{FORM} textarea[name='r-1.1.2']", "制度已上墙")
    row = page.locator("[id='item-1.2.1']")
    row.locator("details.upload summary").click()
    row.locator("input[type=file]").set_input_files(
        files=[{"name": "执业证书.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    with page.expect_navigation():
        row.locator("button[name=item_code]").click()
    page.wait_for_load_state("load")
    screenshot(page, "submission-after-upload")

    assert {code: grade(page, code) for code in chosen} == chosen
    assert page.locator(f"{FORM} textarea[name='r-1.1.2']").input_value() == "制度已上墙"
    assert page.url.endswith("#item-1.2.1")
    notice = page.locator("[id='item-1.2.1'] [data-testid=item-notice]")
    assert "已上传" in notice.inner_text()
    box = notice.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height
    assert "执业证书.pdf" in page.locator("[id='item-1.2.1']").inner_text()
    assert Evidence.objects.get().item_code == "1.2.1"


def test_a_grade_is_saved_as_soon_as_it_is_chosen_and_the_chapter_counts_it(sub, login):
    from jiceng.assessments.models import Submission

    page = login(None, "clerk_ta1")
    page.goto(f"/evaluation/s/{sub.pk}/")
    progress = page.locator("#chapter-1 [data-testid=chapter-progress]")
    assert "已评 0/3" in progress.inner_text()
    page.select_option(f"{FORM} select[name='g-1.1.2']", "B")
    page.locator("[id='item-1.1.2'] .save-state.saved").wait_for()
    assert "已评 1/3" in progress.inner_text()
    assert Submission.objects.get(pk=sub.pk).grades_at("self") == {"1.1.2": "B"}
    page.reload()
    assert grade(page, "1.1.2") == "B"
    # A second change after the first save carries the new version: no conflict.
    page.select_option(f"{FORM} select[name='g-1.1.2']", "C")
    page.locator("[id='item-1.1.2'] .save-state.saved").wait_for()
    page.select_option(f"{FORM} select[name='g-2.1.1']", "A")
    page.locator("[id='item-2.1.1'] .save-state.saved").wait_for()
    assert Submission.objects.get(pk=sub.pk).grades_at("self") == {"1.1.2": "C", "2.1.1": "A"}


def test_leaving_the_page_with_a_grade_not_saved_asks_first(sub, login):
    from django.db.models import F

    from jiceng.assessments.models import Submission

    page = login(None, "clerk_ta1")
    page.goto(f"/evaluation/s/{sub.pk}/")
    # Someone else saves meanwhile: this page's save is refused, so its change stays unsaved.
    Submission.objects.filter(pk=sub.pk).update(version=F("version") + 1)
    page.click(f"{FORM} textarea[name='r-1.1.1']")
    page.keyboard.type("待补充")
    page.locator("[id='item-1.1.1'] .save-state.error").wait_for()
    assert "他人保存" in page.locator("[id='item-1.1.1'] .save-state").inner_text()
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.locator("a.brand").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/evaluation/s/{sub.pk}/")


def test_the_form_fits_a_390_pixel_phone_with_the_grade_control_on_screen(
    sub, new_page, login, screenshot
):
    page = login(new_page(viewport={"width": 390, "height": 844}), "clerk_ta1")
    page.goto(f"/evaluation/s/{sub.pk}/")
    screenshot(page, "submission-phone")
    for code in ["1.1.1", "1.2.1", "2.1.2"]:
        control = page.locator(f"{FORM} select[name='g-{code}']")
        # Scroll the page down to the control, never sideways: on a phone the user scrolls
        # the page, and a control reached only by scrolling a wide table is off-screen.
        control.evaluate(
            "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 200)"
        )
        box = control.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (code, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (code, box)
        upload = page.locator(f"[id='item-{code}'] details.upload summary")
        ubox = upload.bounding_box()
        assert ubox is not None and ubox["x"] + ubox["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.select_option(f"{FORM} select[name='g-2.1.2']", "A")
    page.locator("[id='item-2.1.2'] .save-state.saved").wait_for()


def test_a_reviewer_adopts_the_self_grades_of_a_chapter_then_changes_one(sub, login):
    from jiceng.assessments import actions
    from jiceng.assessments.models import Submission

    s = actions.do_save_grades(
        None,
        sub,
        "self",
        {"1.1.1": "A", "1.1.2": "B", "1.2.1": "C", "2.1.1": "A", "2.1.2": "A"},
        version=sub.version,
    )
    actions.do_submit(None, s, version=s.version)
    page = login(None, "reviewer_a")
    page.goto(f"/evaluation/s/{sub.pk}/")
    page.select_option(f"{FORM} select[name='g-1.1.1']", "D")
    with page.expect_navigation():
        page.click("#chapter-1 .adopt-chapter button")
    assert page.url.endswith("#chapter-1")
    assert [grade(page, c) for c in ["1.1.1", "1.1.2", "1.2.1", "2.1.1"]] == ["D", "B", "C", ""]
    page.select_option(f"{FORM} select[name='g-1.2.1']", "D")
    page.locator("[id='item-1.2.1'] .save-state.saved").wait_for()
    county = Submission.objects.get(pk=sub.pk).grades_at("county")
    assert county == {"1.1.1": "D", "1.1.2": "B", "1.2.1": "D"}
