"""Importing the phone-survey file: all or nothing, problems by file, row and column, and no
telephone number or name kept in clear."""

import datetime as dt
import json

import duckdb
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from jiceng.analytics.recordset import hmac_sql
from jiceng.core import xlsx
from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.surveys.actions import (
    _answers_json,
    counted_tallies,
    do_enter_response,
    do_import_responses,
)
from jiceng.surveys.models import Response, SurveyImport, Tally
from jiceng.surveys.questionnaire import _BAD_CODE_CHARS
from jiceng.surveys.responses import keyed_hash

from .helpers import HEADER, csv_of, load_small


def test_a_county_imports_a_file_and_keeps_only_keyed_hashes(personas):
    t = personas.tree
    q = load_small(t.P)
    data = (
        HEADER
        + f"{t.TA1.code},2026-01-05,138 0000 1111,张三,1,2,\n"
        + f"{t.TA2.code},2026-03-31,+86 139-0000-2222,,3,,排队太久\n"
    ).encode()
    batch = do_import_responses(personas.county_admin, q, "2026Q1", data, "q1.csv")
    assert batch.responses == 2
    key = settings.JICENG_PII_KEY.encode()
    first = Response.objects.get(institution=t.TA1)
    assert first.respondent == keyed_hash("13800001111", key)
    assert first.name_hash == keyed_hash("张三", key)
    assert (first.quarter, first.satisfied, first.answers) == (
        "2026Q1",
        True,
        {"Q1": "1", "Q2": "2"},
    )
    second = Response.objects.get(institution=t.TA2)
    assert (second.satisfied, second.answers, second.comment) == (False, {"Q1": "3"}, "排队太久")
    stored = " ".join(str(v) for row in Response.objects.values_list() for v in row)
    assert "13800001111" not in stored and "张三" not in stored and "2222" not in stored
    event = AuditEvent.objects.get(action="surveys.import_responses")
    assert event.node_path == t.A.path and event.after["responses"] == 2


def test_the_keyed_hash_is_the_one_the_record_sets_use_for_id_numbers():
    key = b"a secret key"
    sql = hmac_sql("'13800001111'", key)
    assert duckdb.sql(f"SELECT {sql}").fetchall()[0][0] == keyed_hash("13800001111", key)


def test_the_tallies_written_at_import_equal_a_count_of_the_stored_responses(personas):
    t = personas.tree
    q = load_small(t.P)
    rows = [
        (t.TA1.code, "2026-01-05", "13900000001", "1", "1"),
        (t.TA1.code, "2026-02-05", "13900000002", "3", "2"),
        (t.VA1.code, "2026-04-05", "13900000003", "2", ""),
    ]
    do_import_responses(personas.county_admin, q, "2026", csv_of(rows), "a.csv")
    do_import_responses(
        personas.county_admin,
        q,
        "2026",
        csv_of([(t.TA1.code, "2026-01-09", "13900000004", "1", "1")]),
        "b.csv",
    )
    stored = {
        (x.institution_id, x.quarter, x.question): (x.answered, x.satisfied)
        for x in Tally.objects.filter(questionnaire=q)
    }
    assert stored == counted_tallies(q)
    # TA1 2026Q1 overall: answers 1, 3, 1 -> 3 answered, 2 satisfied
    assert stored[(t.TA1.pk, "2026Q1", "")] == (3, 2)


def _problems(caught) -> list[tuple]:
    return [(p.file, p.row, p.column, p.message) for p in caught.value.problems]


def test_bad_rows_are_all_named_by_row_and_column_and_nothing_is_saved(personas):
    t = personas.tree
    q = load_small(t.P)
    data = (
        HEADER
        + f"{t.TA1.code},2026-01-05,13800001111,,1,1,\n"  # row 2: good
        + "999999,2026-01-05,13800001112,,1,1,\n"  # row 3: no such institution
        + f"{t.TB1.code},2026-01-05,13800001113,,1,1,\n"  # row 4: another county's
        + f"{t.TA1.code},2026-04-01,13800001114,,1,1,\n"  # row 5: outside 2026Q1
        + f"{t.TA1.code},2026-01-06,13800001115,,6,1,\n"  # row 6: no option 6
        + f"{t.TA1.code},2026/02/30,12,,1,1,\n"  # row 7: no such day, not a phone number
        + f"{t.TA1.code},2026-01-05,138-0000-1111,,2,1,\n"  # row 8: row 2 again
    ).encode()
    with pytest.raises(ValidationFailed) as caught:
        do_import_responses(personas.county_admin, q, "2026Q1", data, "q1.csv")
    assert _problems(caught) == [
        (
            "q1.csv",
            3,
            "机构编码",
            "机构编码「999999」不是您可以导入的机构（不存在或不在您的辖区内）",
        ),
        (
            "q1.csv",
            4,
            "机构编码",
            f"机构编码「{t.TB1.code}」不是您可以导入的机构（不存在或不在您的辖区内）",
        ),
        ("q1.csv", 5, "调查日期", "调查日期 2026-04-01 不在统计期 2026-01-01 至 2026-03-31 内"),
        (
            "q1.csv",
            6,
            "Q1",
            "答案「6」不是题目 Q1 的选项：应为 1（满意）、2（基本满意）、3（不满意） 之一，或留空",
        ),
        ("q1.csv", 7, "调查日期", "调查日期「2026/02/30」无效：应写作 2026-03-15"),
        ("q1.csv", 7, "电话号码", "电话号码为空或不是电话号码（应为 7 至 12 位数字）"),
        ("q1.csv", 8, "电话号码", "与第 2 行重复（同一机构、同一天、同一电话号码）"),
    ]
    assert caught.value.summary == "共 7 个问题，未导入任何记录。"
    assert not Response.objects.exists() and not SurveyImport.objects.exists()
    assert not Tally.objects.exists()
    assert not AuditEvent.objects.filter(action="surveys.import_responses").exists()


