"""Workbooks of satisfaction surveys: the import template and the rates of a node."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from jiceng.core import xlsx
from jiceng.surveys.queries import Comparison, QuestionRate, RateRow
from jiceng.surveys.questionnaire import Questionnaire
from jiceng.surveys.responses import template_header

PP = "+0.0;-0.0;0.0"  # percentage points with their sign


def template_workbook(d: Questionnaire) -> bytes:
    """The header of the import file, one example row, and a sheet listing the options."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Responses")
    xlsx.append(ws, template_header(d))
    example = ["", dt.date.today().isoformat(), "", ""]
    for x in d.questions:
        example.append(x.options[0].code if x.options else "")
    xlsx.append(ws, example)
    for col in range(1, len(example) + 1):
        ws.cell(row=1, column=col).font = Font(bold=True)
    sheet = wb.create_sheet(_("Options"))
    xlsx.append(
        sheet, [_("Question"), _("Text"), _("Option"), _("Option text"), _("Counts as satisfied")]
    )
    for x in d.questions:
        if not x.options:
            xlsx.append(sheet, [x.code, x.text, "", _("(free text)"), ""])
        for o in x.options:
            xlsx.append(sheet, [x.code, x.text, o.code, o.text, _("yes") if o.satisfied else ""])
    return xlsx.to_bytes(wb)


def rates_workbook(
    node,
    kind_label: str,
    cmp: Comparison,
    rows: list[RateRow],
    questions: list[QuestionRate],
    comments=(),
) -> bytes:
    """The rates of a node and its children (first sheet), by question (second), and the
    comments said (third: date, institution, comment)."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Satisfaction")
    xlsx.append(ws, [f"{node.name} · {kind_label} · {cmp.period.label}"])
    ws.cell(row=1, column=1).font = Font(bold=True)
    head = [
        pgettext("surveys", "Unit"),
        _("Code"),
        _("Respondents"),
        _("Satisfied respondents"),
        _("Rate (%)"),
        _("Rate %(period)s (%%)") % {"period": cmp.previous.label},
        _("Change (points)"),
    ]
    if cmp.last_year is not None:
        head += [
            _("Rate %(period)s (%%)") % {"period": cmp.last_year.label},
            _("Change (points)"),
        ]
    xlsx.append(ws, head)
    for r in rows:
        values = [
            r.node.name,
            r.node.code,
            r.answered,
            r.satisfied,
            r.rate,
            r.previous,
            r.change_previous,
        ]
        if cmp.last_year is not None:
            values += [r.last_year, r.change_last_year]
        n = xlsx.append(ws, [float(v) if hasattr(v, "as_tuple") else v for v in values])
        for col in (5, 6, 8):
            ws.cell(row=n, column=col).number_format = "0.0"
        for col in (7, 9):
            ws.cell(row=n, column=col).number_format = PP
    sheet = wb.create_sheet(_("By question"))
    xlsx.append(
        sheet,
        [
            _("Questionnaire"),
            _("Question"),
            _("Text"),
            _("Answered"),
            _("Satisfied respondents"),
            _("Rate (%)"),
        ],
    )
    for x in questions:
        n = xlsx.append(
            sheet,
            [
                str(x.questionnaire),
                x.code,
                x.text,
                x.answered,
                x.satisfied,
                float(x.rate) if x.rate is not None else None,
            ],
        )
        sheet.cell(row=n, column=6).number_format = "0.0"
    said = wb.create_sheet(_("Comments"))
    xlsx.append(said, [_("Date"), pgettext("surveys", "Institution"), _("Code"), _("Comment")])
    for r in comments:
        xlsx.append(said, [r.date.isoformat(), r.institution.name, r.institution.code, r.comment])
    return xlsx.to_bytes(wb)
