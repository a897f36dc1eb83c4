"""The ledger commands: ``jiceng rectification export`` and ``jiceng rectification overdue``."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from jiceng.rectification.actions import do_open_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(personas):
    t = personas.tree
    found = dt.date(2025, 1, 10)
    for who, inst, deadline, text in [
        (personas.county_reviewer, t.TA1, dt.date(2025, 2, 1), "甲县逾期"),
        (personas.county_reviewer, t.CA1, dt.date(2025, 9, 1), "甲县未到期"),
        (personas.county_reviewer_b, t.TB1, dt.date(2025, 3, 1), "乙县逾期"),
    ]:
        do_open_entry(
            who, inst, description=text, deadline=deadline, responsible="张", opened_on=found
        )


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_export_writes_the_filtered_ledger(book, tmp_path, personas):
    path = tmp_path / "台账.xlsx"
    out = run("rectification_export", str(path), "--region", personas.tree.A.code)
    assert "2" in out and "台账.xlsx" in out
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert {r[6] for r in rows[1:]} == {"甲县逾期", "甲县未到期"}


def test_export_as_a_user_is_limited_to_their_area(book, tmp_path, personas):
    path = tmp_path / "b.xlsx"
    run("rectification_export", str(path), "--user", personas.county_reviewer_b.username)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert [r[6] for r in rows[1:]] == ["乙县逾期"]
    with pytest.raises(CommandError) as err:
        run(
            "rectification_export",
            str(path),
            "--user",
            personas.county_reviewer_b.username,
            "--region",
            personas.tree.A.code,
        )
    assert "未知地区" in str(err.value)


def test_overdue_lists_counts_per_county_and_each_overdue_entry(book, personas):
    out = run("rectification_overdue", "--today", "2025-04-01")
    assert "甲县：2 项未整改，1 项逾期，0 项已销号" in out
    assert "乙县：1 项未整改，1 项逾期" in out
    assert "甲县逾期" in out and "乙县逾期" in out and "甲县未到期" not in out
    assert "逾期 59 天" in out
    assert "共 2 项逾期" in out


def test_a_bad_date_is_a_chinese_error_naming_the_option(book):
    with pytest.raises(CommandError) as err:
        run("rectification_overdue", "--today", "2025-13-01")
    assert "--today" in str(err.value) and "日期" in str(err.value)
