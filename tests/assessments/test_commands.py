"""The ``jiceng evaluation …`` commands: publish, import from Excel, verdict."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from jiceng.assessments import actions as A
from jiceng.assessments.models import Submission
from jiceng.standards.actions import spec_of
from jiceng.standards.excel import write_grades_template

from .conftest import all_grades, fresh

pytestmark = pytest.mark.django_db


def filled_workbook(catalog, grades: dict[str, str], tmp_path, name="grades.xlsx"):
    wb = load_workbook(io.BytesIO(write_grades_template(spec_of(catalog))))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    code_col, grade_col = header.index("条款编号"), header.index("等级")
    for row in ws.iter_rows(min_row=2):
        code = row[code_col].value
        if code in grades:
            row[grade_col].value = grades[code]
    path = tmp_path / name
    wb.save(path)
    return path


def test_a_whole_self_assessment_is_imported_from_excel(cyc, tmp_path):
    path = filled_workbook(cyc.catalog, all_grades("B"), tmp_path)
    out = io.StringIO()
    call_command(
        "evaluation_import",
        str(path),
        institution=cyc.t.TA1.code,
        cycle=cyc.cycle.pk,
        level="self",
        user="clerk_ta1",
        stdout=out,
    )
    assert fresh(cyc.sub).grades_at("self") == all_grades("B")


def test_an_import_with_a_grade_outside_the_scale_changes_nothing(cyc, tmp_path):
    path = filled_workbook(cyc.catalog, all_grades("B", **{"1_2_1": "X"}), tmp_path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "evaluation_import",
            str(path),
            institution=cyc.t.TA1.code,
            cycle=cyc.cycle.pk,
            level="self",
            user="clerk_ta1",
            stderr=err,
        )
    assert "1.2.1" in err.getvalue()
    assert fresh(cyc.sub).grades_at("self") == {}


def test_a_reviewer_cannot_import_a_review_of_their_own_institution(cyc, tmp_path):
    own = Submission.objects.get(cycle=cyc.cycle, institution=cyc.t.TA2)
    own = A.do_save_grades(None, own, "self", all_grades("A"), version=1)
    A.do_submit(None, own, version=own.version)
    path = filled_workbook(cyc.catalog, all_grades("A"), tmp_path)
    with pytest.raises(CommandError):
        call_command(
            "evaluation_import",
            str(path),
            institution=cyc.t.TA2.code,
            cycle=cyc.cycle.pk,
            level="county",
            user="reviewer_a",
        )
    assert fresh(own).grades_at("county") == {}


def test_publish_from_the_command_line_prints_the_counts(cyc):
    for sub in Submission.objects.filter(cycle=cyc.cycle):
        sub = A.do_save_grades(None, sub, "self", all_grades("A"), version=sub.version)
        sub = A.do_submit(None, sub, version=sub.version)
        sub = A.do_save_grades(
            None, sub, "county", all_grades("B", **{"2_1_1": "D"}), version=sub.version
        )
        A.do_pass_county(None, sub, version=sub.version)
    with pytest.raises(CommandError):
        call_command("evaluation_publish", region=cyc.t.A.code, year=2025, user="analyst_a")
    out = io.StringIO()
    call_command("evaluation_publish", region=cyc.t.A.code, year=2025, user="admin_a", stdout=out)
    assert "7" in out.getvalue() and "100.0%" in out.getvalue()
    out = io.StringIO()
    call_command("evaluation_verdict", institution=cyc.t.TA1.code, year=2025, stdout=out)
    assert "2.1.1" in out.getvalue()
