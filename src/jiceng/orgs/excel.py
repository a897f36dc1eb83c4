"""The Excel template of the organisation tree: its columns, reading it, writing it.

Reading goes through :mod:`jiceng.core.xlsx` (size limits, then python-calamine row by
row); writing uses openpyxl (styles, column widths, data validation) and the same module's
cell writer, so text is never written as a formula. Validation of what
was read against the database lives in :mod:`jiceng.orgs.importer`.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from jiceng.core import xlsx
from jiceng.core.errors import Problem, ValidationFailed

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SHEET_NODES = pgettext_lazy("excel sheet", "Units")
SHEET_YEARS = pgettext_lazy("excel sheet", "Yearly figures")
SHEET_HELP = pgettext_lazy("excel sheet", "Instructions")


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the attribute it fills, its header and its help text."""

    key: str
    label: Promise
    help: Promise
    required: bool = False
    width: int = 14


NODE_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        pgettext_lazy("excel column", "Code"),
        pgettext_lazy(
            "excel help",
            "Required. The unique code of the unit: the 12-digit division code for a "
            "division, the institution code for an institution. Enter it as text so that "
            "Excel keeps every digit.",
        ),
        required=True,
        width=16,
    ),
    Column(
        "name",
        pgettext_lazy("excel column", "Name"),
        pgettext_lazy("excel help", "Required. The full name of the unit."),
        required=True,
        width=28,
    ),
    Column(
        "kind",
        pgettext_lazy("excel column", "Type"),
        pgettext_lazy(
            "excel help",
            "Required. One of the types listed below, in Chinese or as its code.",
        ),
        required=True,
        width=20,
    ),
    Column(
        "parent",
        pgettext_lazy("excel column", "Parent code"),
        pgettext_lazy(
            "excel help",
            "The code of the unit above this one. It may be a unit further down in this "
            "file or one already in the system. Empty only for a province. Changing it "
            "moves the unit (recorded in its history).",
        ),
        width=16,
    ),
    Column(
        "opened",
        pgettext_lazy("excel column", "Opened on"),
        pgettext_lazy("excel help", "Optional. A date cell, or text in the form YYYY-MM-DD."),
        width=12,
    ),
    Column(
        "closed",
        pgettext_lazy("excel column", "Closed on"),
        pgettext_lazy(
            "excel help",
            "Optional. The date the unit was closed (a date cell or YYYY-MM-DD); "
            "empty while it is open.",
        ),
        width=12,
    ),
    Column(
        "address",
        pgettext_lazy("excel column", "Address"),
        pgettext_lazy("excel help", "Optional. The postal address."),
        width=36,
    ),
    Column(
        "longitude",
        pgettext_lazy("excel column", "Longitude"),
        pgettext_lazy(
            "excel help",
            "Optional. Where the institution is, for the maps: WGS84 longitude in decimal "
            "degrees (e.g. 120.15507), from -180 to 180. Give the latitude too. A column left "
            "out of the sheet leaves the location unchanged.",
        ),
        width=12,
    ),
    Column(
        "latitude",
        pgettext_lazy("excel column", "Latitude"),
        pgettext_lazy(
            "excel help",
            "Optional. WGS84 latitude in decimal degrees (e.g. 30.27408), from -90 to 90.",
        ),
        width=12,
    ),
)

_FIGURE_HELP = pgettext_lazy(
    "excel help",
    "Optional. A whole number, not negative. An empty cell clears the figure; "
    "a column left out of the sheet leaves the figure unchanged.",
)

