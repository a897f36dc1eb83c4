"""Exports of an appraisal: the ranking (Excel and Word) and the fund allocation for the
finance office (Excel, with the arithmetic of each amount)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from jiceng.appraisal import engine
from jiceng.appraisal.results import Row
from jiceng.core import xlsx


def _title(appraisal) -> str:
    return f"{appraisal.scheme.title} · {appraisal.region.name} · {appraisal.year}"


def _num(text: str | None):
    return float(text) if text not in (None, "") else None


def ranking_workbook(appraisal, rows: list[Row]) -> bytes:
    """One row a unit: rank, score, grade, amount, then every item's points."""
    scheme = engine.scheme_of(appraisal.scheme)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Ranking")
    xlsx.append(ws, [_title(appraisal)])
    ws.cell(row=1, column=1).font = Font(bold=True)
    xlsx.append(
        ws,
        [
            _("Rank"),
            _("Unit code"),
            _("Unit"),
            _("Above"),
            _("Score"),
            _("Grade"),
            _("Amount (yuan)"),
            *[f"{i.name}（{engine.plain(i.points)}）" for i in scheme.items],
        ],
    )
    for r in rows:
        points = []
        for i in scheme.items:
            cell = r.items.get(i.code)
            points.append(_num(cell.points) if cell and cell.points is not None else "—")
        n = xlsx.append(
            ws,
            [
                r.rank,
                r.unit,
                r.name,
                r.parent,
                _num(r.score),
                r.grade or "",
                _num(r.amount),
                *points,
            ],
        )
        ws.cell(row=n, column=5).number_format = "0.00"
        ws.cell(row=n, column=7).number_format = "#,##0.00"
    return xlsx.to_bytes(wb)


def funds_workbook(appraisal, rows: list[Row], weight_total: str | None) -> bytes:
    """The allocation for the finance office: population, score, weight, share and amount,
    with the total that equals the pool."""
    scheme = engine.scheme_of(appraisal.scheme)
    fund = scheme.fund
    wb = Workbook()
    ws = wb.active
    ws.title = _("Fund allocation")
    xlsx.append(ws, [_title(appraisal)])
    ws.cell(row=1, column=1).font = Font(bold=True)
    if fund is not None and fund.rule == "score_population":
        xlsx.append(ws, [_("Pool (yuan)"), float(fund.pool)])
        xlsx.append(ws, [_("Σ population × score"), _num(weight_total)])
        header = [
            _("Unit code"),
            _("Unit"),
            _("Population"),
            _("Score"),
            _("Population × score"),
            _("Share"),
            _("Amount (yuan)"),
        ]
    else:
        header = [
            _("Unit code"),
            _("Unit"),
            _("Population"),
            _("Grade"),
            _("Yuan per resident"),
            _("Amount (yuan)"),
        ]
    xlsx.append(ws, header)
    total = Decimal(0)
    for r in rows:
        if fund is not None and fund.rule == "score_population":
            share = (
                float(engine.fraction(r.weight) / engine.fraction(weight_total))
                if r.weight and weight_total
                else None
            )
            n = xlsx.append(
                ws,
                [
                    r.unit,
                    r.name,
                    r.population,
                    _num(r.score),
                    _num(r.weight),
                    share,
                    _num(r.amount),
                ],
            )
            ws.cell(row=n, column=6).number_format = "0.0000%"
            ws.cell(row=n, column=7).number_format = "#,##0.00"
        else:
            rate = fund.rate(r.grade) if fund is not None and r.grade else None
            n = xlsx.append(
                ws,
                [
                    r.unit,
                    r.name,
                    r.population,
                    r.grade or "",
                    float(rate) if rate is not None else None,
                    _num(r.amount),
                ],
            )
            ws.cell(row=n, column=6).number_format = "#,##0.00"
        total += Decimal(r.amount or 0)
    n = xlsx.append(
        ws,
        [_("Total"), "", "", "", "", "", float(total)]
        if fund is not None and fund.rule == "score_population"
        else [_("Total"), "", "", "", "", float(total)],
    )
    ws.cell(row=n, column=1).font = Font(bold=True)
    return xlsx.to_bytes(wb)


def ranking_document(appraisal, rows: list[Row], warnings: list[str]) -> bytes:
    """The ranking as a Word document (python-docx), for the commission's notice."""
    from docx import Document

    doc = Document()
    doc.add_heading(_title(appraisal), level=1)
    status = appraisal.get_status_display()
    doc.add_paragraph(f"{_('Status')}：{status}")
    table = doc.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        [_("Rank"), _("Unit"), _("Above"), _("Score"), _("Grade"), _("Amount (yuan)")],
        strict=True,
    ):
        cell.text = str(text)
    for r in rows:
        cells = table.add_row().cells
        values = [
            str(r.rank or "—"),
            r.name,
            r.parent,
            r.score or "—",
            r.grade or "—",
            r.amount or "—",
        ]
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    for w in warnings:
        doc.add_paragraph(w)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
