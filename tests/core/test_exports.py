"""Every workbook and CSV jiceng writes stores text as text: never a live formula."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.core import xlsx
from jiceng.core.exports import FORMULA_START, csv_writer, read_back

# Text that a spreadsheet would run: OWASP's CSV injection starts, and a few classics.
NASTY = [
    "=1+1",
    '=HYPERLINK("http://evil.example","点击")',
    "=cmd|' /C calc'!A0",
    "+86 571 0000",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
    "_x0041_",
]

XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13))
        + "\ufffe\uffff",
    )
)


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))


def assert_no_formula(data: bytes) -> None:
    """No cell of any sheet of ``data`` is a formula, as Excel would see it."""
    assert not re.search(r"<(\w+:)?f[\s>/]", sheet_xml(data)), "a cell holds a formula"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def texts_in(data: bytes) -> set[str]:
    """Every text cell as Excel shows it (calamine unescapes ``_xHHHH_`` as Excel does)."""
    with xlsx.open_xlsx(data, "export.xlsx") as book:
        return {
            v
            for name in book.sheet_names
            for row in book.rows(name)
            for v in row
            if isinstance(v, str)
        }


def assert_written_as_text(data: bytes, expected: list[str]) -> None:
    assert_no_formula(data)
    missing = set(expected) - texts_in(data)
    assert not missing, f"not written back as the same text: {missing}"


@settings(max_examples=200, deadline=None)
@given(st.lists(XML_TEXT, min_size=1, max_size=6))
def test_any_text_is_written_to_a_workbook_as_the_same_text(texts):
    wb = openpyxl.Workbook()
    for text in texts:
        xlsx.append(wb.active, [text, 1])
    data = xlsx.to_bytes(wb)
    assert_no_formula(data)
    with xlsx.open_xlsx(data, "t.xlsx") as book:
        got = [row[0] for row in book.rows(book.sheet_names[0])]
    assert got == texts


@given(st.text(max_size=20))
def test_characters_xml_cannot_hold_are_replaced_not_fatal(text):
    wb = openpyxl.Workbook()
    xlsx.append(wb.active, [text])
    assert_no_formula(xlsx.to_bytes(wb))


def test_nasty_text_written_with_openpyxl_directly_is_still_saved_as_text():
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=1+1"
    wb.active.append(["=2+2"])
    assert_written_as_text(xlsx.to_bytes(wb), ["=1+1", "=2+2"])


@settings(max_examples=300)
@given(st.lists(st.text(), min_size=1, max_size=5))
def test_any_text_is_written_to_a_csv_inert_and_reads_back_the_same(texts):
    out = io.StringIO()
    csv_writer(out).writerow(texts)
    cells = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert [read_back(c) for c in cells] == texts
    for cell in cells:
        assert not cell.startswith(FORMULA_START) or re.fullmatch(
            r"[+-]?[\d.]+(e[+-]?\d+)?", cell, re.I
        )


def test_numbers_stay_numbers_in_a_csv():
    out = io.StringIO()
    csv_writer(out).writerow([-5, "-5", "+1.5e3", 0.25])
    assert out.getvalue().strip() == "-5,-5,+1.5e3,0.25"


def test_every_workbook_and_csv_is_written_through_the_helpers():
    """A new export cannot bypass the helpers: no module saves a workbook or a CSV itself."""
    src = Path(__file__).parents[2] / "src" / "jiceng"
    allowed = {src / "core" / "xlsx.py", src / "core" / "exports.py"}
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|\b(wb|book|workbook)\.save\(")
    offenders = []
    for path in src.rglob("*.py"):
        if path in allowed:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if (
                pattern.search(line)
                and "pacsv.write_csv" not in line
                and "def write_csv" not in line
            ):
                offenders.append(f"{path.relative_to(src)}:{n}: {line.strip()}")
    assert not offenders, offenders
