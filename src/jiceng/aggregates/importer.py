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


def import_values(actor, dataset_code: str, data: bytes, filename: str) -> dict:
    """Read and save the file's values; ValidationFailed with every problem otherwise."""
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
    return save_rows(actor, dataset_code, rows, filename)
