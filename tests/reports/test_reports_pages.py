"""Requesting, following and downloading summaries; templates; scope; the command; the schedule."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from docx import Document

from jiceng.core.models import AuditEvent
from jiceng.reports import document, tasks
from jiceng.reports.models import GeneratedReport, ReportTemplate

pytestmark = pytest.mark.django_db


def _template(*texts: str) -> bytes:
    doc = Document()
    for t in texts:
        doc.add_paragraph(t)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _upload(client, region, data, name="模板.docx"):
    return client.post(
        "/reports/templates/",
        {"region": region.code, "file": SimpleUploadedFile(name, data), "note": "省格式"},
    )


def test_a_template_with_unknown_fields_is_refused_naming_them_and_nothing_is_saved(
    personas, client_for
):
    client = client_for(personas.county_admin)
    data = _template("{{ region_name }}{{ 县长姓名 }}", "{{ budget_total }}")
    r = _upload(client, personas.tree.A, data)
    assert r.status_code == 422
    page = r.content.decode()
    assert "模板.docx" in page and "未知的字段名：budget_total、县长姓名" in page
    assert not ReportTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="reports.upload_template").exists()


def test_a_template_that_is_not_a_word_document_or_breaks_the_syntax_is_refused(personas):
    from jiceng.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="不是 Word 文档"):
        document.check_template(b"not a zip", "x.docx")
    with pytest.raises(ValidationFailed, match="无法识别"):
        document.check_template(_template("{{ region_name "), "y.docx")


def test_uploaded_templates_are_versioned_per_region_audited_and_used(personas, client_for):
    client = client_for(personas.county_admin)
    ok = _template("{{ title }}", "我县自定格式：{{ problems_text }}")
    assert _upload(client, personas.tree.A, ok).status_code == 302
    assert _upload(client, personas.tree.A, ok).status_code == 302
    versions = list(ReportTemplate.objects.values_list("region__code", "version"))
    assert sorted(versions) == [(personas.tree.A.code, 1), (personas.tree.A.code, 2)]
    assert AuditEvent.objects.filter(action="reports.upload_template").count() == 2
    from jiceng.reports.actions import template_for

    assert template_for(personas.tree.TA1.parent).version == 2
    assert template_for(personas.tree.B) is None  # another county: the default template


def test_only_administrators_upload_templates(personas, client_for):
    client = client_for(personas.analyst)
    page = client.get("/reports/templates/").content.decode()
    assert 'enctype="multipart/form-data"' not in page
    r = _upload(client, personas.tree.A, _template("{{ title }}"))
    assert r.status_code == 403


def test_a_summary_requested_on_the_page_is_written_and_downloaded_with_an_audit_row(
    county, client_for
):
    client = client_for(county.p.county_admin)
    r = client.post("/reports/new/", {"region": county.t.A.code, "year": "2025", "quarter": ""})
    report = GeneratedReport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/reports/{report.pk}/"
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert 'role="progressbar"' in page and 'data-status="queued"' in page
    tasks.run_generate(report.pk, pdf=False)  # what the worker does
    report.refresh_from_db()
    assert report.status == "done" and report.progress == 100
    r = client.get(f"/reports/{report.pk}/summary.docx")
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    assert "甲县2025年优质服务基层行工作总结" in doc.paragraphs[0].text
    assert AuditEvent.objects.filter(action="download.report").count() == 1
    listing = client.get("/reports/").content.decode()
    assert f"/reports/{report.pk}/summary.docx" in listing


def test_reports_and_regions_outside_the_users_part_of_the_tree_are_not_found(county, client_for):
    report = GeneratedReport.objects.create(region=county.t.B, kind="summary", year=2025)
    client = client_for(county.p.county_admin)  # sits at county A
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.get(f"/reports/{report.pk}/summary.docx").status_code == 404
    assert client.get(f"/reports/?region={county.t.B.code}").status_code == 404
    r = client.post("/reports/new/", {"region": county.t.B.code, "year": "2025"})
    assert r.status_code == 400  # not among the regions offered
    assert GeneratedReport.objects.count() == 1
    assert f"/reports/{report.pk}/" not in client.get("/reports/").content.decode()


@pytest.mark.slow  # renders two charts (about 2 s)
def test_the_command_writes_the_word_document(county, tmp_path):
    out = tmp_path / "总结.docx"
    call_command("report_summary", region=county.t.A.code, year=2025, out=str(out), no_pdf=True)
    doc = Document(str(out))
    assert any("三、存在问题" in p.text for p in doc.paragraphs)
    assert GeneratedReport.objects.get().status == "done"


@pytest.mark.slow  # four reports (about 4 s)
def test_the_quarterly_run_writes_one_progress_report_per_region_and_not_twice(county):
    today = dt.date(2025, 4, 3)  # 2025Q1 ended
    assert tasks.last_ended_quarter(today) == (2025, 1)
    assert tasks.last_ended_quarter(dt.date(2025, 2, 1)) == (2024, 4)
    written = tasks.write_progress_reports(today, pdf=False)
    # province, city, counties A and B
    assert len(written) == 4
    assert {r.quarter for r in GeneratedReport.objects.all()} == {1}
    assert all(r.status == "done" for r in GeneratedReport.objects.all())
    assert tasks.write_progress_reports(today, pdf=False) == []


def test_the_next_quarterly_run_is_the_first_day_of_the_next_quarter():
    from django.utils import timezone

    now = timezone.make_aware(dt.datetime(2025, 11, 20, 9, 0))
    assert timezone.localtime(tasks.next_run(now)).date() == dt.date(2026, 1, 1)
    now = timezone.make_aware(dt.datetime(2025, 3, 31, 23, 0))
    assert timezone.localtime(tasks.next_run(now)).date() == dt.date(2025, 4, 1)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_pdf_shows_the_chinese_text_with_embedded_cjk_fonts(county, tmp_path):
    from jiceng.reports import figures

    fields, _figs = figures.build(county.t.A, 2025)
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(document.to_pdf(document.render(document.default_template(), fields)))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())  # pdftotext spaces CJK from digits and breaks lines
    assert "甲县2025年优质服务基层行工作总结" in flat and "四、下一步打算" in flat
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    cjk = [line for line in fonts if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # the "emb" column


def test_the_api_lists_the_reports_the_page_lists_and_hides_the_others(county, client_for):
    mine = GeneratedReport.objects.create(region=county.t.A, kind="summary", year=2025)
    other = GeneratedReport.objects.create(region=county.t.B, kind="summary", year=2025)
    client = client_for(county.p.county_admin)
    body = client.get("/api/v1/reports").json()
    assert [r["id"] for r in body["items"]] == [mine.pk]
    assert body["items"][0]["status"] == "queued" and body["items"][0]["docx_url"] is None
    assert client.get(f"/api/v1/reports/{other.pk}").status_code == 404
    assert client.get(f"/api/v1/reports/{mine.pk}").json()["region_code"] == county.t.A.code


def test_a_report_whose_worker_stopped_beating_is_shown_failed(county, client_for, settings):
    from django.utils import timezone

    settings.JICENG_JOB_LEASE_SECONDS = 60
    report = GeneratedReport.objects.create(
        region=county.t.A,
        kind="summary",
        year=2025,
        status="running",
        heartbeat_at=timezone.now() - dt.timedelta(seconds=61),  # one second past the lease
    )
    alive = GeneratedReport.objects.create(
        region=county.t.A, kind="summary", year=2025, status="running", heartbeat_at=timezone.now()
    )
    client = client_for(county.p.county_admin)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert 'data-status="failed"' in page and "后台任务中断" in page
    from jiceng.core.jobs import sweep

    GeneratedReport.objects.filter(pk=report.pk).update(status="running")
    assert sweep() == 1  # what a starting worker and `jiceng jobs sweep` do
    report.refresh_from_db()
    assert report.status == "failed"
    assert 'data-status="running"' in client.get(f"/reports/{alive.pk}/").content.decode()


def test_the_command_names_a_wrong_output_file_or_region_in_chinese_and_writes_nothing(
    personas, tmp_path
):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--out 须为 .docx 文件：总结.pdf"):
        call_command("report_summary", region=personas.tree.A.code, year=2025, out="总结.pdf")
    with pytest.raises(CommandError, match="999999"):
        call_command("report_summary", region="999999", year=2025, out=str(tmp_path / "a.docx"))
    with pytest.raises(CommandError, match="不存在"):
        call_command(
            "report_summary", region=personas.tree.A.code, year=2025, out="/nonexistent/a.docx"
        )
    assert not GeneratedReport.objects.exists() and not list(tmp_path.iterdir())


def test_a_template_reaching_for_python_internals_is_refused_and_rendering_is_sandboxed():
    from jinja2.exceptions import SecurityError

    from jiceng.core.errors import ValidationFailed

    sneaky = _template("{{ title.__class__.__mro__ }}")
    with pytest.raises(ValidationFailed, match="隐藏属性（__class__、__mro__）"):
        document.check_template(sneaky, "x.docx")
    fields = {"title": "甲县", "year": 2025, "previous_year": 2024, "period_label": "2025"}
    with pytest.raises(SecurityError):  # even a template stored by other means
        document.render(sneaky, fields)


def test_the_demo_stage_gives_the_county_a_template_and_queues_last_years_summary(personas):
    import random

    from jiceng.demo import reports as stage
    from jiceng.demo.region import Region

    t = personas.tree
    region = Region(
        seed=1,
        scale="county",
        province=t.P,
        city=t.C,
        county=t.A,
        users={"admin": personas.county_admin},
        today=dt.date(2026, 12, 2),
    )
    stage.populate(region, random.Random(1))
    assert list(ReportTemplate.objects.values_list("region", "version")) == [(t.A.pk, 1)]
    report = GeneratedReport.objects.get()
    assert (report.region_id, report.year, report.status) == (t.A.pk, 2025, "queued")
    assert report.task_id  # waiting for the worker


def test_a_starting_worker_queues_the_quarterly_run_once(db):
    from django_tasks_db.models import DBTaskResult

    assert tasks.ensure_scheduled() is True
    assert tasks.ensure_scheduled() is False  # one run already waits
    from django.utils import timezone

    waiting = DBTaskResult.objects.get(task_path=tasks.quarterly_task.module_path)
    local = timezone.localtime(waiting.run_after)  # 02:00 on the first day of a quarter
    assert (local.day, local.hour, local.month in (1, 4, 7, 10)) == (1, 2, True)
