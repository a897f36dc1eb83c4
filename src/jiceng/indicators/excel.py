"""The region table as an Excel workbook: Chinese headers, numerators, denominators, rates."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jiceng.core import xlsx
from jiceng.indicators.queries import Table, TableRow

MISS_FILL = PatternFill("solid", fgColor="FDE2E1")


def _row_cells(row: TableRow, table: Table) -> list:
    out: list = [row.node.code, row.node.name]
    for d in table.columns:
        c = row.cells.get(d.code)
        out += [
            c.numerator if c else None,
            c.denominator if c else None,
            c.value if c else None,
        ]
    return out


def table_workbook(table: Table) -> bytes:
    """Bytes of an .xlsx with one row per node (and the region's own total at the bottom).

    Row 1 names the service groups (国家基本公共卫生服务规范) over their columns, as the page
    does; row 2 names the columns.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = f"{table.period}"
    groups: list = [None, None]
    for name, count in table.column_groups:
        groups += [name] + [None] * (3 * count - 1)
    xlsx.append(ws, groups)
    col = 3
    for _name, count in table.column_groups:
        ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 3 * count - 1)
        ws.cell(1, col).alignment = Alignment(horizontal="center")
        col += 3 * count
    header = [pgettext("indicators", "Code"), pgettext("indicators", "Name")]
    for d in table.columns:
        den = _("%(name)s denominator (estimated)") if d.estimated else _("%(name)s denominator")
        header += [_("%(name)s numerator") % {"name": d.name}, den % {"name": d.name}, d.name]
    xlsx.append(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = list(table.rows)
    if table.total is not None:
        rows.append(table.total)
    for r in rows:
        xlsx.append(ws, _row_cells(r, table))
        excel_row = ws.max_row
        for i, d in enumerate(table.columns):
            base = 3 + i * 3
            num_cell, den_cell = ws.cell(excel_row, base), ws.cell(excel_row, base + 1)
            num_cell.number_format = xlsx.count_format(num_cell.value)
            # an estimated denominator keeps its exact value, shown as a whole number
            den_cell.number_format = (
                xlsx.WHOLE if d.estimated else xlsx.count_format(den_cell.value)
            )
            value_cell = ws.cell(excel_row, base + 2)
            value_cell.number_format = xlsx.PERCENT_2
            c = r.cells.get(d.code)
            if c is not None and c.met is False:
                value_cell.fill = MISS_FILL
    if table.total is not None:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    if table.coverage is not None:  # the total sums the regions below: say what it covers
        xlsx.append(ws, [])
        xlsx.append(ws, [table.coverage.sentence()])
    ws.freeze_panes = "C3"
    ws.column_dimensions["A"].width = 15
    ws.column_dimensions["B"].width = 28
    for col in range(3, 3 + 3 * len(table.columns)):
        ws.column_dimensions[get_column_letter(col)].width = 14
    return xlsx.to_bytes(wb)
