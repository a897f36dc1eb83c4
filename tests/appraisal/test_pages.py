"""The pages: loading a scheme (every problem, nothing saved), the ranking (sortable,
paginated, exports), a unit's score sheet, manual entry, review, publish, appeals, funds,
bad-practice points and the integrity rating on the unit page; and scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.appraisal import actions
from jiceng.appraisal.models import Appeal, BadPractice, ManualValue, SchemeVersion
from jiceng.core.models import AuditEvent

from .helpers import SCHEME, load_scheme, worked_appraisal


def test_an_administrator_loads_a_scheme_and_sees_every_problem_of_a_bad_one(personas, client_for):
    client = client_for(personas.province_admin)
    bad = SCHEME.replace("points: 10, source: manual", "points: -1, source: manual").replace(
        "ledger_overdue", "ledger_unknown"
    )
    response = client.post(
        reverse("appraisal:load"), {"file": SimpleUploadedFile("bad.yaml", bad.encode())}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "ledger_unknown" in text and "未加载任何内容" in text
    assert text.count("<tr>") >= 3  # the header and at least the two problems
    assert not SchemeVersion.objects.exists()
    response = client.post(
        reverse("appraisal:load"), {"file": SimpleUploadedFile("t.yaml", SCHEME.encode())}
    )
    version = SchemeVersion.objects.get()
    assert response.status_code == 302 and version.owner == personas.tree.P
    page = client.get(reverse("appraisal:scheme", args=[version.pk])).content.decode()
    assert "现场核查" in page and "线性" in page
    assert AuditEvent.objects.filter(action="appraisal.load_scheme").count() == 1


def test_a_scheme_loaded_from_excel_is_stored_as_yaml_and_reads_the_same(personas, client_for):
    from jiceng.appraisal import engine
    from jiceng.appraisal_core.excel import write_scheme_excel

    scheme, _text, _name = engine.read_scheme(SCHEME.encode(), "t.yaml")
    data = write_scheme_excel(scheme)
    client = client_for(personas.province_admin)
    response = client.post(reverse("appraisal:load"), {"file": SimpleUploadedFile("t.xlsx", data)})
    assert response.status_code == 302
    version = SchemeVersion.objects.get()
    assert version.source_name == "t.yaml"
    assert engine.scheme_of(version).items == scheme.items


def test_staff_cannot_load_a_scheme(personas, client_for):
    assert client_for(personas.clerk).get(reverse("appraisal:load")).status_code == 403


def test_the_ranking_shows_scores_ranks_grades_and_amounts_and_sorts(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    page = client.get(reverse("appraisal:ranking", args=[appraisal.pk])).content.decode()
    assert page.index("甲一镇卫生院") < page.index("甲二镇卫生院") < page.index("甲县城关")
    assert "93.33" in page and "3691.15" in page and "合格" in page
    assert "优秀 2 家、合格 1 家、不合格 0 家" in page  # the grade counts of the worked example
    by_name = client.get(
        reverse("appraisal:ranking", args=[appraisal.pk]) + "?sort=-score"
    ).content.decode()
    assert by_name.index("甲县城关") < by_name.index("甲一镇卫生院")


def test_the_ranking_comes_a_page_at_a_time(personas, client_for, settings):
    from unittest import mock

    from jiceng.core import paging

    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    with mock.patch.object(paging, "PAGE_SIZE", 2):
        page = client.get(
            reverse("appraisal:ranking", args=[appraisal.pk]) + "?sort=rank"
        ).content.decode()
    assert "甲县城关" not in page and 'rel="next"' in page and "sort=rank" in page


def test_the_ranking_exports_to_excel_and_word(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    response = client.get(reverse("appraisal:ranking_xlsx", args=[appraisal.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:7] == (
        1,
        personas.tree.TA1.code,
        "甲一镇卫生院",
        "甲县",
        93.33,
        "优秀",
        3691.15,
    )
    response = client.get(reverse("appraisal:ranking_docx", args=[appraisal.pk]))
    from docx import Document

    doc = Document(io.BytesIO(response.content))
    cells = [c.text for c in doc.tables[0].rows[1].cells]
    assert cells == ["1", "甲一镇卫生院", "甲县", "93.33", "优秀", "3691.15"]
    # a draft's export is audited as a download of unpublished results
    assert AuditEvent.objects.filter(action="download.appraisal_export").count() == 2


def test_the_funds_page_shows_the_arithmetic_and_the_export_adds_up_to_the_pool(
    personas, client_for
):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    page = client.get(reverse("appraisal:funds", args=[appraisal.pk])).content.decode()
    # TA1's exact share: 10000 × 196000 / 531000 = 3691.14877… (3691.1488 to 4 places)
    assert "531000" in page and "196000" in page and "3691.1488" in page and "10000.00" in page
    response = client.get(reverse("appraisal:funds_xlsx", args=[appraisal.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][-1] == 10000.0


def test_a_unit_sheet_lists_every_item_with_value_rule_points_and_flags(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    page = client.get(
        reverse("appraisal:sheet", args=[appraisal.pk, personas.tree.CA1.code])
    ).content.decode()
    assert (
        "66.67" in page
        and "无数据" in page
        and "不参与计分" in page
        and "扣分：每 1 扣 2 分" in page
    )


def test_manual_entry_rejects_a_score_above_the_points_and_saves_nothing(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    url = reverse("appraisal:manual", args=[appraisal.pk, personas.tree.CA1.code])
    response = client.post(url, {"v-A": "11", "r-A": "", "e-A": "x"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "现场核查" in text and "0 到 10" in text and "未保存任何数据" in text
    assert not ManualValue.objects.filter(unit=personas.tree.CA1).exists()
    response = client.post(url, {"v-A": "9.5", "r-A": "整改到位", "e-A": "核查表"})
    assert response.status_code == 302
    assert ManualValue.objects.get(unit=personas.tree.CA1).value == 9.5


def test_the_workflow_review_publish_appeal_and_answer(personas, client_for, client):
    t = personas.tree
    appraisal = worked_appraisal(personas)
    admin = client_for(personas.county_admin)
    assert admin.post(reverse("appraisal:review", args=[appraisal.pk])).status_code == 302
    assert (
        admin.post(
            reverse("appraisal:publish", args=[appraisal.pk]), {"appeal_days": "10"}
        ).status_code
        == 302
    )
    appraisal.refresh_from_db()
    assert appraisal.status == "published" and appraisal.frozen
    # manual values are closed once published
    response = admin.post(
        reverse("appraisal:manual", args=[appraisal.pk, t.CA1.code]),
        {"v-A": "5", "r-A": "x", "e-A": "y"},
    )
    assert response.status_code == 400 and "草稿" in response.content.decode()
    clerk = client_for(personas.clerk)
    sheet = clerk.get(reverse("appraisal:sheet", args=[appraisal.pk, t.TA1.code])).content.decode()
    assert 'data-testid="appeal-form"' in sheet
    assert "待答复的考核申诉" not in client_for(personas.county_admin).get("/").content.decode()
    clerk = client_for(personas.clerk)
    clerk.post(
        reverse("appraisal:appeal", args=[appraisal.pk, t.TA1.code]),
        {"item": "A", "text": "已提供制度文件"},
    )
    appeal = Appeal.objects.get()
    assert (appeal.unit, appeal.item) == (t.TA1, "A")
    # the clerk cannot answer; the county administrator can
    assert (
        clerk.post(
            reverse("appraisal:answer", args=[appeal.pk]), {"outcome": "upheld", "answer": "x"}
        ).status_code
        == 403
    )
    admin = client_for(personas.county_admin)
    assert "待答复的考核申诉" in admin.get("/").content.decode()  # the home panel
    admin.post(
        reverse("appraisal:answer", args=[appeal.pk]),
        {"outcome": "rejected", "answer": "文件日期晚于考核期"},
    )
    appeal.refresh_from_db()
    assert appeal.outcome == "rejected" and appeal.answered_by == personas.county_admin
    codes = set(
        AuditEvent.objects.filter(action__startswith="appraisal.").values_list("action", flat=True)
    )
    assert {
        "appraisal.review",
        "appraisal.publish",
        "appraisal.file_appeal",
        "appraisal.answer_appeal",
    } <= codes


def test_an_appeal_after_the_window_is_refused(personas):
    from datetime import timedelta

    from django.utils import timezone

    appraisal = worked_appraisal(personas)
    actions.do_review(personas.county_admin, appraisal)
    appraisal = actions.do_publish(personas.county_admin, appraisal, appeal_days=0)
    appraisal.appeal_until = timezone.localdate() - timedelta(days=1)
    appraisal.save()
    with pytest.raises(actions.UserError, match="申诉期已结束"):
        actions.do_file_appeal(personas.clerk, appraisal, personas.tree.TA1, "", "理由")
    assert not Appeal.objects.exists()


def test_a_county_cannot_see_another_countys_appraisal(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_reviewer_b)
    for name, args in [
        ("ranking", [appraisal.pk]),
        ("ranking_xlsx", [appraisal.pk]),
        ("funds", [appraisal.pk]),
        ("sheet", [appraisal.pk, personas.tree.TA1.code]),
    ]:
        assert client.get(reverse(f"appraisal:{name}", args=args)).status_code == 404, name
    assert "甲一镇" not in client.get(reverse("appraisal:index")).content.decode()
    # nor act on it: manual entry, review, an appeal's answer
    manual = reverse("appraisal:manual", args=[appraisal.pk, personas.tree.TA1.code])
    assert client.post(manual, {"v-A": "1", "r-A": "x", "e-A": "y"}).status_code == 404
    assert client.post(reverse("appraisal:review", args=[appraisal.pk])).status_code == 404
    actions.do_review(personas.county_admin, appraisal)
    appraisal = actions.do_publish(personas.county_admin, appraisal)
    appeal = actions.do_file_appeal(personas.clerk, appraisal, personas.tree.TA1, "", "理由")
    answer = reverse("appraisal:answer", args=[appeal.pk])
    assert client.post(answer, {"outcome": "upheld", "answer": "x"}).status_code == 404
    appeal.refresh_from_db()
    assert appeal.outcome == "" and ManualValue.objects.filter(value=1).count() == 0


def test_an_institution_sees_only_its_own_row_and_sheet(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.clerk)
    page = client.get(reverse("appraisal:ranking", args=[appraisal.pk])).content.decode()
    assert "甲一镇卫生院" in page and "甲二镇卫生院" not in page
    assert (
        client.get(
            reverse("appraisal:sheet", args=[appraisal.pk, personas.tree.TA2.code])
        ).status_code
        == 404
    )
    assert client.post(reverse("appraisal:review", args=[appraisal.pk])).status_code == 403


def test_bad_practice_points_are_recorded_with_every_problem_at_once(personas, client_for):
    client = client_for(personas.county_reviewer)
    url = reverse("appraisal:bad_practice")
    response = client.post(
        url,
        {
            "institution": personas.tree.TA1.code,
            "date": "2099-01-01",
            "rule": "x",
            "points": "-2",
            "evidence": "y",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "晚于今天" in text and "正数" in text and not BadPractice.objects.exists()
    response = client.post(
        url,
        {
            "institution": personas.tree.TA1.code,
            "date": "2025-03-01",
            "rule": "未按规定公示",
            "points": "2",
            "evidence": "检查记录",
        },
    )
    assert response.status_code == 302
    assert BadPractice.objects.get().points == 2
    # out of sight: county B's reviewer records nothing against A's institution
    other = client_for(personas.county_reviewer_b)
    response = other.post(
        url,
        {
            "institution": personas.tree.TA1.code,
            "date": "2025-03-01",
            "rule": "r",
            "points": "1",
            "evidence": "e",
        },
    )
    assert response.status_code == 404 and BadPractice.objects.count() == 1


def test_the_unit_page_shows_the_integrity_rating_and_the_years_points(personas, client_for):
    from pathlib import Path

    import jiceng.appraisal_core

    text = (Path(jiceng.appraisal_core.__file__).parent / "schemes" / "integrity.yaml").read_text(
        encoding="utf-8"
    )
    version = load_scheme(personas.tree.P, text, "integrity.yaml")
    a = actions.do_open_appraisal(personas.county_admin, version, personas.tree.A, 2025)
    actions.do_review(personas.county_admin, a)
    actions.do_publish(personas.county_admin, a)
    client = client_for(personas.county_admin)
    page = client.get(reverse("orgs:node", args=[personas.tree.TA1.code])).content.decode()
    assert 'data-testid="integrity-grade"' in page and "诚信等级" in page


def test_the_api_gives_what_the_ranking_shows_and_hides_other_counties(personas, client_for):
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    listed = client.get("/api/v1/appraisal/appraisals").json()
    assert [a["id"] for a in listed["items"]] == [appraisal.pk]
    rows = client.get(f"/api/v1/appraisal/appraisals/{appraisal.pk}/results").json()["items"]
    assert [(r["name"], r["score"], r["rank"], r["amount"]) for r in rows] == [
        ("甲一镇卫生院", "93.33", 1, "3691.15"),
        ("甲二镇卫生院", "90.00", 2, "2542.37"),
        ("甲县城关社区卫生服务中心", "66.67", 3, "3766.48"),
    ]
    assert rows[2]["items"]["A"] == {"value": "", "points": "0", "flags": ["无数据"], "files": []}
    other = client_for(personas.county_reviewer_b)
    assert other.get(f"/api/v1/appraisal/appraisals/{appraisal.pk}/results").status_code == 404
    assert other.get("/api/v1/appraisal/appraisals").json()["items"] == []


def test_a_cached_draft_ranking_shows_a_new_manual_value_at_once(personas, client_for, settings):
    from django.core.cache import cache

    settings.JICENG_PAGE_CACHE_SECONDS = 600
    cache.clear()
    appraisal = worked_appraisal(personas)
    client = client_for(personas.county_admin)
    url = reverse("appraisal:ranking", args=[appraisal.pk])
    assert "66.67" in client.get(url).content.decode()  # CA1: (0 + 10 + 10) / 30
    actions.do_enter_manual(
        personas.county_admin, appraisal, personas.tree.CA1, {"A": ("4", "复核", "记录")}
    )
    assert "80.00" in client.get(url).content.decode()  # (4 + 10 + 10) / 30
    cache.clear()


def test_an_appraiser_opens_an_appraisal_from_the_index_and_an_administrator_deactivates_a_scheme(
    personas, client_for
):
    version = load_scheme(personas.tree.P)
    admin = client_for(personas.county_admin)
    index = admin.get(reverse("appraisal:index")).content.decode()
    assert "开展考核" in index and "测试考核" in index
    response = admin.post(
        reverse("appraisal:open"),
        {"scheme": version.pk, "region": personas.tree.A.code, "year": "2025"},
    )
    assert (
        response.status_code == 302 and AuditEvent.objects.filter(action="appraisal.open").exists()
    )
    # a county administrator may not deactivate the province's scheme; the province may
    url = reverse("appraisal:scheme_active", args=[version.pk])
    assert admin.post(url, {"active": "0"}).status_code == 403
    client_for(personas.province_admin).post(url, {"active": "0"})
    version.refresh_from_db()
    assert not version.active
    # opening for another county is out of the county administrator's sight
    response = client_for(personas.county_admin).post(
        reverse("appraisal:open"),
        {"scheme": version.pk, "region": personas.tree.B.code, "year": "2025"},
    )
    assert response.status_code == 404


def test_a_unit_sheet_shows_its_published_results_across_the_years(personas, client_for):
    t = personas.tree
    first = worked_appraisal(personas)
    actions.do_review(personas.county_admin, first)
    actions.do_publish(personas.county_admin, first)
    version = first.scheme
    second = actions.do_open_appraisal(personas.county_admin, version, t.A, 2026)
    # 2026: no manual value and no points of the year: TA1 (0 + 10 + 10) / 30 = 66.67
    actions.do_review(personas.county_admin, second)
    actions.do_publish(personas.county_admin, second)
    page = client_for(personas.clerk).get(reverse("appraisal:sheet", args=[second.pk, t.TA1.code]))
    history = page.content.decode().split('data-testid="history"')[1]
    assert history.index("2026") < history.index("66.67") < history.index("2025")
    assert history.index("2025") < history.index("93.33")
