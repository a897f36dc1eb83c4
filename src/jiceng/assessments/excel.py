"""Excel export of a published list (公示名单) with counts by county and by type."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from jiceng.core import xlsx


def _sheet_table(ws, header: list[str], rows: list[list]) -> None:
    xlsx.append(ws, header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx.append(ws, row)


def publication_workbook(table: dict) -> bytes:
    """An xlsx with the list, the counts by county and by type, and the headline."""
    from jiceng.assessments.queries import headline_sentence

    wb = Workbook()
    ws = wb.active
    ws.title = _("List")
    xlsx.append(
        ws,
        [
            _("%(year)s evaluation results of %(region)s")
            % {"year": table["year"], "region": table["region"].name}
        ],
    )
    ws["A1"].font = Font(bold=True, size=13)
    xlsx.append(ws, [headline_sentence(table) if table["total"] else _("Nothing published yet.")])
    xlsx.append(ws, [])
    _sheet_table(
        ws,
        [
            _("County"),
            pgettext("evaluation", "Institution code"),
            pgettext("evaluation", "Institution"),
            _("Type"),
            _("Verdict"),
            _("Deciding level"),
            _("Valid from"),
            _("Valid until"),
            _("Status"),
        ],
        [
            [
                r["county"].name if r["county"] else "",
                r["record"].institution.code,
                r["record"].institution.name,
                r["record"].institution.get_kind_display(),
                r["record"].get_verdict_display(),
                r["record"].get_level_display(),
                r["record"].valid_from,
                r["record"].valid_until,
                r["record"].get_status_display(),
            ]
            for r in table["rows"]
        ],
    )
    for col, width in zip("ABCDEFGHI", [12, 16, 30, 18, 16, 12, 12, 12, 14], strict=True):
        ws.column_dimensions[col].width = width
    for name, key in ((_("By county"), "by_county"), (_("By type"), "by_kind")):
        sheet = wb.create_sheet(name)
        header = [_("Group"), _("Institutions")]
        for label in table["verdict_labels"]:
            header += [label, _("%(label)s (%%)") % {"label": label}]
        rows = []
        for r in table[key]:
            row = [r["name"], r["total"]]
            for n, pct in zip(r["counts"], r["percents"], strict=True):
                row += [n, pct]
            rows.append(row)
        _sheet_table(sheet, header, rows)
        for line in sheet.iter_rows(min_row=2, min_col=2):
            for i, cell in enumerate(line):
                # counts whole; the "(%)" columns hold percentages with one decimal (33.3)
                cell.number_format = "0.0" if i % 2 == 0 and i > 0 else xlsx.WHOLE
        sheet.column_dimensions["A"].width = 24
        for cell in sheet[1]:
            cell.alignment = Alignment(wrap_text=True)
    return xlsx.to_bytes(wb)
