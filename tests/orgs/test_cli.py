"""The ``jiceng orgs import|export|template`` commands, and the export round-trip."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from jiceng.orgs import queries
from jiceng.orgs.actions import do_import_tree, do_set_year
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import Node

from .helpers import db_state, workbook


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_exporting_then_importing_changes_nothing(tree):
    import datetime as dt

    from jiceng.orgs.actions import do_update_node

    do_update_node(None, tree.TA1, opened=dt.date(1998, 7, 1), address="甲一镇人民路1号")
    do_set_year(None, tree.TA1, 2024, beds=40, doctors=12, general_practitioners=5, nurses=20)
    data = queries.export_workbook(Node.objects.all())
    before = db_state()
    result = do_import_tree(None, plan_import(data, "export.xlsx"))
    assert not result.changed_anything
    assert result.unchanged == Node.objects.count()
    assert db_state() == before


def test_an_exported_subtree_round_trips_for_the_county_admin(personas):
    from jiceng.core import scope

    admin = personas.county_admin
    data = queries.export_workbook(scope.visible_nodes(admin))
    before = db_state()
    result = do_import_tree(admin, plan_import(data, "a.xlsx", actor=admin))
    assert not result.changed_anything and db_state() == before


def test_the_export_has_chinese_headers_codes_as_text_and_a_type_list(tree):
    data = queries.export_workbook(Node.objects.subtree(tree.A))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["机构", "年度数据", "说明"]
    ws = wb["机构"]
    assert [c.value for c in ws[1]] == [
        "代码",
        "名称",
        "类型",
        "上级代码",
        "成立日期",
        "撤销日期",
        "地址",
        "经度",
        "纬度",
    ]
    assert ws["A2"].value == tree.A.code and ws["A2"].number_format == "@"
    assert ws["C2"].value == "县（区）"
    assert ws["D2"].value == tree.C.code
    assert any("乡镇卫生院" in dv.formula1 for dv in ws.data_validations.dataValidation)
    assert wb["年度数据"]["C1"].value == "常住人口"


def test_the_import_command_prints_counts_on_success(tree, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(
        workbook([["330101400000", "甲四镇卫生院", "乡镇卫生院", tree.A.code, None, None, None]])
    )
    code, out, _err = run_command("orgs_import", str(path))
    assert code == 0
    assert "新建 1 个" in out
    assert Node.objects.filter(code="330101400000").exists()


def test_the_import_command_prints_one_line_per_problem_and_exits_1(tree, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        workbook(
            [
                ["X1", "一", "卫生所", tree.A.code, None, None, None],
                ["X2", "二", "乡镇卫生院", "999", None, None, None],
            ]
        )
    )
    before = db_state()
    code, _out, err = run_command("orgs_import", str(path))
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("bad.xlsx 第2行 列机构!C（类型）：")
    assert lines[1].startswith("bad.xlsx 第3行 列机构!D（上级代码）：")
    assert "未保存" in lines[-1]
    assert db_state() == before


def test_the_import_command_dry_run_saves_nothing(tree, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(workbook([["X1", "一", "乡镇卫生院", tree.A.code, None, None, None]]))
    before = db_state()
    code, out, _err = run_command("orgs_import", str(path), "--dry-run")
    assert code == 0 and "试运行" in out and "新建 1 个" in out
    assert db_state() == before


def test_the_import_command_respects_the_users_area(personas, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(workbook([["X1", "一", "乡镇卫生院", personas.tree.B.code, None, None, None]]))
    code, _out, err = run_command("orgs_import", str(path), "--user", "admin_a")
    assert code == 1 and "管辖范围" in err


def test_the_export_command_writes_a_subtree_for_one_year(tree, tmp_path):
    do_set_year(None, tree.VA1, 2024, permanent_residents=1100)
    path = tmp_path / "out.xlsx"
    code, out, _err = run_command(
        "orgs_export", str(path), "--root", tree.TA1.code, "--year", "2025"
    )
    assert code == 0 and "3" in out
    wb = load_workbook(path)
    codes = [r[0].value for r in wb["机构"].iter_rows(min_row=2)]
    assert codes == [tree.TA1.code, tree.VA1.code, tree.VA2.code]
    years = {r[1].value for r in wb["年度数据"].iter_rows(min_row=2)}
    assert years == {2025}


def test_the_template_command_writes_an_empty_template_with_an_example(db, tmp_path):
    path = tmp_path / "template.xlsx"
    code, _out, _err = run_command("orgs_template", str(path))
    assert code == 0
    wb = load_workbook(path)
    assert wb["机构"].max_row == 1
    help_text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "示例" in help_text and "成立日期" in help_text and "乡镇卫生院" in help_text


def test_an_empty_template_imports_as_nothing(db, tmp_path):
    path = tmp_path / "template.xlsx"
    run_command("orgs_template", str(path))
    result = do_import_tree(None, plan_import(path.read_bytes(), "template.xlsx"))
    assert not result.changed_anything


@pytest.mark.slow
def test_the_jiceng_console_command_runs_orgs_template(tmp_path):
    path = tmp_path / "t.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "jiceng", "orgs", "template", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"JICENG_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert path.exists()


@pytest.mark.slow
def test_a_big_file_imports_with_a_progress_bar_on_stderr(tree, tmp_path):
    rows = []
    years = []
    for t in range(12):  # 312 units: enough for the bar; the import's speed is a benchmark
        town = f"3301015{t:02d}000"
        rows.append([town, f"第{t}镇卫生院", "乡镇卫生院", tree.A.code, None, None, None])
        for v in range(25):
            code = f"3301015{t:02d}{v:03d}"[:9] + f"{t:02d}{v:03d}"
            rows.append([code, f"第{t}镇{v}村卫生室", "村卫生室", town, None, None, None])
            years.append([code, 2025, 1000 + v, 150, 60, 800, 300, None, 1, 1, 1, 1])
    rows.reverse()  # children before parents: the import must order them itself
    path = tmp_path / "big.xlsx"
    path.write_bytes(workbook(rows, years=years))
    code, out, err = run_command("orgs_import", str(path))
    assert code == 0, err
    assert "新建 312 个" in out
    assert "it/s" in err or "行/s" in err
    assert Node.objects.subtree(tree.A).count() == 8 + 312


def test_an_export_made_in_english_imports_back_in_chinese(tree):
    from django.utils import translation

    with translation.override("en"):
        data = queries.export_workbook(Node.objects.all())
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:2] == ["Units", "Yearly figures"]
    assert wb["Units"]["C2"].value == "Province"
    before = db_state()
    with translation.override("zh-hans"):
        result = do_import_tree(None, plan_import(data, "en.xlsx"))
    assert not result.changed_anything and db_state() == before


@pytest.mark.parametrize("name", ["=1+1", '=HYPERLINK("http://x")', "+86 诊所", "-减号", "@at"])
def test_text_that_looks_like_a_formula_is_exported_as_text_and_round_trips(tree, name):
    from jiceng.orgs.actions import do_update_node

    do_update_node(None, tree.VA1, name=name, address=name)
    data = queries.export_workbook(Node.objects.subtree(tree.TA1))
    wb = load_workbook(io.BytesIO(data))
    cell = next(r[1] for r in wb["机构"].iter_rows(min_row=2) if r[0].value == tree.VA1.code)
    assert cell.data_type == "s" and cell.value == name
    before = db_state()
    assert not do_import_tree(None, plan_import(data, "t.xlsx")).changed_anything
    assert db_state() == before
