"""The appraisal workflow in a real browser: the county administrator enters manual items
(with a scanned check sheet as evidence), reviews and publishes; the clerk of TA1 appeals and
downloads the evidence; the administrator answers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_enter_manual_items_review_publish_appeal_and_answer(personas, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from jiceng.appraisal import actions
    from jiceng.appraisal.models import Appeal

    from .helpers import load_scheme

    t = personas.tree
    version = load_scheme(t.P)
    appraisal = actions.do_open_appraisal(None, version, t.A, 2025)
    admin = login(None, "admin_a")
    admin.goto(f"/appraisal/{appraisal.pk}/unit/{t.TA1.code}/")
    admin.get_by_test_id("enter-manual").click()
    admin.fill("input[name='v-A']", "12")  # above the item's 10 points: refused
    admin.fill("input[name='r-A']", "制度齐全")
    admin.fill("input[name='e-A']", "现场核查记录 1 号")
    admin.get_by_test_id("save-manual").click()
    expect(admin.get_by_test_id("manual-problems")).to_contain_text("0 到 10")
    admin.fill("input[name='v-A']", "8")
    admin.fill("input[name='e-A']", "")  # the scanned sheet is the evidence now
    admin.set_input_files(
        "input[name='f-A']",
        files=[{"name": "现场核查表.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    admin.get_by_test_id("save-manual").click()
    # (8 + 10 + 10) / 30 = 93.33: manual 8, no overdue entries, no bad practice, D exempt
    expect(admin.get_by_test_id("score")).to_have_text("93.33")
    expect(admin.get_by_test_id("evidence-files")).to_contain_text("现场核查表.pdf")
    admin.goto(f"/appraisal/{appraisal.pk}/")
    admin.get_by_test_id("review").click()
    expect(admin.get_by_test_id("status")).to_have_text("已审核")
    admin.get_by_test_id("publish").click()
    expect(admin.get_by_test_id("status")).to_have_text("已公示")

    clerk = login(None, "clerk_ta1")
    clerk.goto(f"/appraisal/{appraisal.pk}/unit/{t.TA1.code}/")
    with clerk.expect_download() as download:
        clerk.get_by_test_id("evidence-files").get_by_text("现场核查表.pdf").click()
    assert download.value.suggested_filename == "现场核查表.pdf"
    clerk.select_option("#appeal-item", "A")
    clerk.fill("#appeal-text", "制度文件已于 12 月补齐，请复核")
    clerk.get_by_test_id("file-appeal").click()
    expect(clerk.get_by_test_id("unit-appeals")).to_contain_text("待答复")

    admin.goto(f"/appraisal/{appraisal.pk}/unit/{t.TA1.code}/")
    admin.fill("textarea[name='answer']", "补齐时间晚于考核期，维持原评分")
    admin.get_by_test_id("answer-appeal").click()
    expect(admin.get_by_test_id("appeal-answer")).to_contain_text("申诉不成立")
    clerk.reload()
    expect(clerk.get_by_test_id("appeal-answer")).to_contain_text("维持原评分")
    assert Appeal.objects.get().outcome == "rejected"
