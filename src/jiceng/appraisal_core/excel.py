"""The Excel layout of a scheme, for appraisal offices that keep them in workbooks.

Sheets (headers in Chinese or as the YAML keys; values may be the YAML words or Chinese):

- 方案: one field per row, 项目 | 内容 (编码, 版本, 名称, 年度, 被考核单位类型, 排名范围,
  资金分配规则, 资金总额);
- 等级: 等级 | 最低分 | 人均金额, best first (人均金额 only for 按等级人均);
- 考核项目: 模块编码 | 模块名称 | 编码 | 名称 | 分值 | 来源 | 规则 | 起点 | 目标 | 每项扣分 |
  对应分值 | 缺失处理 | 一票否决, one row per item; a blank 模块编码 continues the module above;
  对应分值 is ``recommended:10、basic:6、none:0``.

The rows are turned into the YAML structure and checked by the same rules; problems name
the row and the sheet's column (``考核项目表E``).
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.sheettable import cell_text, django_ready, find_table
from jiceng.core.yamllines import Path_, cell_locator

from .catalog import Catalog
from .numbers import plain
from .scheme import Scheme, SchemeChecker

MAX_BYTES = 20 * 1024 * 1024
META_SHEET = "方案"
GRADES_SHEET = "等级"
ITEMS_SHEET = "考核项目"

META_FIELDS = {
    "code": ("编码", "方案编码", "code"),
    "version": ("版本", "version"),
    "title": ("名称", "方案名称", "title"),
    "year": ("年度", "考核年度", "year"),
    "unit_kinds": ("被考核单位类型", "单位类型", "unit_kinds"),
    "peer_group": ("排名范围", "peer_group"),
    "fund_rule": ("资金分配规则", "fund_rule"),
    "pool": ("资金总额", "资金总额（元）", "pool"),
}
GRADE_COLUMNS = {
    "label": ("等级", "label"),
    "min": ("最低分", "min"),
    "rate": ("人均金额", "人均金额（元）", "rate"),
}
ITEM_COLUMNS = {
    "module": ("模块编码", "module"),
    "module_name": ("模块名称", "module_name"),
    "code": ("编码", "项目编码", "code"),
    "name": ("名称", "项目名称", "name"),
    "points": ("分值", "points"),
    "source": ("来源", "数据来源", "source"),
    "rule": ("规则", "计分规则", "rule"),
    "floor": ("起点", "floor"),
    "target": ("目标", "目标值", "target"),
    "per": ("每项扣分", "per"),
    "map": ("对应分值", "map"),
    "missing": ("缺失处理", "missing"),
    "veto": ("一票否决", "veto"),
}
ALIASES = {
    "peer_group": {"同一上级": "parent", "同一上级内": "parent", "全部": "all", "全部单位": "all"},
    "fund_rule": {"按得分和人口": "score_population", "按得分和常住人口分配": "score_population",
                  "按等级人均": "grade_per_capita"},
    "rule": {"线性": "linear", "比例": "ratio", "对应": "map", "扣分": "deduct", "人工": "manual",
             "人工评分": "manual"},
    "missing": {"免考": "exempt", "不参与计分": "exempt", "记0分": "zero", "记 0 分": "zero"},
    "source": {"评价结论": "verdict", "台账销号率": "ledger_closed_rate",
               "台账逾期数": "ledger_overdue", "人工": "manual", "人工评分": "manual"},
}  # fmt: skip
_TRUE = {"是", "true", "yes", "y", "1", "√", "✓"}
_FALSE = {"", "否", "false", "no", "n", "0", "×"}
_SPLIT = re.compile(r"[、,，;；\n]+")


def read_scheme_excel(data: bytes, filename: str, catalog: Catalog | None = None) -> Scheme:
    """Read the workbook layout into a scheme; every problem names row and column."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed([Problem("文件过大，不像是考核方案", file=filename)])
    django_ready()
    from jiceng.core import xlsx

    with xlsx.open_xlsx(data, filename) as book:
        return _read_book(book, filename, catalog)


