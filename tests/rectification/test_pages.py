"""The ledger pages through the Django test client: flow, bad input, scope matrix."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from jiceng.rectification.actions import FindingInput, do_open_entry, do_record_visit
from jiceng.rectification.models import LedgerEntry, Status, SupervisionVisit

from .conftest import EXE, PDF, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(personas, today):
    """One open entry at TA1 (county A), one at TB1 (county B), one overdue at VA1."""
    t = personas.tree
    a = do_open_entry(
        personas.county_reviewer,
        t.TA1,
        description="院感登记不全",
        responsible="王医生",
        deadline=today + dt.timedelta(days=5),
    )
    b = do_open_entry(
        personas.county_reviewer_b,
        t.TB1,
        description="乙县的问题",
        responsible="赵医生",
        deadline=today + dt.timedelta(days=5),
    )
    late = do_open_entry(
        personas.county_reviewer,
        t.VA1,
        description="过期药品未清理",
        responsible="村医",
        deadline=today - dt.timedelta(days=3),
        opened_on=today - dt.timedelta(days=20),
    )
    return {"a": a, "b": b, "late": late}


def test_the_ledger_lists_what_the_user_sees_and_flags_overdue_entries(
    personas, entries, client_for
):
    c = client_for(personas.county_reviewer)
    html = c.get(reverse("rectification:ledger")).content.decode()
    assert "院感登记不全" in html and "过期药品未清理" in html
    assert "乙县的问题" not in html
    assert f'data-entry="{entries["late"].pk}" class="overdue"' in html
    assert f'data-entry="{entries["a"].pk}" class="overdue"' not in html
    assert "逾期 3 天" in html
    assert "整改台账" in html


def test_the_ledger_filters_by_region_status_source_and_due_date(personas, entries, client_for):
    c = client_for(personas.city_reviewer)
    url = reverse("rectification:ledger")
    t = personas.tree

    def shown(**params):
        html = c.get(url, params).content.decode()
        return {k for k, e in entries.items() if f'data-entry="{e.pk}"' in html}

    assert shown() == {"a", "b", "late"}
    assert shown(region=t.B.code) == {"b"}
    assert shown(region=t.TA1.code) == {"a", "late"}
    assert shown(overdue="on") == {"late"}
    assert shown(status="closed") == set()
    assert shown(source="other") == {"a", "b", "late"}
    assert shown(source="review") == set()
    today = entries["a"].deadline - dt.timedelta(days=5)
    assert shown(due_to=today.isoformat()) == {"late"}
    assert shown(due_from=today.isoformat()) == {"a", "b"}


def test_a_reversed_due_range_is_refused_with_a_message(personas, entries, client_for):
    c = client_for(personas.city_reviewer)
    r = c.get(reverse("rectification:ledger"), {"due_from": "2025-05-01", "due_to": "2025-04-01"})
    assert r.status_code == 400
    assert "早于" in r.content.decode()


def test_the_export_opens_in_excel_with_chinese_headers_and_only_the_filtered_rows(
    personas, entries, client_for, today
):
    c = client_for(personas.county_reviewer)
    r = c.get(reverse("rectification:export"), {"region": personas.tree.A.code})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("编号", "县区", "机构", "机构代码")
    assert "整改期限" in header and "是否逾期" in header and "整改措施" in header
    body = {row[2]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(body) == {"甲一镇卫生院", "东村卫生室"}
    late = body["东村卫生室"]
    assert late["是否逾期"] == "是" and late["逾期天数"] == 3
    assert late["县区"] == "甲县"
    assert late["状态"] == "未整改"
    assert late["整改期限"].date() == today - dt.timedelta(days=3)
    assert body["甲一镇卫生院"]["是否逾期"] == "否"
    overdue_row = [i for i, row in enumerate(rows) if row[2] == "东村卫生室"][0] + 1
    assert ws.cell(row=overdue_row, column=1).fill.fgColor.rgb.endswith("FDE2E1")


def test_the_whole_ledger_flow_through_the_pages(personas, entries, client_for):
    e = entries["a"]
    c = client_for(personas.clerk)
    r = c.post(
        reverse("rectification:report_fixed", args=[e.pk]),
        {"measures": "已补登记", "responsible": "王医生", "evidence": [upload("照片.pdf", PDF)]},
    )
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.status == Status.REPORTED_FIXED
    ev = e.evidence.get()
    r = c.get(reverse("rectification:evidence", args=[ev.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert "attachment" in r["Content-Disposition"]
    c = client_for(personas.county_reviewer)
    page = c.get(reverse("rectification:entry", args=[e.pk])).content.decode()
    assert 'data-testid="verify-form"' in page and 'data-testid="report-form"' not in page
    r = c.post(reverse("rectification:verify_close", args=[e.pk]), {"note": "核实"})
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.status == Status.CLOSED
    page = c.get(reverse("rectification:entry", args=[e.pk])).content.decode()
    assert "已销号" in page
    assert page.count("data-event=") == 3


def test_bad_evidence_on_the_page_shows_a_chinese_message_and_changes_nothing(
    personas, entries, client_for
):
    e = entries["a"]
    c = client_for(personas.clerk)
    r = c.post(
        reverse("rectification:report_fixed", args=[e.pk]),
        {"measures": "已整改", "responsible": "王医生", "evidence": [upload("virus.exe", EXE)]},
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "virus.exe" in html and "不接受" in html
    e.refresh_from_db()
    assert e.status == Status.OPEN and e.measures == ""


def test_sending_back_without_a_reason_is_refused(personas, entries, client_for):
    e = entries["a"]
    client_for(personas.clerk).post(
        reverse("rectification:report_fixed", args=[e.pk]),
        {"measures": "m", "responsible": "r", "evidence": [upload("a.pdf", PDF)]},
    )
    c = client_for(personas.county_reviewer)
    r = c.post(reverse("rectification:send_back", args=[e.pk]), {"reason": ""})
    assert r.status_code == 400
    e.refresh_from_db()
    assert e.status == Status.REPORTED_FIXED


def test_a_visit_with_several_findings_is_recorded_through_the_form(personas, client_for, today):
    t = personas.tree
    c = client_for(personas.county_reviewer)
    assert c.get(reverse("rectification:visit_new")).status_code == 200
    data = {
        "node": t.A.code,
        "visited_on": today.isoformat(),
        "kind": "supervision",
        "team": "县卫健委督导组",
        "notes": "",
        "f-TOTAL_FORMS": "3",
        "f-INITIAL_FORMS": "0",
        "f-MIN_NUM_FORMS": "0",
        "f-MAX_NUM_FORMS": "50",
        "f-0-institution": t.TA1.code,
        "f-0-description": "健康档案更新不及时",
        "f-0-deadline": (today + dt.timedelta(days=30)).isoformat(),
        "f-1-institution": t.CA1.code,
        "f-1-description": "家庭医生签约履约不到位",
        "f-1-responsible": "刘主任",
        "f-1-deadline": (today + dt.timedelta(days=15)).isoformat(),
    }
    r = c.post(reverse("rectification:visit_new"), data)
    assert r.status_code == 302
    visit = SupervisionVisit.objects.get()
    assert sorted(visit.entries.values_list("institution__code", flat=True)) == sorted(
        [t.TA1.code, t.CA1.code]
    )
    html = c.get(r["Location"]).content.decode()
    assert "健康档案更新不及时" in html


def test_a_visit_with_a_bad_finding_row_saves_nothing_and_names_the_row(
    personas, client_for, today
):
    t = personas.tree
    c = client_for(personas.county_reviewer)
    data = {
        "node": t.A.code,
        "visited_on": today.isoformat(),
        "kind": "supervision",
        "team": "督导组",
        "f-TOTAL_FORMS": "2",
        "f-INITIAL_FORMS": "0",
        "f-0-institution": t.TA1.code,
        "f-0-description": "问题一",
        "f-0-deadline": today.isoformat(),
        "f-1-institution": t.TA1.code,
        "f-1-description": "",
        "f-1-deadline": "",
    }
    r = c.post(reverse("rectification:visit_new"), data)
    assert r.status_code == 400
    assert "第2行" in r.content.decode()
    assert not SupervisionVisit.objects.exists() and not LedgerEntry.objects.exists()


# --- the scope matrix: role × own/other county × action ----------------------------------

READERS = [
    # persona, sees entry of county A, sees entry of county B
    ("clerk", True, False),
    ("village_clerk", False, False),
    ("county_reviewer", True, False),
    ("county_reviewer_b", False, True),
    ("city_reviewer", True, True),
    ("province_reviewer", True, True),
    ("analyst", True, False),
    ("county_admin", True, False),
    ("province_admin", True, True),
]


@pytest.mark.parametrize("who,sees_a,sees_b", READERS)
def test_entry_pages_are_404_outside_the_users_subtree(
    who, sees_a, sees_b, personas, entries, client_for
):
    c = client_for(getattr(personas, who))
    for key, sees in (("a", sees_a), ("b", sees_b)):
        r = c.get(reverse("rectification:entry", args=[entries[key].pk]))
        assert r.status_code == (200 if sees else 404), key
    html = c.get(reverse("rectification:ledger")).content.decode()
    assert (f'data-entry="{entries["a"].pk}"' in html) == sees_a
    assert (f'data-entry="{entries["b"].pk}"' in html) == sees_b
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(c.get(reverse("rectification:export")).content)
        ).active.iter_rows(values_only=True)
    )
    names = {r[2] for r in rows[1:]}
    assert ("甲一镇卫生院" in names) == sees_a
    assert ("乙一镇卫生院" in names) == sees_b


# Expected status of each action on county A's entry (TA1): 302 done, 403, 404.
ACTIONS = {
    #                    report  close  send-back  extend  visit-form
    "clerk": (302, 403, 403, 403, 403),
    "village_clerk": (404, 404, 404, 403, 403),  # sees the VA1 entry it may not re-date
    "county_reviewer": (403, 302, 302, 302, 200),
    "county_reviewer_b": (404, 404, 404, 404, 200),
    "city_reviewer": (403, 302, 302, 302, 200),
    "province_reviewer": (403, 302, 302, 302, 200),
    "analyst": (403, 403, 403, 403, 403),
    "county_admin": (403, 403, 403, 403, 403),
    "province_admin": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("who", list(ACTIONS))
def test_each_action_is_allowed_forbidden_or_hidden_by_role_and_place(
    who, personas, entries, client_for, today
):
    from jiceng.rectification.actions import do_report_fixed

    report, close, send_back, extend, visit_form = ACTIONS[who]
    e = entries["a"]
    c = client_for(getattr(personas, who))
    r = c.post(
        reverse("rectification:report_fixed", args=[e.pk]),
        {"measures": "m", "responsible": "r", "evidence": [upload("a.pdf", PDF)]},
    )
    assert r.status_code == report, "report"
    e.refresh_from_db()
    if e.status == Status.OPEN:
        do_report_fixed(personas.clerk, e, measures="m", files=[upload("a.pdf", PDF)])
    r = c.post(reverse("rectification:send_back", args=[e.pk]), {"reason": "不够"})
    assert r.status_code == send_back, "send back"
    e.refresh_from_db()
    if e.status == Status.OPEN:
        do_report_fixed(personas.clerk, e, measures="m2", files=[])
    r = c.post(reverse("rectification:verify_close", args=[e.pk]), {"note": ""})
    assert r.status_code == close, "close"
    late = entries["late"]
    r = c.post(
        reverse("rectification:extend_deadline", args=[late.pk]),
        {"deadline": (today + dt.timedelta(days=9)).isoformat(), "reason": "采购中"},
    )
    assert r.status_code == extend, "extend"
    assert c.get(reverse("rectification:visit_new")).status_code == visit_form
    assert c.get(reverse("rectification:entry_new")).status_code == visit_form


def test_a_visit_to_another_county_is_not_found(personas, client_for, today):
    t = personas.tree
    v = do_record_visit(
        personas.county_reviewer,
        t.A,
        visited_on=today,
        team="督导组",
        findings=[FindingInput(t.TA1, "问题", today)],
    )
    assert (
        client_for(personas.county_reviewer_b)
        .get(reverse("rectification:visit", args=[v.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(personas.city_reviewer)
        .get(reverse("rectification:visit", args=[v.pk]))
        .status_code
        == 200
    )
    html = client_for(personas.county_reviewer_b).get(reverse("rectification:visits")).content
    assert f'data-visit="{v.pk}"'.encode() not in html


def test_anonymous_users_are_sent_to_the_login_page(client, entries):
    r = client.get(reverse("rectification:entry", args=[entries["a"].pk]))
    assert r.status_code == 302 and "login" in r["Location"]


def test_home_panels_show_open_items_items_to_verify_and_the_overdue_count(
    personas, entries, client_for
):
    from jiceng.rectification.actions import do_report_fixed

    do_report_fixed(personas.clerk, entries["a"], measures="m", files=[upload("a.pdf", PDF)])
    html = client_for(personas.clerk).get("/").content.decode()
    assert 'data-panel="rectification-open"' in html and "本机构整改事项" in html
    assert f'data-entry="{entries["late"].pk}"' in html and "逾期 3 天" in html
    html = client_for(personas.county_reviewer).get("/").content.decode()
    assert 'data-panel="rectification-verify"' in html
    assert f'data-entry="{entries["a"].pk}"' in html
    html = client_for(personas.county_reviewer_b).get("/").content.decode()
    assert 'data-panel="rectification-verify"' not in html
    html = client_for(personas.county_admin).get("/").content.decode()
    assert 'data-panel="rectification-overview"' in html
    assert 'data-testid="overdue-total">1<' in html
    assert "整改台账" in html


def test_the_summary_page_counts_by_county_and_source(personas, entries, client_for):
    html = client_for(personas.city_reviewer).get(reverse("rectification:summary")).content.decode()
    assert "整改统计" in html
    a = html.split(f'data-county="{personas.tree.A.code}"')[1].split("</tr>")[0]
    assert [x.split("<")[0] for x in a.split('class="num">')[1:3]] == ["2", "2"]
    assert 'data-source="other"' in html
    html = (
        client_for(personas.county_reviewer).get(reverse("rectification:summary")).content.decode()
    )
    assert f'data-county="{personas.tree.B.code}"' not in html


def test_the_visit_form_offers_more_rows_but_never_more_than_fifty(personas, client_for):
    c = client_for(personas.county_reviewer)
    html = c.get(reverse("rectification:visit_new") + "?rows=10").content.decode()
    assert html.count("<fieldset data-finding=") == 10
    assert "?rows=15" in html
    html = c.get(reverse("rectification:visit_new") + "?rows=999").content.decode()
    assert html.count("<fieldset data-finding=") == 50


def test_a_clerk_sees_the_county_visit_that_found_their_problem_but_not_the_others(
    personas, client_for, today
):
    t = personas.tree
    v = do_record_visit(
        personas.county_reviewer,
        t.A,
        visited_on=today,
        team="督导组",
        findings=[
            FindingInput(t.TA1, "甲一的问题", today),
            FindingInput(t.CA1, "城关的问题", today),
        ],
    )
    c = client_for(personas.clerk)
    html = c.get(reverse("rectification:visit", args=[v.pk])).content.decode()
    assert "甲一的问题" in html and "城关的问题" not in html
    assert f'data-visit="{v.pk}"' in c.get(reverse("rectification:visits")).content.decode()
    assert (
        client_for(personas.village_clerk)
        .get(reverse("rectification:visit", args=[v.pk]))
        .status_code
        == 404
    )


def test_the_clerk_removes_a_wrong_file_from_an_entry_sent_back(personas, entries, client_for):
    from jiceng.rectification.actions import do_report_fixed, do_send_back

    e = entries["a"]
    do_report_fixed(personas.clerk, e, measures="m", files=[upload("错的.pdf", PDF)])
    do_send_back(personas.county_reviewer, e, reason="文件不对")
    ev = e.evidence.get()
    url = reverse("rectification:evidence_delete", args=[ev.pk])
    assert client_for(personas.county_reviewer).post(url).status_code == 403
    c = client_for(personas.clerk)
    assert (
        'data-testid="delete-evidence"'
        in c.get(reverse("rectification:entry", args=[e.pk])).content.decode()
    )
    r = c.post(url, follow=True)
    assert "文件 错的.pdf 已删除" in r.content.decode()
    assert not e.evidence.exists()


def test_the_profile_card_shows_a_units_open_items(personas, entries):
    from django.template import Context, Template

    html = Template("{% load ledger_tags %}{% rectification_card node %}").render(
        Context({"node": personas.tree.TA1})
    )
    assert 'data-testid="rectification-card"' in html
    assert "院感登记不全" in html and "过期药品未清理" in html and "东村卫生室" in html
    assert "乙县的问题" not in html
    assert "逾期 3 天" in html