YEAR_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        pgettext_lazy("excel column", "Code"),
        pgettext_lazy(
            "excel help",
            "Required. The code of a unit in the sheet of units or already in the system.",
        ),
        required=True,
        width=16,
    ),
    Column(
        "year",
        pgettext_lazy("excel column", "Year"),
        pgettext_lazy("excel help", "Required. The year the figures describe, e.g. 2025."),
        required=True,
        width=8,
    ),
    Column(
        "permanent_residents",
        pgettext_lazy("excel column", "Permanent residents"),
        pgettext_lazy(
            "excel help",
            "Resident population of the unit's service area at the end of the year. "
            "Each age band below cannot exceed it.",
        ),
    ),
    Column("residents_65_plus", pgettext_lazy("excel column", "Residents aged 65+"), _FIGURE_HELP),
    Column("children_0_6", pgettext_lazy("excel column", "Children aged 0-6"), _FIGURE_HELP),
    Column("adults_18_plus", pgettext_lazy("excel column", "Adults aged 18+"), _FIGURE_HELP),
    Column("key_population", pgettext_lazy("excel column", "Key population"), _FIGURE_HELP),
    Column("beds", pgettext_lazy("excel column", "Beds"), _FIGURE_HELP, width=10),
    Column("doctors", pgettext_lazy("excel column", "Doctors"), _FIGURE_HELP, width=10),
    Column(
        "general_practitioners",
        pgettext_lazy("excel column", "General practitioners"),
        pgettext_lazy("excel help", "Optional. Cannot exceed the number of doctors."),
    ),
    Column("nurses", pgettext_lazy("excel column", "Nurses"), _FIGURE_HELP, width=10),
    Column("fd_teams", pgettext_lazy("excel column", "Family-doctor teams"), _FIGURE_HELP),
)

# The languages whose headers and type labels the importer recognises.
READ_LANGUAGES = ("zh-hans", "en")


def aliases(text: Promise) -> set[str]:
    """The spellings of a translated text the importer accepts (Chinese, English, current)."""
    names = {str(text).strip()}
    for lang in READ_LANGUAGES:
        with translation.override(lang):
            names.add(str(text).strip())
    return names


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --------------------------------------------------------------------------- reading


@dataclass
class SheetRows:
    """The data rows of one sheet, keyed by column key, with their Excel row numbers."""

    name: str
    columns: dict[str, int] = field(default_factory=dict)  # key -> 0-based column index
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def cell_ref(self, key: str) -> str:
        """``机构!C``: the sheet and column letter of a column key."""
        if key in self.columns:
            return f"{self.name}!{column_letter(self.columns[key])}"
        return self.name


@dataclass
class RawWorkbook:
    filename: str
    nodes: SheetRows
    years: SheetRows | None


