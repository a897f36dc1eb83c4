"""The Excel layout of a data set definition, for officials who keep them in workbooks.

Sheets (headers in Chinese or as the YAML keys; values may be the YAML words or Chinese):

- 数据集: one field per row, 项目 | 内容 (编码, 版本, 名称, 报告周期, 填报机构类型, 截止天数);
- 数据元: 分组 | 分组编码 (optional) | 编码 | 名称 | 值类型 | 汇总方式 | 分类 | 零值有意义, one row per element; a
  blank 分组 continues the group above; 分类 is ``male:男、female:女`` (or just ``男、女``);
- 指标 (optional): 编码 | 名称 | 分子 | 分母 | 系数 | 目标值 (optional, ``>= 90``);
- 校验规则 (optional): 编码 | 名称 | 左边 | 运算符 | 右边 | 重要程度 | 缺失值策略 | 提示信息.

The rows are turned into the YAML structure and checked by the same rules; problems name
the row and the sheet's column (``数据元表D列``).
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from jiceng.core import xlsx
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.sheettable import cell_text, django_ready, find_table
from jiceng.core.yamllines import Path_, cell_locator

from .definition import DataSet, _Checker
from .engine import format_value

MAX_BYTES = 20 * 1024 * 1024  # a definition is a few kilobytes; refuse anything huge

META_SHEET = "数据集"
ELEMENTS_SHEET = "数据元"
INDICATORS_SHEET = "指标"
RULES_SHEET = "校验规则"

META_FIELDS = {
    "code": ("编码", "数据集编码", "code"),
    "version": ("版本", "version"),
    "name": ("名称", "数据集名称", "name"),
    "period_type": ("报告周期", "填报周期", "period_type"),
    "institution_kinds": ("填报机构类型", "机构类型", "institution_kinds"),
    "due_days": ("截止天数", "due_days"),
}
ELEMENT_COLUMNS = {
    "section": ("分组", "section"),
    "section_code": ("分组编码", "section_code"),
    "code": ("编码", "数据元编码", "code"),
    "name": ("名称", "数据元名称", "name"),
    "value_type": ("值类型", "value_type"),
    "aggregation": ("汇总方式", "aggregation"),
    "options": ("分类", "options"),
    "zero_is_significant": ("零值有意义", "zero_is_significant"),
}
INDICATOR_COLUMNS = {
    "code": ("编码", "指标编码", "code"),
    "name": ("名称", "指标名称", "name"),
    "numerator": ("分子", "numerator"),
    "denominator": ("分母", "denominator"),
    "factor": ("系数", "factor"),
    "target": ("目标值", "目标", "target"),
}
RULE_COLUMNS = {
    "code": ("编码", "规则编码", "code"),
    "name": ("名称", "规则名称", "name"),
    "left": ("左边", "左侧", "left"),
    "operator": ("运算符", "operator"),
    "right": ("右边", "右侧", "right"),
    "importance": ("重要程度", "importance"),
    "missing": ("缺失值策略", "missing"),
    "message": ("提示信息", "message"),
}
# Chinese words officials write for the format's values.
ALIASES = {
    "period_type": {"月": "monthly", "月度": "monthly", "月报": "monthly", "季": "quarterly",
                    "季度": "quarterly", "季报": "quarterly", "年": "yearly", "年度": "yearly",
                    "年报": "yearly"},
    "value_type": {"整数": "integer", "非负整数": "non_negative_integer", "数值": "number",
                   "数字": "number", "百分比": "percentage", "是否": "yes_no", "是/否": "yes_no",
                   "文本": "text"},
    "aggregation": {"求和": "sum", "合计": "sum", "平均": "average", "平均值": "average",
                    "最新": "last", "期末": "last", "最后一期": "last", "不汇总": "none"},
    "operator": {"≤": "<=", "≥": ">=", "≠": "!=", "＝": "==", "=": "==", "＜": "<", "＞": ">"},
    "importance": {"高": "high", "中": "medium", "低": "low"},
    "missing": {"任一缺失跳过": "skip_if_any_missing", "全部缺失跳过": "skip_if_all_missing",
                "不跳过": "never_skip"},
}  # fmt: skip
_TRUE = {"是", "true", "yes", "y", "1", "√", "✓"}
_FALSE = {"", "否", "false", "no", "n", "0", "×"}
_SPLIT = re.compile(r"[、,，;；\n]+")


def _rows(book, sheet: str) -> list[list[Any]]:
    # rows from row 1 and column A, so that numbers match what the user sees
    return [list(r) for r in book.rows(sheet)]


def read_dataset_excel(data: bytes, filename: str) -> DataSet:
    """Read the workbook layout into a data set; every problem names row and column.

    The workbook is opened through :mod:`jiceng.core.xlsx`, which refuses what could take the
    server down (ZIP bombs, sheets beyond the size limits) before anything is read.
    """
    if len(data) > MAX_BYTES:
        raise ValidationFailed([Problem("文件过大，不像是数据集定义", file=filename)])
    django_ready()
    with xlsx.open_xlsx(data, filename) as book:
        return _read_book(book, filename)


def _read_book(book, filename: str) -> DataSet:
    problems: list[Problem] = []
    where: dict[Path_, tuple[int, str]] = {}
    raw: dict[str, Any] = {}
    for sheet in (META_SHEET, ELEMENTS_SHEET):
        if sheet not in book.sheet_names:
            problems.append(Problem(f"缺少工作表「{sheet}」", file=filename))
    if problems:
        raise ValidationFailed(problems)

    for r, row in enumerate(_rows(book, META_SHEET), 1):
        key = cell_text(row[0]).lower() if row else ""
        for field, names in META_FIELDS.items():
            if key in {n.lower() for n in names}:
                value = cell_text(row[1]) if len(row) > 1 else ""
                where[(field,)] = (r, f"{META_SHEET}表B")
                if value:
                    raw[field] = ALIASES.get(field, {}).get(value, value)

    def cell(row: list[Any], cols: dict[str, int], field: str) -> str:
        c = cols.get(field)
        return cell_text(row[c]) if c is not None and c < len(row) else ""

    def column(sheet: str, cols: dict[str, int], field: str) -> str:
        c = cols.get(field)
        return f"{sheet}表{get_column_letter(c + 1)}" if c is not None else f"{sheet}表"

    header, cols, body = find_table(_rows(book, ELEMENTS_SHEET), ELEMENT_COLUMNS)
    missing = [
        ELEMENT_COLUMNS[f][0]
        for f in ("code", "name", "value_type", "aggregation")
        if f not in cols
    ]
    if missing:
        raise ValidationFailed(
            [
                Problem(
                    f"工作表「{ELEMENTS_SHEET}」缺少列：{'、'.join(missing)}",
                    file=filename,
                    row=header,
                )
            ]
        )
    sections: list[dict[str, Any]] = []
    current = None
    for n, row in body:
        name = cell(row, cols, "section")
        code = cell(row, cols, "section_code")
        if (
            current is None
            or (name and name != current["name"])
            or (code and code != current.get("code"))
        ):
            current = {"name": name or "", "elements": []}
            if code:
                current["code"] = code
            sections.append(current)
            where[("sections", len(sections) - 1)] = (n, column(ELEMENTS_SHEET, cols, "section"))
        element: dict[str, Any] = {}
        path = ("sections", len(sections) - 1, "elements", len(current["elements"]))
        where[path] = (n, "")
        for field in ("code", "name", "value_type", "aggregation"):
            value = cell(row, cols, field)
            where[path + (field,)] = (n, column(ELEMENTS_SHEET, cols, field))
            if value:
                element[field] = ALIASES.get(field, {}).get(value, value)
        options = cell(row, cols, "options")
        where[path + ("options",)] = (n, column(ELEMENTS_SHEET, cols, "options"))
        if options:
            element["options"] = [_option(p) for p in _SPLIT.split(options) if p.strip()]
        zero = cell(row, cols, "zero_is_significant").lower()
        where[path + ("zero_is_significant",)] = (
            n,
            column(ELEMENTS_SHEET, cols, "zero_is_significant"),
        )
        if zero:
            element["zero_is_significant"] = (
                True if zero in _TRUE else False if zero in _FALSE else zero
            )
        current["elements"].append(element)
    raw["sections"] = sections

    for sheet, key, columns in (
        (INDICATORS_SHEET, "indicators", INDICATOR_COLUMNS),
        (RULES_SHEET, "validation_rules", RULE_COLUMNS),
    ):
        if sheet not in book.sheet_names:
            continue
        _header, cols, body = find_table(_rows(book, sheet), columns)
        entries = []
        for n, row in body:
            entry: dict[str, Any] = {}
            path = (key, len(entries))
            where[path] = (n, "")
            for field in columns:
                value = cell(row, cols, field)
                where[path + (field,)] = (n, column(sheet, cols, field))
                if value:
                    entry[field] = ALIASES.get(field, {}).get(value, value)
            entries.append(entry)
        raw[key] = entries

    return _Checker(raw, filename, cell_locator(where)).dataset()


def _option(text: str) -> dict[str, str] | str:
    """``male:男`` (or ``male：男``) → code and name; ``男`` alone is both."""
    parts = re.split(r"[:：]", text.strip(), maxsplit=1)
    if len(parts) == 1:
        return parts[0]
    return {"code": parts[0].strip(), "name": parts[1].strip() or parts[0].strip()}


def write_dataset_excel(ds: DataSet) -> bytes:
    """The workbook of a data set (what :func:`read_dataset_excel` reads back)."""
    wb = Workbook()
    meta = wb.active
    meta.title = META_SHEET
    meta.append(["项目", "内容"])
    for label, value in (
        ("编码", ds.code),
        ("版本", ds.version),
        ("名称", ds.name),
        ("报告周期", ds.period_type),
        ("填报机构类型", "、".join(ds.institution_kinds)),
        ("截止天数", ds.due_days),
    ):
        meta.append([label, value])
    ws = wb.create_sheet(ELEMENTS_SHEET)
    ws.append([names[0] for names in ELEMENT_COLUMNS.values()])
    for section in ds.sections:
        for i, code in enumerate(section.elements):
            el = ds.elements[code]
            ws.append(
                [
                    section.name if i == 0 else "",
                    section.code if i == 0 else "",
                    el.code,
                    el.name,
                    el.value_type,
                    el.aggregation,
                    "、".join(f"{o.code}:{o.name}" for o in el.options),
                    "是" if el.zero_is_significant else "",
                ]
            )
    ws = wb.create_sheet(INDICATORS_SHEET)
    ws.append([names[0] for names in INDICATOR_COLUMNS.values()])
    for ind in ds.indicators:
        factor = ind.factor.numerator if ind.factor.denominator == 1 else float(ind.factor)
        target = f"{ind.target.operator} {format_value(ind.target.value)}" if ind.target else ""
        ws.append([ind.code, ind.name, ind.numerator.text, ind.denominator.text, factor, target])
    ws = wb.create_sheet(RULES_SHEET)
    ws.append([names[0] for names in RULE_COLUMNS.values()])
    for rule in ds.rules:
        ws.append(
            [rule.code, rule.name, rule.left.text, rule.operator, rule.right.text,
             rule.importance, rule.missing, rule.message]
        )  # fmt: skip
    return xlsx.to_bytes(wb)
