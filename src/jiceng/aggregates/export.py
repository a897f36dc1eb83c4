"""The reporting-rate summary as an Excel workbook (regions, late units, missing units)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from jiceng.aggregates.models import DataSetVersion
from jiceng.aggregates.queries import Reporting
from jiceng.core import xlsx


def reporting_workbook(version: DataSetVersion, rep: Reporting) -> bytes:
    """Three sheets: by region, late units, missing units (the reminder list)."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("By region")
    xlsx.append(ws, [f"{version.name} · {rep.node.name} · {rep.period.label}"])
    ws.cell(row=1, column=1).font = Font(bold=True)
    xlsx.append(
        ws,
        [
            _("Region"),
            _("Expected"),
            _("Received"),
            _("On time"),
            _("Completeness"),
            _("Timeliness"),
        ],
    )
    rows = [
        (row["node"].name, row["expected"], row["received"], row["on_time"])
        for row in [rep.total, *rep.regions]
    ]
    for name, e, r, t in rows:
        n = xlsx.append(ws, [name, e, r, t, r / e if e else None, t / e if e else None])
        for col in (5, 6):
            ws.cell(row=n, column=col).number_format = xlsx.PERCENT_2
    for title, entries in ((_("Late"), rep.late), (_("Missing"), rep.missing)):
        sheet = wb.create_sheet(title)
        xlsx.append(sheet, [_("Unit"), _("Code"), _("Above"), _("Period"), _("Completed on")])
        for entry in entries:
            xlsx.append(
                sheet,
                [
                    entry["unit"].name,
                    entry["unit"].code,
                    entry["parent"].name if entry["parent"] else "",
                    entry["period"],
                    entry["completed_at"].isoformat() if entry["completed_at"] else "",
                ],
            )
    return xlsx.to_bytes(wb)


def values_workbook(version: DataSetVersion, node_name: str, period: str, table: dict) -> bytes:
    """The aggregated values table: one row per element, option and indicator."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Aggregated values")
    xlsx.append(ws, [f"{version.name} · {node_name} · {period}"])
    ws.cell(row=1, column=1).font = Font(bold=True)
    xlsx.append(ws, [_("Code"), _("Name"), *[n.name for n in table["columns"]]])
    extra = [
        {"code": "_completeness", "name": _("Completeness"), "values": table["completeness"]},
        {"code": "_timeliness", "name": _("Timeliness"), "values": table["timeliness"]},
    ]
    for row in [*table["rows"], *extra]:
        cells = [_number(v) for v in row["values"]]
        n = xlsx.append(ws, [row["code"], row["name"], *cells])
        for col, v in enumerate(cells, start=3):
            if isinstance(v, float):
                ws.cell(row=n, column=col).number_format = xlsx.count_format(v)
    _changes_sheet(wb, node_name, table)
    return xlsx.to_bytes(wb)


def _changes_sheet(wb: Workbook, node_name: str, table: dict) -> None:
    """The node's values against the previous period and last year, targets and ✓/✗."""
    span = table["span"]
    ws = wb.create_sheet(_("Changes and targets"))
    xlsx.append(ws, [f"{node_name} · {span.shown.label}"])
    ws.cell(row=1, column=1).font = Font(bold=True)
    xlsx.append(
        ws,
        [
            _("Code"),
            _("Name"),
            span.shown.label,
            f"{_('Previous period')} {span.previous.label}",
            _("Change"),
            f"{_('Same period last year')} {span.last_year.label}",
            _("Change"),
            _("Unit of change"),
            _("Target"),
            _("Met"),
        ],
    )
    for row in table["rows"]:
        met = row["met"][0]
        xlsx.append(
            ws,
            [
                row["code"],
                row["name"],
                _number(row["values"][0]),
                _number(row["previous"]),
                _float(row["change_previous"]),
                _number(row["last_year"]),
                _float(row["change_last_year"]),
                _("percentage points") if row["rate"] else "%",
                row["target"].text if row["target"] else "",
                "✓" if met is True else "✗" if met is False else "",
            ],
        )


def _float(value):
    return None if value is None else float(value)


def _number(text: str):
    """A number as a number (Excel sums it), anything else as text; empty stays empty."""
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text
