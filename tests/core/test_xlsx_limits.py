"""A tiny workbook with a cell at XFD1048576 is refused by every Excel reader, quickly and
with bounded memory; files within the limits are still read row by row."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from jiceng.core import xlsx
from jiceng.core.errors import ValidationFailed

FAR = "XFD1048576"


def far_cell_workbook(sheet: str = "Sheet1", header: tuple[str, ...] = ("代码",)) -> bytes:
    """What openpyxl writes for a header row and one cell at XFD1048576 (about 5 KB)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(header))
    ws[FAR] = "x"
    if sheet == "条款":
        wb.create_sheet("目录信息").append(["编码", "c1"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def crafted(sheet_xml: str, sheet: str = "Sheet1") -> bytes:
    """A minimal .xlsx written by hand, with ``sheet_xml`` as its only sheet's data."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application'
            '/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            f'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="{sheet}" '
            f'sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {ns}>{sheet_xml}</worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return buf.getvalue()


def inline(ref: str | None, value: str) -> str:
    r = f' r="{ref}"' if ref else ""
    return f'<c{r} t="inlineStr"><is><t>{value}</t></is></c>'


@pytest.fixture
def bounded_memory():
    """Caps this process's address space while a test feeds a reader a hostile file: should
    the checks ever let one through, the test dies at once instead of the machine swapping."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * resource.getpagesize()
    cap = used + (8 << 30)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# --------------------------------------------------------------------------- each reader


READERS = {
    "orgs tree": """
        from jiceng.orgs.excel import read_workbook
        read_workbook(data, "bomb.xlsx")
    """,
    "standards catalog": """
        from jiceng.standards.excel import read_catalog_excel
        read_catalog_excel(data, "bomb.xlsx")
    """,
    "grades": """
        from jiceng.standards.excel import read_grades_excel
        read_grades_excel(data, "bomb.xlsx", None)
    """,
    "record set table": """
        from jiceng.analytics.readers import register_raw
        import duckdb
        path = tmp / "orgs.xlsx"
        path.write_bytes(data)
        problems = register_raw(duckdb.connect(), "orgs", path)
        assert problems, "read without a problem"
        raise ValidationFailed(problems)
    """,
}
HEADERS = {
    "orgs tree": ("代码", "名称", "类型", "上级代码"),
    "standards catalog": ("章", "节", "条款编号", "条款内容", "类别"),
    "grades": ("条款编号", "等级"),
    "record set table": ("org_code", "name", "parent_code", "kind"),
}
SHEETS = {
    "orgs tree": "机构",
    "standards catalog": "条款",
    "grades": "评分",
    "record set table": "orgs",
}

RUNNER = """
import json, resource, sys, time, pathlib
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a safety net for this machine
import django
django.setup()
from jiceng.core.errors import ValidationFailed
tmp = pathlib.Path(sys.argv[2])
data = pathlib.Path(sys.argv[1]).read_bytes()
started = time.monotonic()
try:
{body}
    outcome = {{"refused": False}}
except ValidationFailed as exc:
    outcome = {{"refused": True, "message": str(exc)}}
outcome["seconds"] = time.monotonic() - started
# VmHWM is this process image's own peak; ru_maxrss would carry the forking pytest's over exec.
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
outcome["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(outcome, ensure_ascii=False))
"""


def run_reader(reader: str, data: bytes, tmp_path: Path) -> dict:
    src = tmp_path / "bomb.xlsx"
    src.write_bytes(data)
    body = textwrap.indent(textwrap.dedent(READERS[reader]).strip(), "    ")
    script = RUNNER.format(body=body)
    env_python = sys.executable
    proc = subprocess.run(
        [env_python, "-c", script, str(src), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "jiceng.settings"},
    )
    assert proc.returncode == 0, f"the reader died (exit {proc.returncode}): {proc.stderr[-800:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("reader", list(READERS))
def test_a_cell_at_XFD1048576_is_refused_quickly_with_bounded_memory(reader, tmp_path):
    data = far_cell_workbook(SHEETS[reader], HEADERS[reader])
    assert len(data) < 6000
    outcome = run_reader(reader, data, tmp_path)
    assert outcome["refused"], outcome
    assert "bomb.xlsx" in outcome["message"] or reader == "record set table"
    assert SHEETS[reader] in outcome["message"]
    assert "1048576" in outcome["message"]
    assert outcome["seconds"] < 10
    assert outcome["peak_mb"] < 300, outcome


@pytest.mark.parametrize("reader", ["orgs tree", "record set table"])
def test_a_hand_made_sheet_without_a_dimension_is_judged_by_its_cells(reader, tmp_path):
    rows = f'<row r="1">{inline("A1", "代码")}</row><row r="1048576">{inline(FAR, "x")}</row>'
    data = crafted(f"<sheetData>{rows}</sheetData>", SHEETS[reader])
    outcome = run_reader(reader, data, tmp_path)
    assert outcome["refused"], outcome
    assert outcome["peak_mb"] < 300, outcome


# --------------------------------------------------------------------------- the checks


def problems_of(data: bytes, **limits) -> str:
    lim = xlsx.Limits(
        **{
            "max_rows": 1000,
            "max_cols": 50,
            "max_cells": 10_000,
            "max_uncompressed": 10 << 20,
            "max_ratio": 100,
            "max_members": 100,
            **limits,
        }
    )
    try:
        with xlsx.open_xlsx(data, "t.xlsx", lim) as book:
            for name in book.sheet_names:
                book.size(name)  # the check alone: a file it lets through is never loaded here
    except ValidationFailed as exc:
        assert all(p.file == "t.xlsx" for p in exc.problems)
        return str(exc)
    return ""


def test_a_sheet_within_the_limits_is_read_from_A1_row_by_row():
    rows = f'<row r="2">{inline("B2", "h")}{inline("C2", "k")}</row><row r="4">{inline("D4", "x")}</row>'
    data = crafted(f'<dimension ref="B2:D4"/><sheetData>{rows}</sheetData>')
    with xlsx.open_xlsx(data, "t.xlsx") as book:
        assert book.sheet_names == ["Sheet1"]
        assert book.size("Sheet1") == xlsx.SheetSize(4, 4)
        got = list(book.rows("Sheet1"))
    assert got == [["", "", "", ""], ["", "h", "k", ""], ["", "", "", ""], ["", "", "", "x"]]


def test_cells_without_positions_are_counted_too():
    cells = "".join(inline(None, "x") for _i in range(60))
    assert "AY1" in problems_of(crafted(f"<sheetData><row>{cells}</row></sheetData>"))


def test_a_declared_range_past_the_limits_is_refused_even_if_the_cells_are_few():
    data = crafted(
        f'<dimension ref="A1:B5000"/><sheetData><row r="1">{inline("A1", "x")}</row></sheetData>'
    )
    message = problems_of(data)
    assert "A1:B5000" in message and "1000" in message


@pytest.mark.parametrize(
    "limit,value,ref",
    [("max_rows", 3, "A4"), ("max_cols", 2, "C1"), ("max_cells", 8, "A3")],
)
def test_each_limit_refuses_a_sheet_one_past_it(limit, value, ref):
    rows = "".join(
        f'<row r="{r}">' + "".join(inline(f"{c}{r}", "v") for c in "ABC") + "</row>"
        for r in range(1, 5)
    )
    message = problems_of(crafted(f"<sheetData>{rows}</sheetData>"), **{limit: value})
    assert ref in message and str(value) in message and "Sheet1" in message


@override_settings(JICENG_XLSX_MAX_ROWS=2)
def test_the_limits_come_from_the_settings():
    rows = "".join(f'<row r="{r}">{inline(f"A{r}", "v")}</row>' for r in range(1, 4))
    with pytest.raises(ValidationFailed, match="A3"):
        with xlsx.open_xlsx(crafted(f"<sheetData>{rows}</sheetData>"), "t.xlsx") as book:
            list(book.rows("Sheet1"))


def test_a_highly_compressed_part_is_refused_as_a_zip_bomb():
    padding = " " * (3 << 20)
    data = crafted(f"<sheetData>{padding}</sheetData>")
    assert len(data) < 40_000
    message = problems_of(data)
    assert "xl/worksheets/sheet1.xml" in message and "压缩炸弹" in message


def test_a_workbook_that_unpacks_past_the_limit_is_refused():
    message = problems_of(
        crafted("<sheetData>" + " " * 5000 + "</sheetData>"), max_uncompressed=4000
    )
    assert "MB" in message


@pytest.mark.parametrize(
    "data,words",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        (b"%PDF-1.7", ".xlsx"),
        (b"", "空"),
    ],
)
def test_files_that_are_not_xlsx_are_refused_with_a_reason(data, words):
    with translation.override("zh-hans"):
        message = problems_of(data)
    assert words in message


def test_an_xlsb_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.bin", b"\0")
    assert ".xlsb" in problems_of(buf.getvalue())


def test_the_refusal_is_in_chinese():
    with translation.override("zh-hans"):
        message = problems_of(far_cell_workbook())
    assert "工作表“Sheet1”在 XFD1048576 处有单元格" in message and "最多 1000 行" in message


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="XFD1048576"><v>1</v></c>',
        "<c r='XFD1048576'><v>1</v></c>",
        '<c s="a>b" r="XFD1048576"><v>1</v></c>',
        '<c r = "XFD1048576" ><v>1</v></c>',
        '<c r="&#88;FD1048576"><v>1</v></c>',
        '<x:c r="XFD1048576"><x:v>1</x:v></x:c>',
    ],
)
def test_a_far_cell_is_found_however_its_tag_is_written(cell):
    data = crafted(f'<sheetData><row r="1048576">{cell}</row></sheetData>')
    assert "XFD1048576" in problems_of(data)