def test_a_header_without_the_telephone_column_or_with_an_unknown_column_is_refused(personas):
    t = personas.tree
    q = load_small(t.P)
    data = f"机构编码,调查日期,Q1,Q8\n{t.TA1.code},2026-01-05,1,1\n".encode()
    with pytest.raises(ValidationFailed) as caught:
        do_import_responses(personas.county_admin, q, "2026Q1", data, "q1.csv")
    assert [(p.row, p.message) for p in caught.value.problems] == [
        (1, "列「Q8」既不是固定列，也不是本问卷的题目编码"),
        (1, "缺少「电话号码」列"),
    ]


def test_importing_the_same_file_twice_is_refused_the_second_time(personas):
    t = personas.tree
    q = load_small(t.P)
    data = csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1")])
    do_import_responses(personas.county_admin, q, "2026Q1", data, "q1.csv")
    with pytest.raises(ValidationFailed) as caught:
        do_import_responses(personas.county_admin, q, "2026Q1", data, "q1.csv")
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "电话号码")]
    assert Response.objects.count() == 1 and Tally.objects.get(question="").answered == 1


def test_an_excel_file_with_date_cells_and_option_texts_is_read(personas):
    t = personas.tree
    q = load_small(t.P)
    wb = Workbook()
    ws = wb.active
    ws.append(["机构编码", "调查日期", "电话号码", "姓名", "Q1 总体满意吗？", "Q2", "Q9"])
    ws.append([t.TA1.code, dt.datetime(2026, 2, 1), 13800001111, None, "基本满意", "不满意", None])
    do_import_responses(personas.county_admin, q, "2026Q1", xlsx.to_bytes(wb), "q1.xlsx")
    r = Response.objects.get()
    assert (r.date, r.answers, r.satisfied) == (dt.date(2026, 2, 1), {"Q1": "2", "Q2": "2"}, True)


def test_a_gbk_file_is_read_and_phone_and_id_numbers_in_comments_are_masked(personas):
    t = personas.tree
    q = load_small(t.P)
    comment = "请回电13912345678，我的身份证330101199001011234"
    data = csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1", comment)]).decode()
    do_import_responses(personas.county_admin, q, "2026Q1", data.encode("gb18030"), "q1.csv")
    assert Response.objects.get().comment == "请回电***********，我的身份证******************"


def test_institution_staff_and_reviewers_may_not_import(personas):
    t = personas.tree
    q = load_small(t.P)
    data = csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1")])
    for user in (personas.clerk, personas.county_reviewer, personas.analyst):
        with pytest.raises(PermissionDenied):
            do_import_responses(user, q, "2026Q1", data, "q1.csv")
    assert not Response.objects.exists()


def test_a_period_that_is_not_a_quarter_or_a_year_is_refused(personas):
    t = personas.tree
    q = load_small(t.P)
    data = csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1")])
    with pytest.raises(UserError) as caught:
        do_import_responses(personas.county_admin, q, "2026-01", data, "q1.csv")
    assert str(caught.value) == "统计期「2026-01」应为季度（2026Q1）或年份（2026）"


def test_one_response_entered_on_the_page_is_checked_like_a_row_and_audited(personas):
    t = personas.tree
    q = load_small(t.P)
    fields = {"org_code": t.TA1.code, "date": "2026-01-05", "phone": "13800001111", "Q1": "1"}
    batch = do_enter_response(personas.county_admin, q, fields)
    assert (batch.period, batch.responses) == ("2026Q1", 1)
    assert AuditEvent.objects.filter(action="surveys.enter_response").count() == 1
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        do_enter_response(personas.county_admin, q, {**fields, "date": tomorrow.isoformat()})
    assert caught.value.problems[0].column == "调查日期"
    assert Response.objects.count() == 1


def test_a_system_import_is_audited_on_the_questionnaires_region(personas):
    t = personas.tree
    q = load_small(t.A)
    data = csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1")])
    do_import_responses(None, q, "2026Q1", data, "q1.csv")
    event = AuditEvent.objects.get(action="surveys.import_responses")
    assert (event.actor_name, event.node_path) == ("system", t.A.path)


# What a questionnaire accepts as a code (``questionnaire._Checker.code``).
codes = st.text(min_size=1, max_size=8).filter(
    lambda c: all(x not in _BAD_CODE_CHARS and x.isprintable() and not x.isspace() for x in c)
)


@given(
    st.dictionaries(
        codes,
        codes,
        max_size=6,
    )
)
def test_the_answers_are_stored_as_the_json_of_what_was_answered(answers):
    assert json.loads(_answers_json(answers)) == answers
