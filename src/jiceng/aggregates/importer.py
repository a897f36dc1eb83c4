"""A county's file of many units' values: CSV (UTF-8 or GB 18030) or Excel (first sheet), with
the columns of the contract's VALUES.csv: ``org_code,period,element,option,value``.

All or nothing (``batch.save_rows``); every problem names the file, the row (the header is
row 1) and the column.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from jiceng.aggregates.batch import Row, save_rows
from jiceng.core import xlsx
from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.exports import csv_writer

COLUMNS = ("org_code", "period", "element", "option", "value")
REQUIRED = ("org_code", "period", "element", "value")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The rows of the file as text cells, header first."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        with xlsx.open_xlsx(data, filename) as book:
            names = book.sheet_names
            if not names:
                return []
            return [[_cell(c) for c in row] for row in book.rows(names[0])]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed([Problem(_("The file is not UTF-8 or GBK text."), file=filename)])
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def import_values(
    actor, dataset_code: str, data: bytes, filename: str, set_aside: bool = False
) -> dict:
    """Read and save the file's values; ValidationFailed with every problem otherwise.

    With ``set_aside`` the good rows are saved and the result also has ``rejects_file``:
    (file name, content type, bytes) of the bad rows as they were, with a 问题 column, or
    None when every row was saved."""
    table = read_table(data, filename)
    if not table:
        raise ValidationFailed([Problem(_("The file is empty."), file=filename)])
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed(
            [
                Problem(_("Column %(c)s is missing.") % {"c": c}, file=filename, row=1, column=c)
                for c in missing
            ]
        )
    at = {c: header.index(c) for c in COLUMNS if c in header}
    rows = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        get = {c: (cells[i] if i < len(cells) else "") for c, i in at.items()}
        rows.append(
            Row(
                n,
                get["org_code"],
                get["period"],
                get["element"],
                get.get("option", ""),
                get["value"],
            )
        )
    if not rows:
        raise ValidationFailed([Problem(_("The file has no values."), file=filename)])
    done = save_rows(actor, dataset_code, rows, filename, set_aside=set_aside)
    if set_aside:
        done["rejects_file"] = rejects_file(table, done["rejects"], filename)
    return done


PROBLEM_COLUMN = "问题"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rejects_file(
    table: list[list[str]], rejects: list, filename: str
) -> tuple[str, str, bytes] | None:
    """The rejected rows in the file's own layout (header and cells as read) plus a 问题
    column naming the row, the column and the reason: CSV (UTF-8 with BOM, as Excel opens it)
    for a CSV, a workbook for a workbook."""
    if not rejects:
        return None
    width = len(table[0])
    out = [[*table[0], PROBLEM_COLUMN]]
    for row, problems in rejects:
        cells = table[row.row - 1]
        reason = "；".join(f"第{p.row}行，{p.column}列：{p.message}" for p in problems)
        out.append([*cells, *[""] * (width - len(cells)), reason])
    stem = filename.rsplit(".", 1)[0] or "values"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        for cells in out:
            xlsx.append(ws, cells)
        return f"{stem}-rejects.xlsx", XLSX_TYPE, xlsx.to_bytes(wb)
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\r\n").writerows(out)
    return f"{stem}-rejects.csv", "text/csv", buffer.getvalue().encode("utf-8-sig")
