"""The ledger as an Excel workbook (整改台账.xlsx) with Chinese headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jiceng.core import xlsx
from jiceng.rectification.models import LedgerEntry

OVERDUE_FILL = PatternFill("solid", fgColor="FDE2E1")


def headers() -> list[tuple[str, int]]:
    """Column titles (translated) and widths."""
    return [
        (pgettext("ledger", "No."), 13),
        (pgettext("ledger", "County"), 12),
        (pgettext("ledger", "Institution"), 26),
        (pgettext("ledger", "Institution code"), 15),
        (pgettext("ledger", "Source"), 10),
        (pgettext("ledger", "Item code"), 10),
        (pgettext("ledger", "Problem"), 50),
        (pgettext("ledger", "Responsible person"), 12),
        (pgettext("ledger", "Date found"), 12),
        (pgettext("ledger", "Deadline"), 12),
        (pgettext("ledger", "Status"), 10),
        (pgettext("ledger", "Overdue"), 8),
        (pgettext("ledger", "Days overdue"), 10),
        (pgettext("ledger", "Measures taken"), 40),
        (pgettext("ledger", "Reported fixed at"), 17),
        (pgettext("ledger", "Verified by"), 12),
        (pgettext("ledger", "Closed at"), 17),
    ]


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _county_name(entry: LedgerEntry, counties: dict[str, str]) -> str:
    for prefix, name in counties.items():
        if entry.institution.path.startswith(prefix):
            return name
    return ""


def workbook_bytes(entries: Iterable[LedgerEntry], today: dt.date | None = None) -> bytes:
    """Write ``entries`` as one sheet; overdue rows are shaded."""
    from jiceng.orgs.models import Kind, Node

    today = today or timezone.localdate()
    entries = list(entries)
    paths = {e.institution.path for e in entries}
    counties = {
        n.path: n.name
        for n in Node.objects.filter(kind=Kind.COUNTY)
        if any(p.startswith(n.path) for p in paths)
    }
    wb = Workbook()
    ws = wb.active
    ws.title = _("Rectification ledger")[:31]
    cols = headers()
    xlsx.append(ws, [title for title, _w in cols])
    for i, (_title, width) in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        ws.cell(row=1, column=i).font = Font(bold=True)
    ws.freeze_panes = "A2"
    yes, no = pgettext("ledger", "Yes"), pgettext("ledger", "No")
    for e in entries:
        overdue = e.is_overdue(today)
        xlsx.append(
            ws,
            [
                e.number,
                _county_name(e, counties),
                e.institution.name,
                e.institution.code,
                e.get_source_display(),
                e.item_code,
                e.description,
                e.responsible,
                e.opened_on,
                e.deadline,
                e.get_status_display(),
                yes if overdue else no,
                e.days_overdue(today) if overdue else None,
                e.measures,
                _local(e.reported_at),
                str(e.verified_by) if e.verified_by_id else "",
                _local(e.closed_at),
            ],
        )
        row = ws.max_row
        for c in (9, 10):
            ws.cell(row=row, column=c).number_format = "yyyy-mm-dd"
        ws.cell(row=row, column=13).number_format = xlsx.WHOLE  # days overdue
        for c in (7, 14):
            ws.cell(row=row, column=c).alignment = Alignment(wrap_text=True, vertical="top")
        if overdue:
            for c in range(1, len(cols) + 1):
                ws.cell(row=row, column=c).fill = OVERDUE_FILL
    ws.auto_filter.ref = ws.dimensions
    return xlsx.to_bytes(wb)
