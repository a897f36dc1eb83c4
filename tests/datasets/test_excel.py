"""The Excel layout of a definition: the samples round-trip, problems name row and column."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from jiceng.core.errors import ValidationFailed
from jiceng.datasets import load_dataset_file
from jiceng.datasets.definition import sample_dataset_paths
from jiceng.datasets.excel import read_dataset_excel, write_dataset_excel

from .helpers import run


def _key(ds):
    return (ds.code, ds.version, ds.name, ds.period_type, ds.institution_kinds, ds.due_days,
            ds.sections, ds.elements, ds.indicators, ds.rules)  # fmt: skip


@pytest.mark.parametrize("path", sample_dataset_paths(), ids=lambda p: p.stem)
def test_every_sample_reads_back_the_same_from_its_workbook(path):
    ds = load_dataset_file(path)
    again = read_dataset_excel(write_dataset_excel(ds), f"{path.stem}.xlsx")
    assert _key(again) == _key(ds)


def _workbook(elements_rows, rules_rows=()):
    wb = Workbook()
    meta = wb.active
    meta.title = "数据集"
    for row in (["项目", "内容"], ["编码", "X"], ["版本", 2025], ["名称", "表格"],
                ["报告周期", "季度"], ["填报机构类型", "township_hc、village_clinic"]):  # fmt: skip
        meta.append(row)
    ws = wb.create_sheet("数据元")
    ws.append(["分组", "编码", "名称", "值类型", "汇总方式", "分类"])
    for row in elements_rows:
        ws.append(row)
    ws = wb.create_sheet("校验规则")
    ws.append(["编码", "名称", "左边", "运算符", "右边", "缺失值策略"])
    for row in rules_rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_chinese_words_and_groups_continued_by_blank_cells_are_read():
    data = _workbook(
        [
            ["服务", "A", "门诊", "非负整数", "求和", ""],
            ["", "B", "在岗", "整数", "期末", "male:男、female：女"],
            ["满意度", "C", "满意率", "百分比", "平均", "甲、乙"],
        ],
        [
            ["R", "规则", "#{A}", ">=", "#{B.male}", "全部缺失跳过"],
            ["R2", "全角", "#{A}", "≤", "#{C}", ""],
        ],
    )
    ds = read_dataset_excel(data, "x.xlsx")
    assert (ds.period_type, ds.version, ds.institution_kinds) == (
        "quarterly",
        "2025",
        ("township_hc", "village_clinic"),
    )
    assert [s.elements for s in ds.sections] == [("A", "B"), ("C",)]
    assert (ds.elements["B"].value_type, ds.elements["B"].aggregation) == ("integer", "last")
    assert [(o.code, o.name) for o in ds.elements["B"].options] == [
        ("male", "男"),
        ("female", "女"),
    ]
    assert ds.elements["C"].option_codes == ("甲", "乙")
    assert ds.rules[0].missing == "skip_if_all_missing"
    assert ds.rules[1].operator == "<="


def test_problems_name_the_row_and_the_sheets_column(tmp_path):
    data = _workbook(
        [
            ["服务", "A", "门诊", "小数", "求和", ""],
            ["", "A", "重复", "整数", "中位数", ""],
        ],
        [["R", "规则", "#{Z}", "<>", "1", ""], ["R2", "全角", "#{A}", "≤", "1", ""]],
    )
    with pytest.raises(ValidationFailed) as caught:
        read_dataset_excel(data, "x.xlsx")
    text = [str(p) for p in caught.value.problems]
    assert any(
        t.startswith("x.xlsx，第2行，数据元表D列") and "未知的值类型「小数」" in t for t in text
    )
    assert any(t.startswith("x.xlsx，第3行，数据元表B列") and "重复" in t for t in text)
    assert any(t.startswith("x.xlsx，第3行，数据元表E列") and "中位数" in t for t in text)
    assert any(t.startswith("x.xlsx，第2行，校验规则表C列") and "「Z」" in t for t in text)
    assert any(t.startswith("x.xlsx，第2行，校验规则表D列") and "<>" in t for t in text)
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    code, _out, err = run("datasets", "check", str(path))
    assert code == 1 and "共 5 个问题" in err


def test_a_workbook_without_its_sheets_or_not_a_workbook_is_refused():
    wb = Workbook()
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationFailed, match="缺少工作表「数据集」"):
        read_dataset_excel(out.getvalue(), "empty.xlsx")
    with pytest.raises(ValidationFailed, match="不是 Excel 工作簿"):
        read_dataset_excel(b"not a workbook", "bad.xlsx")


def test_the_written_workbook_has_the_four_sheets():
    [path] = [p for p in sample_dataset_paths() if p.stem == "satisfaction"]
    wb = load_workbook(io.BytesIO(write_dataset_excel(load_dataset_file(path))))
    assert wb.sheetnames == ["数据集", "数据元", "指标", "校验规则"]