def _read_book(book, filename: str, catalog: Catalog | None) -> Scheme:
    absent = [s for s in (META_SHEET, GRADES_SHEET, ITEMS_SHEET) if s not in book.sheet_names]
    if absent:
        raise ValidationFailed([Problem(f"缺少工作表「{s}」", file=filename) for s in absent])
    where: dict[Path_, tuple[int, str]] = {}
    raw: dict[str, Any] = {}
    meta: dict[str, str] = {}
    for r, row in enumerate(book.rows(META_SHEET), 1):
        key = cell_text(row[0]).lower() if row else ""
        for name, names in META_FIELDS.items():
            if key in {n.lower() for n in names}:
                value = cell_text(row[1]) if len(row) > 1 else ""
                where[(name,)] = (r, f"{META_SHEET}表B")
                if value:
                    meta[name] = ALIASES.get(name, {}).get(value, value)
    for name in ("code", "version", "title", "year", "unit_kinds", "peer_group"):
        if name in meta:
            raw[name] = meta[name]

    def cell(row: list[Any], cols: dict[str, int], name: str) -> str:
        c = cols.get(name)
        return cell_text(row[c]) if c is not None and c < len(row) else ""

    def column(sheet: str, cols: dict[str, int], name: str) -> str:
        c = cols.get(name)
        return f"{sheet}表{get_column_letter(c + 1)}" if c is not None else f"{sheet}表"

    _h, cols, body = find_table(list(book.rows(GRADES_SHEET)), GRADE_COLUMNS)
    grades: list[dict[str, Any]] = []
    rates: dict[str, str] = {}
    for n, row in body:
        path = ("grades", len(grades))
        where[path] = (n, "")
        grade: dict[str, Any] = {}
        for name in ("label", "min"):
            where[path + (name,)] = (n, column(GRADES_SHEET, cols, name))
            if cell(row, cols, name):
                grade[name] = cell(row, cols, name)
        if cell(row, cols, "rate"):
            rates[grade.get("label", "")] = cell(row, cols, "rate")
            where[("fund", "rates", grade.get("label", ""))] = (
                n,
                column(GRADES_SHEET, cols, "rate"),
            )
        grades.append(grade)
    raw["grades"] = grades
    if "fund_rule" in meta or "pool" in meta:
        fund: dict[str, Any] = {"rule": meta.get("fund_rule", "")}
        where[("fund",)] = where.get(("fund_rule",), where.get(("pool",), (1, "")))
        where[("fund", "rule")] = where[("fund",)]
        if "pool" in meta:
            fund["pool"] = meta["pool"]
            where[("fund", "pool")] = where[("pool",)]
        if rates:
            fund["rates"] = rates
        where.setdefault(("fund", "rates"), where[("fund",)])
        raw["fund"] = fund

    _h, cols, body = find_table(list(book.rows(ITEMS_SHEET)), ITEM_COLUMNS)
    modules: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for n, row in body:
        code = cell(row, cols, "module")
        if current is None or (code and code != current.get("code")):
            current = {"items": []}
            if code:
                current["code"] = code
            if cell(row, cols, "module_name"):
                current["name"] = cell(row, cols, "module_name")
            modules.append(current)
            mpath = ("modules", len(modules) - 1)
            where[mpath] = (n, "")
            where[mpath + ("code",)] = (n, column(ITEMS_SHEET, cols, "module"))
            where[mpath + ("name",)] = (n, column(ITEMS_SHEET, cols, "module_name"))
        path = ("modules", len(modules) - 1, "items", len(current["items"]))
        where[path] = (n, "")
        item: dict[str, Any] = {}
        for name in ("code", "name", "points", "source", "rule", "floor", "target", "per",
                     "missing"):  # fmt: skip
            value = cell(row, cols, name)
            where[path + (name,)] = (n, column(ITEMS_SHEET, cols, name))
            if value:
                item[name] = ALIASES.get(name, {}).get(value, value)
        table = cell(row, cols, "map")
        where[path + ("map",)] = (n, column(ITEMS_SHEET, cols, "map"))
        if table:
            item["map"] = dict(_pair(p) for p in _SPLIT.split(table) if p.strip())
        veto = cell(row, cols, "veto").lower()
        where[path + ("veto",)] = (n, column(ITEMS_SHEET, cols, "veto"))
        if veto:
            item["veto"] = True if veto in _TRUE else False if veto in _FALSE else veto
        current["items"].append(item)
    raw["modules"] = modules
    return SchemeChecker(raw, filename, cell_locator(where), catalog).scheme()


def _pair(text: str) -> tuple[str, str]:
    """``recommended:10`` (or ``推荐标准：10``) → (value, points)."""
    from .scoring import VERDICT_WORDS

    parts = re.split(r"[:：]", text.strip(), maxsplit=1)
    key = parts[0].strip()
    return VERDICT_WORDS.get(key, key), (parts[1].strip() if len(parts) > 1 else "")


def write_scheme_excel(scheme: Scheme) -> bytes:
    """The workbook of a scheme (what :func:`read_scheme_excel` reads back)."""
    from jiceng.core import xlsx

    wb = Workbook()
    meta = wb.active
    meta.title = META_SHEET
    meta.append(["项目", "内容"])
    rows = [
        ("编码", scheme.code),
        ("版本", scheme.version),
        ("名称", scheme.title),
        ("年度", scheme.year),
        ("被考核单位类型", "、".join(scheme.unit_kinds)),
        ("排名范围", scheme.peer_group),
    ]
    if scheme.fund is not None:
        rows.append(("资金分配规则", scheme.fund.rule))
        if scheme.fund.pool is not None:
            rows.append(("资金总额", plain(scheme.fund.pool)))
    for label, value in rows:
        meta.append([label, value])
    ws = wb.create_sheet(GRADES_SHEET)
    ws.append(["等级", "最低分", "人均金额"])
    rates = dict(scheme.fund.rates) if scheme.fund is not None else {}
    for g in scheme.grades:
        rate = plain(rates[g.label]) if g.label in rates else ""
        ws.append([g.label, plain(g.minimum), rate])
    ws = wb.create_sheet(ITEMS_SHEET)
    ws.append([names[0] for names in ITEM_COLUMNS.values()])
    for m in scheme.modules:
        for i, item in enumerate(m.items):
            r = item.rule
            ws.append(
                [
                    m.code,
                    m.name if i == 0 else "",
                    item.code,
                    item.name,
                    plain(item.points),
                    str(item.source),
                    r.kind,
                    plain(r.floor) if r.floor is not None else "",
                    plain(r.target) if r.target is not None else "",
                    plain(r.per) if r.per is not None else "",
                    "、".join(f"{k}:{plain(p)}" for k, p in r.table),
                    "exempt" if item.exempt else "",
                    "是" if item.veto else "",
                ]
            )
    return xlsx.to_bytes(wb)
