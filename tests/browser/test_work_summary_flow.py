"""The work summary in a real browser: a county administrator asks for it, the page follows
the worker's progress on its own and then offers the Word document; a template with an
unknown field is refused with its name."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_ask_follow_the_progress_download_and_upload_a_wrong_template(personas, login, tmp_path):
    from docx import Document

    from jiceng.reports import tasks
    from jiceng.reports.models import GeneratedReport

    page = login(None, "admin_a")
    page.goto("/reports/")
    page.select_option("select[name='region']", personas.tree.A.code)
    page.fill("input[name='year']", "2025")
    page.get_by_test_id("report-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("report")).to_have_attribute("data-status", "queued")
    expect(page.locator("[role=progressbar]")).to_be_visible()

    report = GeneratedReport.objects.get()
    tasks.run_generate(report.pk, pdf=False)  # the worker's part; the page polls and reloads
    expect(page.get_by_test_id("report")).to_have_attribute("data-status", "done")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Word").click()
    path = tmp_path / "summary.docx"
    download.value.save_as(path)
    assert "甲县2025年优质服务基层行工作总结" in Document(str(path)).paragraphs[0].text

    doc = Document()
    doc.add_paragraph("{{ region_name }}{{ 分管领导 }}")
    data = io.BytesIO()
    doc.save(data)
    page.goto("/reports/templates/")
    page.set_input_files(
        "input[name='file']",
        {
            "name": "本县模板.docx",
            "mimeType": "application/octet-stream",
            "buffer": data.getvalue(),
        },
    )
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.get_by_test_id("template-problems")).to_contain_text("未知的字段名：分管领导")
