"""Excel layouts of the standards app (see ``docs/standards.md``).

- Catalog workbook: sheet 目录信息 (one field per row: 项目 | 内容) and sheet 条款 (one row
  per item: 章 | 节 | 条款编号 | 条款内容 | 类别 | 核心条款 | 可不适用 | 佐证材料 | 评价方法).
  Chapter and section cells may be merged or left blank below the first row of a group.
- Grading workbook: sheet 评分 with one row per item and a 等级 column to fill in.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from itertools import chain, islice
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from jiceng.core import xlsx
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.yamllines import cell_locator
from jiceng.standards.catalog import (
    NA,
    CatalogSpec,
    Path_,
    validate_catalog_data,
)

META_SHEET = "目录信息"
ITEMS_SHEET = "条款"
GRADES_SHEET = "评分"

# field -> accepted header texts (first one is written)
META_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("编码", "code"),
    "version": ("版本", "version"),
    "title": ("名称", "title"),
    "edition": ("版别", "edition"),
    "institution_kinds": ("适用机构类型", "institution_kinds"),
    "basic_threshold": ("基本标准达标比例", "basic_threshold"),
    "recommended_threshold": ("推荐标准达标比例", "recommended_threshold"),
    "scale": ("评分等级", "scale"),
}
ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "chapter": ("章", "chapter"),
    "section": ("节", "section"),
    "code": ("条款编号", "编号", "code"),
    "text": ("条款内容", "内容", "text"),
    "tier": ("类别", "标准类别", "tier"),
    "core": ("核心条款", "核心", "core"),
    "na_allowed": ("可不适用", "na_allowed"),
    "evidence": ("佐证材料", "evidence"),
    "method": ("评价方法", "评审方式", "method"),
}
REQUIRED_ITEM_COLUMNS = ("chapter", "section", "code", "text", "tier")
TRUE_WORDS = {"★", "☆", "√", "✓", "是", "y", "yes", "true", "1", "核心"}
FALSE_WORDS = {"", "否", "n", "no", "false", "0", "×"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _flag(value: Any) -> Any:
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return _text(value)


def _split_heading(text: str) -> tuple[str, str]:
    """'1 功能任务与资源配置' → ('1', '功能任务与资源配置'); '1.2床位设置' works too."""
    m = re.match(r"^\s*([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)\s*[、.．]?\s*(.*)$", text)
    if not m:
        return "", text
    return m.group(1), m.group(2).strip()


def _open(data: bytes, filename: str) -> xlsx.XlsxReader:
    """The workbook, checked against the size limits of :mod:`jiceng.core.xlsx`."""
    return xlsx.open_xlsx(data, filename)


def _header_map(
    head: list[list[Any]], columns: dict[str, tuple[str, ...]]
) -> tuple[int, dict[str, int]]:
    """Find the header row (within the first rows) and the column index of each field."""
    best: tuple[int, dict[str, int]] = (1, {})
    for r, row in enumerate(head, 1):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            head_text = _text(value).replace("*", "").replace("★", "").strip().lower()
            for field, names in columns.items():
                if field not in found and head_text in {n.lower() for n in names}:
                    found[field] = c
        if len(found) > len(best[1]):
            best = (r, found)
    return best


def _with_header(
    rows: Iterator[list[Any]], columns: dict[str, tuple[str, ...]], scan_rows: int = 5
) -> tuple[int, dict[str, int], Iterator[tuple[int, list[Any]]]]:
    """The header row, its columns, and the numbered rows below it (read row by row)."""
    head = list(islice(rows, scan_rows))
    header_row, cols = _header_map(head, columns)
    below = chain(enumerate(head[header_row:], header_row + 1), enumerate(rows, len(head) + 1))
    return header_row, cols, below


def read_catalog_excel(data: bytes, filename: str) -> CatalogSpec:
    """Read the catalog workbook into a spec; problems name sheet, row and column."""
    with _open(data, filename) as wb:
        return _read_catalog(wb, filename)


def _read_catalog(wb: xlsx.XlsxReader, filename: str) -> CatalogSpec:
    problems: list[Problem] = []
    where: dict[Path_, tuple[int, str]] = {}
    raw: dict[str, Any] = {}
    if META_SHEET not in wb.sheet_names:
        problems.append(
            Problem(_("Sheet '%(sheet)s' is missing.") % {"sheet": META_SHEET}, file=filename)
        )
    else:
        for r, row in enumerate(wb.rows(META_SHEET), 1):
            if not row:
                continue
            key = _text(row[0]).lower()
            value = row[1] if len(row) > 1 else None
            for field, names in META_FIELDS.items():
                if key in {n.lower() for n in names}:
                    where[(field,)] = (r, f"{META_SHEET}表B")
                    if field == "scale":
                        raw["scale"], scale_problems = _parse_scale(_text(value), filename, r)
                        problems.extend(scale_problems)
                        for i in range(len(raw["scale"])):
                            where[("scale", i)] = (r, f"{META_SHEET}表B")
                    elif field in {"basic_threshold", "recommended_threshold"}:
                        raw[field] = value if isinstance(value, int | float) else _text(value)
                    elif value is not None and _text(value) != "":
                        raw[field] = _text(value)
    if ITEMS_SHEET not in wb.sheet_names:
        problems.append(
            Problem(_("Sheet '%(sheet)s' is missing.") % {"sheet": ITEMS_SHEET}, file=filename)
        )
    else:
        raw["chapters"] = _read_items(wb.rows(ITEMS_SHEET), filename, where, problems)
    if problems:
        raise ValidationFailed(problems)

    return validate_catalog_data(raw, cell_locator(where), filename)


# grade:label:达标 — the label may itself hold colons; grades may not.
SCALE_PART = re.compile(r"^([^:：]+)[:：](.*)[:：]\s*(达标|不达标|meets|fails)$")


def _parse_scale(text: str, filename: str, row: int) -> tuple[list[dict], list[Problem]]:
    """'A:优秀:达标; B:良好:达标; D:不合格:不达标' → grade specs."""
    out: list[dict] = []
    problems: list[Problem] = []
    for part in [p.strip() for p in re.split(r"[;；\n]", text) if p.strip()]:
        m = SCALE_PART.match(part)
        if not m:
            problems.append(
                Problem(
                    _("Cannot read grade '%(part)s': write grade:label:达标 or grade:label:不达标.")
                    % {"part": part},
                    file=filename,
                    row=row,
                    column=f"{META_SHEET}表B",
                    field="scale",
                )
            )
            continue
        grade, label, status = (g.strip() for g in m.groups())
        out.append({"grade": grade, "label": label, "meets": status in {"达标", "meets"}})
    return out, problems


def _read_items(
    rows: Iterator[list[Any]], filename: str, where: dict, problems: list[Problem]
) -> list[dict]:
    header_row, cols, below = _with_header(rows, ITEM_COLUMNS)
    missing = [f for f in REQUIRED_ITEM_COLUMNS if f not in cols]
    if missing:
        problems.append(
            Problem(
                _("Sheet '%(sheet)s' lacks the columns: %(cols)s.")
                % {"sheet": ITEMS_SHEET, "cols": "、".join(ITEM_COLUMNS[f][0] for f in missing)},
                file=filename,
                row=header_row,
            )
        )
        return []
    letter = {f: f"{ITEMS_SHEET}表{get_column_letter(c + 1)}" for f, c in cols.items()}
    chapters: list[dict] = []
    chapter: dict | None = None
    section: dict | None = None
    last_chapter = last_section = ""
    for r, row in below:

        def cell(field: str, row=row) -> Any:
            c = cols.get(field)
            return row[c] if c is not None and c < len(row) else None

        if all(_text(v) == "" for v in row):
            continue
        ch_text = _text(cell("chapter")) or last_chapter
        sec_text = _text(cell("section")) or last_section
        if ch_text != last_chapter or chapter is None:
            code, title = _split_heading(ch_text)
            chapter = {"code": code, "title": title, "sections": []}
            chapters.append(chapter)
            ci = len(chapters) - 1
            where[("chapters", ci)] = (r, letter["chapter"])
            section = None
            last_chapter = ch_text
            last_section = ""
            sec_text = _text(cell("section"))
        ci = len(chapters) - 1
        if sec_text != last_section or section is None:
            code, title = _split_heading(sec_text)
            section = {"code": code, "title": title, "items": []}
            chapter["sections"].append(section)
            si = len(chapter["sections"]) - 1
            where[("chapters", ci, "sections", si)] = (r, letter["section"])
            last_section = sec_text
        si = len(chapter["sections"]) - 1
        item: dict[str, Any] = {}
        for field in ("code", "text", "tier", "evidence", "method"):
            if field in cols:
                value = _text(cell(field))
                if value or field in {"code", "text", "tier"}:
                    item[field] = value
        for field in ("core", "na_allowed"):
            if field in cols:
                item[field] = _flag(cell(field))
        section["items"].append(item)
        ii = len(section["items"]) - 1
        base = ("chapters", ci, "sections", si, "items", ii)
        where[base] = (r, "")
        for field in item:
            where[(*base, field)] = (r, letter[field])
    return chapters


def write_catalog_excel(spec: CatalogSpec) -> bytes:
    """The catalog in the Excel layout :func:`read_catalog_excel` reads."""
    wb = Workbook()
    meta = wb.active
    meta.title = META_SHEET
    xlsx.append(meta, ["项目", "内容"])
    scale = "；".join(f"{g.grade}:{g.label}:{'达标' if g.meets else '不达标'}" for g in spec.scale)
    values = {
        "code": spec.code,
        "version": spec.version,
        "title": spec.title,
        "edition": spec.edition,
        "institution_kinds": ",".join(spec.institution_kinds),
        "basic_threshold": float(spec.basic_threshold),
        "recommended_threshold": float(spec.recommended_threshold),
        "scale": scale,
    }
    for field, names in META_FIELDS.items():
        xlsx.append(meta, [names[0], values[field]])
    meta.column_dimensions["A"].width = 20
    meta.column_dimensions["B"].width = 60
    ws = wb.create_sheet(ITEMS_SHEET)
    xlsx.append(ws, [names[0] for names in ITEM_COLUMNS.values()])
    for item in spec.items:
        xlsx.append(
            ws,
            [
                f"{item.chapter} {item.chapter_title}",
                f"{item.section} {item.section_title}",
                item.code,
                item.text,
                "基本" if item.tier == "basic" else "推荐",
                "★" if item.core else "",
                "是" if item.na_allowed else "",
                item.evidence,
                item.method,
            ],
        )
    _style(ws, [22, 18, 10, 60, 8, 8, 8, 30, 18])
    return _save(wb)


def _style(ws, widths: list[int]) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"


def _save(wb: Workbook) -> bytes:
    return xlsx.to_bytes(wb)


GRADE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("条款编号", "编号", "item_code", "code"),
    "chapter": ("章",),
    "section": ("节",),
    "text": ("条款内容",),
    "tier": ("类别",),
    "core": ("核心条款",),
    "na_allowed": ("可不适用",),
    "method": ("评价方法",),
    "grade": ("等级", "评分等级", "grade"),
    "remark": ("备注", "评价说明", "remark"),
}


def write_grades_template(catalog: CatalogSpec) -> bytes:
    """An xlsx with one row per item and an empty 等级 column (drop-down of the scale)."""
    wb = Workbook()
    ws = wb.active
    ws.title = GRADES_SHEET
    xlsx.append(ws, [names[0] for names in GRADE_COLUMNS.values()])
    for item in catalog.items:
        xlsx.append(
            ws,
            [
                item.code,
                f"{item.chapter} {item.chapter_title}",
                f"{item.section} {item.section_title}",
                item.text,
                "基本" if item.tier == "basic" else "推荐",
                "★" if item.core else "",
                "是" if item.na_allowed else "",
                item.method,
                "",
                "",
            ],
        )
    n = len(catalog.items) + 1
    grades = [g.grade for g in catalog.scale]
    dv = DataValidation(type="list", formula1='"' + ",".join([*grades, NA]) + '"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"I2:I{n}")
    _style(ws, [10, 20, 16, 60, 8, 8, 8, 18, 8, 30])
    for row in ws.iter_rows(min_row=2, max_col=4, min_col=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    info = wb.create_sheet(META_SHEET)
    xlsx.append(info, ["项目", "内容"])
    xlsx.append(info, ["编码", catalog.code])
    xlsx.append(info, ["版本", catalog.version])
    xlsx.append(info, ["名称", catalog.title])
    for g in catalog.scale:
        xlsx.append(info, [f"等级 {g.grade}", f"{g.label}（{'达标' if g.meets else '不达标'}）"])
    xlsx.append(info, [NA, "不适用（仅限“可不适用”为“是”的条款）"])
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 50
    return _save(wb)


def read_grades_excel(
    data: bytes, filename: str, catalog: CatalogSpec
) -> dict[str, tuple[str, str]]:
    """Item code → (grade, remark) from a filled-in grading workbook.

    Rows with an empty grade are left out (a draft may be partial); unknown item codes,
    grades outside the scale, NA where not allowed and repeated items are problems.
    """
    with _open(data, filename) as wb:
        if not wb.sheet_names:
            raise ValidationFailed(
                [Problem(_("Not an Excel workbook (.xlsx) that can be read."), file=filename)]
            )
        sheet = GRADES_SHEET if GRADES_SHEET in wb.sheet_names else wb.sheet_names[0]
        return _read_grades(wb.rows(sheet), filename, catalog)


def _read_grades(
    rows: Iterator[list[Any]], filename: str, catalog: CatalogSpec
) -> dict[str, tuple[str, str]]:
    header_row, cols, below = _with_header(rows, GRADE_COLUMNS)
    problems: list[Problem] = []
    missing = [f for f in ("code", "grade") if f not in cols]
    if missing:
        raise ValidationFailed(
            [
                Problem(
                    _("The sheet lacks the columns: %(cols)s.")
                    % {"cols": "、".join(GRADE_COLUMNS[f][0] for f in missing)},
                    file=filename,
                    row=header_row,
                )
            ]
        )
    code_col = get_column_letter(cols["code"] + 1)
    grade_col = get_column_letter(cols["grade"] + 1)
    out: dict[str, tuple[str, str]] = {}
    first_row: dict[str, int] = {}
    for r, row in below:

        def cell(field: str, row=row) -> Any:
            c = cols.get(field)
            return row[c] if c is not None and c < len(row) else None

        code = _text(cell("code"))
        raw_grade = _text(cell("grade"))
        remark = _text(cell("remark"))
        if not code:
            if raw_grade:
                problems.append(
                    Problem(
                        _("A grade without an item code."),
                        file=filename,
                        row=r,
                        column=code_col,
                        field="item_code",
                    )
                )
            continue
        item = catalog.item_map.get(code)
        if item is None:
            problems.append(
                Problem(
                    _("Item code %(code)s is not in catalog %(catalog)s.")
                    % {"code": code, "catalog": catalog.code},
                    file=filename,
                    row=r,
                    column=code_col,
                    field="item_code",
                )
            )
            continue
        if code in first_row:
            problems.append(
                Problem(
                    _("Item %(code)s appears twice (rows %(first)s and %(row)s).")
                    % {"code": code, "first": first_row[code], "row": r},
                    file=filename,
                    row=r,
                    column=code_col,
                    field="item_code",
                )
            )
            continue
        first_row[code] = r
        if not raw_grade:
            continue
        grade = catalog.normalize_grade(raw_grade)
        if grade is None:
            problems.append(
                Problem(
                    _("Item %(code)s: grade '%(grade)s' is not in the scale (%(scale)s).")
                    % {
                        "code": code,
                        "grade": raw_grade,
                        "scale": "/".join(g.grade for g in catalog.scale),
                    },
                    file=filename,
                    row=r,
                    column=grade_col,
                    field="grade",
                )
            )
            continue
        if grade == NA and not item.na_allowed:
            problems.append(
                Problem(
                    _("Item %(code)s may not be graded not applicable (NA).") % {"code": code},
                    file=filename,
                    row=r,
                    column=grade_col,
                    field="grade",
                )
            )
            continue
        out[code] = (grade, remark)
    if problems:
        raise ValidationFailed(problems)
    return out


def read_grades_csv(
    data: bytes, filename: str, catalog: CatalogSpec
) -> tuple[dict[str, str], dict[str, int]]:
    """Grades from a CSV with columns ``item_code,grade`` (UTF-8 or GBK, as Excel saves it).

    Returns item code → grade (normalised to the scale where it matches) and item code →
    row number, so that later problems can name the row. Grades outside the scale are
    passed through for :func:`compute_verdict` to report.
    """
    import csv

    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValidationFailed([Problem(_("The file is not UTF-8 or GBK text."), file=filename)])
    rows = list(csv.reader(io.StringIO(text)))
    problems: list[Problem] = []
    header = [h.strip().lower() for h in rows[0]] if rows else []
    code_names = {n.lower() for n in GRADE_COLUMNS["code"]}
    grade_names = {n.lower() for n in GRADE_COLUMNS["grade"]}
    code_i = next((i for i, h in enumerate(header) if h in code_names), None)
    grade_i = next((i for i, h in enumerate(header) if h in grade_names), None)
    if code_i is None or grade_i is None:
        raise ValidationFailed(
            [
                Problem(
                    _("The first row must name the columns item_code and grade."),
                    file=filename,
                    row=1,
                )
            ]
        )
    grades: dict[str, str] = {}
    where: dict[str, int] = {}
    for r, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        code = row[code_i].strip() if code_i < len(row) else ""
        raw = row[grade_i].strip() if grade_i < len(row) else ""
        if not code:
            problems.append(
                Problem(_("The item code is empty."), file=filename, row=r, field="item_code")
            )
            continue
        if code in where:
            problems.append(
                Problem(
                    _("Item %(code)s appears twice (rows %(first)s and %(row)s).")
                    % {"code": code, "first": where[code], "row": r},
                    file=filename,
                    row=r,
                    field="item_code",
                )
            )
            continue
        where[code] = r
        if raw:
            grades[code] = catalog.normalize_grade(raw) or raw
    if problems:
        raise ValidationFailed(problems)
    return grades, where