def _sniff(data: bytes) -> str | None:
    """What the bytes look like, judged by content: 'xlsx', 'xls', or a description."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return _("a damaged ZIP archive")
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return _("a Word document")
        if "content.xml" in names:
            return _("an OpenDocument file")
        return _("a ZIP archive")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if data[:5] == b"%PDF-":
        return _("a PDF document")
    if data[:4] in (b"\x89PNG",) or data[:3] == b"\xff\xd8\xff":
        return _("an image")
    head = data[:2048]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return _("an unknown binary file")
    if "<html" in text.lower():
        return _("a web page (HTML)")
    if "," in text or "\t" in text:
        return _("a CSV or text file")
    return _("a text file")


def _header_map(
    header: list[Any], columns: Iterable[Column], sheet: str, filename: str
) -> tuple[dict[str, int], list[Problem]]:
    found: dict[str, int] = {}
    problems: list[Problem] = []
    wanted = {alias: col for col in columns for alias in aliases(col.label)}
    for index, cell in enumerate(header):
        text = str(cell).strip() if cell not in (None, "") else ""
        col = wanted.get(text)
        if col is None:
            continue
        if col.key in found:
            problems.append(
                Problem(
                    _("The column %(column)s appears twice in the header.") % {"column": col.label},
                    file=filename,
                    row=1,
                    column=f"{sheet}!{column_letter(index)}",
                    field=str(col.label),
                    label=str(col.label),
                )
            )
            continue
        found[col.key] = index
    for col in columns:
        if col.required and col.key not in found:
            problems.append(
                Problem(
                    _("The sheet %(sheet)s has no column %(column)s in its first row.")
                    % {"sheet": sheet, "column": col.label},
                    file=filename,
                    row=1,
                    column=sheet,
                    field=str(col.label),
                    label=str(col.label),
                )
            )
    return found, problems


def _read_sheet(
    book, sheet_name: str, columns: tuple[Column, ...], filename: str, problems: list[Problem]
) -> SheetRows:
    rows = book.rows(sheet_name)
    header = next(rows, None)
    sheet = SheetRows(name=sheet_name)
    if not header:
        problems.append(
            Problem(
                _("The sheet %(sheet)s is empty: its first row must hold the column headers.")
                % {"sheet": sheet_name},
                file=filename,
                column=sheet_name,
            )
        )
        return sheet
    sheet.columns, header_problems = _header_map(header, columns, sheet_name, filename)
    problems.extend(header_problems)
    for number, raw in enumerate(rows, start=2):
        values = {
            key: (raw[index] if index < len(raw) else "") for key, index in sheet.columns.items()
        }
        if all(v in ("", None) or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        sheet.rows.append((number, values))
    return sheet


def read_workbook(data: bytes, filename: str) -> RawWorkbook:
    """Read the two sheets of an import file; raise ValidationFailed on a bad file.

    The file goes through :mod:`jiceng.core.xlsx`, which refuses it past the size limits.
    """
    if not data:
        raise ValidationFailed([Problem(_("The file is empty."), file=filename)])
    kind = _sniff(data)
    if kind not in ("xlsx", "xls"):
        raise ValidationFailed(
            [
                Problem(
                    _(
                        "The file is not an Excel workbook (it looks like %(what)s). "
                        "Save it from Excel as .xlsx and upload it again."
                    )
                    % {"what": kind},
                    file=filename,
                )
            ]
        )
    with xlsx.open_xlsx(data, filename) as book:
        names = book.sheet_names
        by_alias = {}
        for name in names:
            by_alias.setdefault(name.strip(), name)
        node_sheet = next((by_alias[a] for a in aliases(SHEET_NODES) if a in by_alias), None)
        year_sheet = next((by_alias[a] for a in aliases(SHEET_YEARS) if a in by_alias), None)
        if node_sheet is None:
            raise ValidationFailed(
                [
                    Problem(
                        _("The workbook has no sheet named %(sheet)s; its sheets are: %(names)s.")
                        % {
                            "sheet": SHEET_NODES,
                            "names": "、".join(names) if names else _("(none)"),
                        },
                        file=filename,
                    )
                ]
            )
        problems: list[Problem] = []
        nodes = _read_sheet(book, node_sheet, NODE_COLUMNS, filename, problems)
        years = (
            _read_sheet(book, year_sheet, YEAR_COLUMNS, filename, problems) if year_sheet else None
        )
    if problems:
        raise ValidationFailed(problems)
    return RawWorkbook(filename=filename, nodes=nodes, years=years)


# --------------------------------------------------------------------------- writing


def kind_labels() -> list[tuple[str, str]]:
    """(code, label in the current language) of every unit type."""
    from jiceng.orgs.models import Kind

    return [(k.value, str(k.label)) for k in Kind]


def _style_header(ws, columns: tuple[Column, ...]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    fill = PatternFill("solid", fgColor="1F4E79")
    font = Font(bold=True, color="FFFFFF")
    thin = Side(style="thin", color="999999")
    for index, col in enumerate(columns, start=1):
        cell = _put(ws, 1, index, str(col.label))
        cell.fill = fill
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = Border(bottom=thin)
        ws.column_dimensions[column_letter(index - 1)].width = col.width + 4
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22


def _help_sheet(wb, example: bool) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(str(SHEET_HELP))
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 90
    rows: list[tuple[str, str, str]] = [
        (_("How to fill in this workbook"), "", ""),
        (
            "",
            "",
            _(
                "Fill in one row per unit in the sheet %(nodes)s and, if you have them, "
                "one row per unit and year in the sheet %(years)s. Importing creates units "
                "whose code is new and updates the others; nothing is saved if any row has "
                "a problem, and every problem is listed with its row and column."
            )
            % {"nodes": SHEET_NODES, "years": SHEET_YEARS},
        ),
        ("", "", ""),
        (_("Sheet"), _("Column"), _("Meaning")),
    ]
    for sheet, columns in ((SHEET_NODES, NODE_COLUMNS), (SHEET_YEARS, YEAR_COLUMNS)):
        for col in columns:
            rows.append((str(sheet), str(col.label), str(col.help)))
    rows += [("", "", ""), (_("Types"), _("Code"), _("Chinese name"))]
    for code, label in kind_labels():
        rows.append(("", code, label))
    if example:
        rows += [
            ("", "", ""),
            (_("Example"), "", ""),
            (
                str(SHEET_NODES),
                "",
                _(
                    "330101100000 | Example township health centre | %(kind)s | "
                    "330101000000 | 2001-05-01 | | No. 1 Main Street"
                )
                % {"kind": dict(kind_labels())["township_hc"]},
            ),
            (
                str(SHEET_YEARS),
                "",
                "330101100000 | 2025 | 32000 | 5100 | 1900 | 25000 | 9000 | 60 | 25 | 8 | 30 | 10",
            ),
        ]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value or None)
            cell.alignment = wrap
        if r == 1 or values[0] in {str(_("Sheet")), str(_("Types")), str(_("Example"))}:
            for c in range(1, 4):
                ws.cell(row=r, column=c).font = bold


def _kind_validation(ws, rows: int) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    labels = ",".join(label for _code, label in kind_labels())
    dv = DataValidation(
        type="list",
        formula1=f'"{labels}"',
        allow_blank=False,
        showErrorMessage=True,
        errorTitle=str(pgettext_lazy("excel column", "Type")),
        error=_("Choose a type from the list."),
    )
    ws.add_data_validation(dv)
    kind_col = column_letter([c.key for c in NODE_COLUMNS].index("kind"))
    dv.add(f"{kind_col}2:{kind_col}{max(rows, 1000)}")


def _put(ws, row: int, column: int, value):
    """Write a cell; text is always text, never a formula (so ``=…`` in a name stays a name)."""
    return xlsx.put(ws, row, column, value)


def write_workbook(nodes: Iterable, years: Iterable, *, example: bool = False) -> bytes:
    """An .xlsx in the import template holding ``nodes`` and their ``years`` rows."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = str(SHEET_NODES)
    _style_header(ws, NODE_COLUMNS)
    labels = dict(kind_labels())
    text_cols = {"code", "parent"}
    count = 1
    for node in nodes:
        count += 1
        values = {
            "code": node.code,
            "name": node.name,
            "kind": labels.get(node.kind, node.kind),
            "parent": node.parent.code if node.parent_id else None,
            "opened": node.opened,
            "closed": node.closed,
            "address": node.address or None,
            "longitude": float(node.longitude) if node.longitude is not None else None,
            "latitude": float(node.latitude) if node.latitude is not None else None,
        }
        for index, col in enumerate(NODE_COLUMNS, start=1):
            cell = _put(ws, count, index, values[col.key])
            if col.key in text_cols:
                cell.number_format = "@"
            elif col.key in {"opened", "closed"}:
                cell.number_format = "yyyy-mm-dd"
    _kind_validation(ws, count)

    wy = wb.create_sheet(str(SHEET_YEARS))
    _style_header(wy, YEAR_COLUMNS)
    r = 1
    for row in years:
        r += 1
        for index, col in enumerate(YEAR_COLUMNS, start=1):
            value = row.node.code if col.key == "code" else getattr(row, col.key)
            cell = _put(wy, r, index, value)
            if col.key == "code":
                cell.number_format = "@"
    _help_sheet(wb, example)
    return xlsx.to_bytes(wb)


def today_stamp() -> str:
    return dt.date.today().strftime("%Y%m%d")