def test_no_module_reads_a_workbook_without_the_checks():
    """Every Excel reader goes through core/xlsx.py: nobody else opens workbooks."""
    src = Path(__file__).parents[2] / "src" / "jiceng"
    pattern = re.compile(r"CalamineWorkbook|load_workbook|read_excel")
    offenders = [
        f"{path.relative_to(src)}:{n}"
        for path in src.rglob("*.py")
        if path != src / "core" / "xlsx.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


@pytest.mark.parametrize(
    "sheet_data",
    [
        '<row r="1"><c r="A1" r="XFD1048576"><v>1</v></c></row>',
        '<row r="1" r="1048576"><c><v>1</v></c></row>',
    ],
)
def test_a_position_given_twice_is_refused(sheet_data):
    """calamine takes the last of two ``r`` attributes: such a file is not read at all."""
    assert "Sheet1" in problems_of(crafted(f"<sheetData>{sheet_data}</sheetData>"))


def test_cells_without_positions_after_a_long_run_of_positioned_cells_are_placed_by_their_row():
    """The scan reads big sheets in chunks; a row's tag is remembered across them."""
    filler = "".join(
        f'<row r="{r}">' + "".join(inline(f"{c}{r}", "x" * 40) for c in "ABCDE") + "</row>"
        for r in range(1, 12_000)
    )
    tail = '<row r="1048576">' + inline(None, "x") + "</row>"
    data = crafted(f"<sheetData>{filler}{tail}</sheetData>")
    message = problems_of(data, max_rows=100_000, max_cells=10_000_000)
    assert "A1048576" in message
