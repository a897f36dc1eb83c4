"""``jiceng surveys check|load|import``: the same checks and actions as the pages."""

import io

import pytest
from django.core.management import call_command

from jiceng.surveys.models import Questionnaire, Response

from .helpers import SMALL, csv_of


def _run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_check_names_the_line_of_every_problem(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(SMALL.replace("kind: 门诊", "kind: 急诊"), encoding="utf-8")
    code, _out, err = _run("surveys_check", str(path))
    assert code == 1 and "q.yaml 第4行" in err and "未知的问卷类别「急诊」" in err


def test_load_then_import_a_file_and_a_bad_file_saves_nothing(personas, tmp_path):
    t = personas.tree
    q = tmp_path / "small.yaml"
    q.write_text(SMALL, encoding="utf-8")
    assert _run("surveys_load", str(q), "--region", t.P.code)[0] == 0
    assert Questionnaire.objects.get().owner == t.P
    good = tmp_path / "good.csv"
    good.write_bytes(csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1")]))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of([(t.TA1.code, "2026-05-05", "13800001112", "1", "1")]))
    code, _out, err = _run(
        "surveys_import", str(bad), "--questionnaire", "small", "--period", "2026Q1"
    )
    assert code == 1 and "bad.csv 第2行" in err and "不在统计期" in err
    assert not Response.objects.exists()
    code, out, _err = _run(
        "surveys_import",
        str(good),
        "--questionnaire",
        "small",
        "--period",
        "2026Q1",
        "--user",
        personas.county_admin.username,
    )
    assert code == 0 and "1 份答卷" in out and Response.objects.count() == 1


@pytest.mark.parametrize("user", ["clerk_ta1", "reviewer_a"])
def test_import_as_someone_who_may_not_is_refused(personas, tmp_path, user):
    t = personas.tree
    q = tmp_path / "small.yaml"
    q.write_text(SMALL, encoding="utf-8")
    _run("surveys_load", str(q), "--region", t.P.code)
    good = tmp_path / "good.csv"
    good.write_bytes(csv_of([(t.TA1.code, "2026-01-05", "13800001111", "1", "1")]))
    with pytest.raises(Exception, match="只有管理员可以导入"):
        call_command(
            "surveys_import",
            str(good),
            "--questionnaire",
            "small",
            "--period",
            "2026Q1",
            "--user",
            user,
        )
    assert not Response.objects.exists()
