"""The survey pages: rates with changes, comments, Excel export, loading, importing and
entering, each within the user's part of the tree (404 outside it)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.core.models import AuditEvent
from jiceng.surveys.actions import do_import_responses
from jiceng.surveys.models import Questionnaire, Response

from .helpers import HEADER, SMALL, csv_of, load_small, respondents


def _surveyed(personas):
    t = personas.tree
    q = load_small(t.P)
    do_import_responses(
        None, q, "2025Q4", csv_of(respondents(t.TA1.code, "2025-11-10", 37, 3)), "a.csv"
    )
    rows = respondents(t.TA1.code, "2026-02-10", 28, 2) + respondents(
        t.TA2.code, "2026-02-10", 9, 1, 50
    )
    rows[0] = (*rows[0], "候诊区需要更多座位")
    do_import_responses(None, q, "2026Q1", csv_of(rows), "b.csv")
    return q


def test_the_rates_page_shows_the_rate_and_its_change_in_points(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    page = client_for(personas.county_admin).get(
        reverse("surveys:rates", args=[t.A.code]) + "?kind=outpatient&period=2026Q1"
    )
    text = page.content.decode()
    # county A 2026Q1: (28 + 9) / (30 + 10) = 37/40 = 92.5%; 2025Q4: 37/40 = 92.5% -> 持平
    assert "2026Q1 满意度 92.5%（受访 40 人）" in text
    assert "较2025Q4持平" in text
    # TA1: 28/30 = 93.3% against 92.5% -> 提升0.8个百分点
    assert "提升0.8个百分点" in text and "甲一镇卫生院" in text


def test_a_unit_out_of_sight_is_not_found(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    client = client_for(personas.county_admin)
    for name in ("surveys:rates", "surveys:comments", "surveys:rates_export"):
        assert client.get(reverse(name, args=[t.TB1.code])).status_code == 404
    b = load_small(t.B, text=SMALL.replace("code: small", "code: b-only"))
    assert client.get(reverse("surveys:questionnaire", args=[b.pk])).status_code == 404
    assert client.get(reverse("surveys:template", args=[b.pk])).status_code == 404


def test_comments_are_listed_for_the_region(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    page = client_for(personas.county_reviewer).get(
        reverse("surveys:comments", args=[t.A.code]) + "?period=2026Q1"
    )
    assert "候诊区需要更多座位" in page.content.decode()


def test_the_excel_export_holds_the_rates_and_the_changes(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    response = client_for(personas.city_reviewer).get(
        reverse("surveys:rates_export", args=[t.A.code]) + "?period=2026Q1"
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert rows[0][:7] == ["甲县", t.A.code, 40, 37, 92.5, 92.5, 0.0]
    assert rows[1][:7] == ["甲一镇卫生院", t.TA1.code, 30, 28, 93.3, 92.5, 0.8]
    said = [
        [c.value for c in row]
        for row in load_workbook(io.BytesIO(response.content))["意见和建议"].iter_rows()
    ]
    assert said[1] == ["2026-02-10", "甲一镇卫生院", t.TA1.code, "候诊区需要更多座位"]
    event = AuditEvent.objects.get(action="download.survey_export")
    assert (event.node_path, event.after) == (t.A.path, {"kind": "outpatient", "period": "2026Q1"})


def test_loading_a_bad_questionnaire_lists_its_problems_and_a_good_one_loads(personas, client_for):
    client = client_for(personas.province_admin)
    bad = SimpleUploadedFile("q.yaml", SMALL.replace("kind: 门诊", "kind: 急诊").encode())
    page = client.post(reverse("surveys:load"), {"file": bad, "owner": ""})
    assert page.status_code == 422 and "未知的问卷类别「急诊」" in page.content.decode()
    assert not Questionnaire.objects.exists()
    good = SimpleUploadedFile("q.yaml", SMALL.encode())
    page = client.post(reverse("surveys:load"), {"file": good, "owner": ""})
    assert page.status_code == 302 and Questionnaire.objects.get().owner == personas.tree.P


def test_importing_on_the_page_names_bad_rows_and_saves_nothing(personas, client_for):
    t = personas.tree
    q = load_small(t.P)
    client = client_for(personas.county_admin)
    data = (
        HEADER
        + f"{t.TA1.code},2026-01-05,13800001111,,1,1,\n{t.TA1.code},2026-01-06,13800001112,,9,1,\n"
    ).encode()
    page = client.post(
        reverse("surveys:import"),
        {"questionnaire": q.pk, "period": "2026Q1", "file": SimpleUploadedFile("a.csv", data)},
    )
    text = page.content.decode()
    assert page.status_code == 422 and "答案「9」不是题目 Q1 的选项" in text
    assert not Response.objects.exists()
    good = data.replace(b",9,1,", b",2,1,")
    page = client.post(
        reverse("surveys:import"),
        {"questionnaire": q.pk, "period": "2026Q1", "file": SimpleUploadedFile("a.csv", good)},
    )
    assert page.status_code == 302 and Response.objects.count() == 2


def test_an_entered_response_never_comes_back_with_its_telephone_number(personas, client_for):
    t = personas.tree
    q = load_small(t.P)
    client = client_for(personas.county_admin)
    url = reverse("surveys:enter", args=[q.pk])
    fields = {"org_code": t.TA1.code, "date": "2026-01-05", "phone": "13812345678", "name": "李四"}
    page = client.post(url, {**fields, "Q1": "7"})
    assert page.status_code == 422
    assert "13812345678" not in page.content.decode() and "李四" not in page.content.decode()
    assert client.post(url, {**fields, "Q1": "1", "Q9": "很好"}).status_code == 302
    assert Response.objects.get().comment == "很好"


def test_the_import_template_has_the_columns_the_import_reads(personas, client_for):
    q = load_small(personas.tree.P)
    response = client_for(personas.clerk).get(reverse("surveys:template", args=[q.pk]))
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    assert header == [
        "机构编码",
        "调查日期",
        "电话号码",
        "姓名",
        "Q1 总体满意吗？",
        "Q2 等候时间满意吗？",
        "Q9 意见和建议",
    ]


def test_only_administrators_open_the_import_and_load_pages(personas, client_for):
    q = load_small(personas.tree.P)
    for user in (personas.clerk, personas.county_reviewer):
        client = client_for(user)
        assert client.get(reverse("surveys:import")).status_code == 403
        assert client.get(reverse("surveys:load")).status_code == 403
        assert client.get(reverse("surveys:enter", args=[q.pk])).status_code == 403


def test_the_rates_page_costs_the_same_queries_however_many_units_it_lists(personas, client_for):
    _surveyed(personas)
    t = personas.tree
    client = client_for(personas.province_admin)
    client.get("/")
    counts = []
    for node in (t.B, t.A):  # one child, three children
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("surveys:rates", args=[node.code])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
