"""The ledger export writes a description, a responsible person or measures that look like a
formula as the same text, never as a live formula."""

from __future__ import annotations

import pytest
from core.test_exports import NASTY, assert_written_as_text

from jiceng.rectification.export import workbook_bytes

pytestmark = pytest.mark.django_db


def test_the_ledger_export_writes_formula_like_text_as_text(entry):
    entry.description = NASTY[1]
    entry.responsible = "@SUM(A1:A9)"
    entry.measures = "=cmd|' /C calc'!A0"
    entry.save()
    assert_written_as_text(workbook_bytes([entry]), [NASTY[1], "@SUM(A1:A9)", NASTY[2]])


def test_the_ledger_export_page_writes_formula_like_text_as_text(entry, personas, client_for):
    entry.description = "-2+3"
    entry.save()
    r = client_for(personas.county_admin).get("/rectification/export.xlsx")
    assert r.status_code == 200
    assert_written_as_text(r.content, ["-2+3"])
