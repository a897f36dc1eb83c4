"""Excel workbooks in and out, safely: every .xlsx jiceng reads or writes goes through here.

Reading (:func:`open_xlsx`): before a sheet is loaded the file is checked — a real .xlsx
(a ZIP holding ``xl/workbook.xml``), its members' total uncompressed size and compression
ratio, and for each sheet both its declared range (``<dimension ref=…>``) and the cells
actually present (one streaming pass over the sheet's XML) — against the limits in the
settings ``JICENG_XLSX_MAX_*``. Past a limit the file is refused with a Chinese message
naming the file, the sheet and the limit. Within them the sheet is read with
python-calamine, row by row; its grid is bounded by ``JICENG_XLSX_MAX_CELLS``.

Writing (:func:`put`, :func:`append`, :func:`to_bytes`): text is always written as text —
never as a formula — whatever it begins with, characters XML cannot hold are replaced, and
``_xHHHH_`` sequences are escaped so that Excel shows them as typed.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from jiceng.core.errors import Problem, ValidationFailed

# Members smaller than this are not judged by their compression ratio.
RATIO_FLOOR_BYTES = 1 << 20
# workbook.xml and its relationships are parsed whole: they must stay small.
_INDEX_MAX_BYTES = 8 << 20
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Limits:
    """What an uploaded workbook may hold (settings ``JICENG_XLSX_*``)."""

    max_rows: int
    max_cols: int
    max_cells: int
    max_uncompressed: int
    max_ratio: int
    max_members: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_rows=settings.JICENG_XLSX_MAX_ROWS,
            max_cols=settings.JICENG_XLSX_MAX_COLS,
            max_cells=settings.JICENG_XLSX_MAX_CELLS,
            max_uncompressed=settings.JICENG_XLSX_MAX_UNCOMPRESSED_BYTES,
            max_ratio=settings.JICENG_XLSX_MAX_RATIO,
            max_members=settings.JICENG_XLSX_MAX_MEMBERS,
        )


# --------------------------------------------------------------------------- reading


def _refuse(message: str, filename: str) -> ValidationFailed:
    return ValidationFailed([Problem(message, file=filename)])


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f}".rstrip("0").rstrip(".")


def column_index(letters: str) -> int:
    """'A' → 1, 'Z' → 26, 'AA' → 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(index: int) -> str:
    """1 → 'A', 27 → 'AA'."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?([0-9]{1,10})$")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """'XFD1048576' → (row, column); None for anything else."""
    m = _REF.match(ref.strip())
    if not m:
        return None
    return int(m.group(2)), column_index(m.group(1))


def _member_count(head_tail: bytes) -> int | None:
    """Entries announced by the ZIP's end-of-central-directory record (None: not found)."""
    at = head_tail.rfind(b"PK\x05\x06")
    if at < 0 or len(head_tail) - at < 22:
        return None
    return struct.unpack("<H", head_tail[at + 10 : at + 12])[0]


def _kind(head: bytes) -> str:
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:8] == _OLE2:
        return "ole2"
    return "other"


@dataclass(frozen=True)
class SheetSize:
    """The extent of a sheet: its last row and column holding a cell."""

    rows: int
    cols: int

    @property
    def cells(self) -> int:
        return self.rows * self.cols


class _TooBig(Exception):
    pass


# A start tag of a cell, a row or the declared range, with or without a namespace prefix;
# attribute values may hold ">" (but never "<"), so they are matched whole.
_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(c|row|dimension)"
    rb"(?:\s+r=\"([A-Z]{1,3})([0-9]{1,7})\")?"  # the usual first attribute, read fast
    rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
)
_ATTR = re.compile(rb"""\s(r|ref)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


# Fast path: every cell tag of a chunk written as Excel and openpyxl write it (r first).
_C_FAST = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])(?:\s+r=\"([A-Z]{1,3})([0-9]{1,7})\")?")
# A position given twice (calamine takes the last one, this scan the first): refused.
_TWICE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:c|row|dimension)(?=[\s/>])"
    rb"[^<]*?\s(?:r|ref)\s*=[^<]*?\s(?:r|ref)\s*="
)
_ROW_OR_DIM = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|dimension)(?=[\s/>])")


def _attr(attrs: bytes, want: bytes) -> str | None:
    for m in _ATTR.finditer(attrs):
        if m.group(1) == want:
            value = (m.group(2) if m.group(2) is not None else m.group(3)).decode("utf-8")
            return html.unescape(value) if "&" in value else value
    return None


def _scan_sheet(stream, limits: Limits) -> tuple[SheetSize, str | None]:
    """One streaming pass over a worksheet's XML: the extent of its cells, its declared range.

    Raises ``_TooBig(extent, (row, column))`` at the first cell past a limit. Cells and rows
    without a position count as the next one, as Excel reads them.
    """
    row = col = max_row = max_col = 0
    ref = None
    carry = b""
    columns: dict[bytes, int] = {}
    while True:
        chunk = stream.read(1 << 22)
        buf = carry + chunk
        # A tag never holds "<": everything before the last one can be scanned now.
        cut = len(buf) if not chunk else buf.rfind(b"<")
        if cut < 0:
            carry = b""
            continue
        region = buf[:cut]
        if _TWICE.search(region):
            raise ValueError("a cell or row gives its position twice")
        cells = _C_FAST.findall(region)
        last_row = -1
        for m in _ROW_OR_DIM.finditer(region):
            if m.group(1) == b"row":
                last_row = m.start()
            elif tag := _TAG.match(region, m.start()):
                ref = _attr(tag.group(4), b"ref")
        if chunk and cells and all(letters for letters, _r in cells) and cut - last_row < (1 << 20):
            # Every cell has its position first: the extent is a max over them. The last row
            # is scanned again with the next chunk, so a cell there without a position is
            # placed by its row's tag; until then the position is an upper bound.
            before_row, before_col = max_row, max_col
            for letters in {letters for letters, _r in cells}:
                col = columns.get(letters) or columns.setdefault(
                    letters, column_index(letters.decode())
                )
                max_col = max(max_col, col)
            max_row = max(max_row, max(int(r) for _l, r in cells))
            row, col = max(row, max_row), max(col, max_col)
            if (
                max_row > limits.max_rows
                or max_col > limits.max_cols
                or max_row * max_col > limits.max_cells
            ):
                for letters, r in cells:  # name the first cell past a limit
                    cell = (int(r), column_index(letters.decode()))
                    before_row, before_col = max(before_row, cell[0]), max(before_col, cell[1])
                    if (
                        before_row > limits.max_rows
                        or before_col > limits.max_cols
                        or before_row * before_col > limits.max_cells
                    ):
                        raise _TooBig(SheetSize(before_row, before_col), cell)
            carry = buf[last_row:] if last_row >= 0 else buf[cut:]
            continue
        for m in _TAG.finditer(region):
            name = m.group(1)
            if name == b"c":
                if m.group(2):
                    letters = m.group(2)
                    col = columns.get(letters) or columns.setdefault(
                        letters, column_index(letters.decode())
                    )
                    row = int(m.group(3))
                elif pos := _parse_ref(_attr(m.group(4), b"r") or ""):
                    row, col = pos
                else:
                    row, col = max(row, 1), col + 1
                max_row = max(max_row, row)
                max_col = max(max_col, col)
                if (
                    max_row > limits.max_rows
                    or max_col > limits.max_cols
                    or max_row * max_col > limits.max_cells
                ):
                    raise _TooBig(SheetSize(max_row, max_col), (row, col))
            elif name == b"row":
                r = None if m.group(2) else _attr(m.group(4), b"r")
                row = int(r) if r and r.isdigit() and len(r) < 12 else row + 1
                col = 0
            else:
                ref = _attr(m.group(4), b"ref")
        if not chunk:
            break
        carry = buf[cut:]
    return SheetSize(max_row, max_col), ref


def _declared(ref: str | None) -> SheetSize | None:
    if not ref:
        return None
    corners = [_parse_ref(part) for part in ref.split(":")]
    if not corners or any(c is None for c in corners):
        return None
    return SheetSize(max(c[0] for c in corners), max(c[1] for c in corners))


class XlsxReader:
    """An .xlsx whose ZIP passed the checks; each sheet is checked when it is read."""

    def __init__(self, source: bytes | Path, filename: str, limits: Limits | None = None):
        self.filename = filename
        self.limits = limits or Limits.from_settings()
        self._source = source
        self._zip = _open_zip(source, filename, self.limits)
        self._parts = _sheet_parts(self._zip, filename)
        self.sheet_names: list[str] = list(self._parts)
        self._book = None
        self._sizes: dict[str, SheetSize] = {}

    def close(self) -> None:
        self._zip.close()
        if self._book is not None:
            self._book.close()

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def size(self, sheet: str) -> SheetSize:
        """Check the sheet against the limits; its extent, or ValidationFailed."""
        if sheet in self._sizes:
            return self._sizes[sheet]
        part = self._parts[sheet]
        lim = self.limits
        try:
            with self._zip.open(part) as stream:
                size, ref = _scan_sheet(stream, lim)
        except _TooBig as big:
            raise self._too_big(sheet, big.args[0], None, big.args[1]) from None
        except (zipfile.BadZipFile, EOFError, ValueError, KeyError, OSError) as exc:
            raise _refuse(
                _("The Excel file is damaged: the sheet %(sheet)s cannot be read (%(error)s).")
                % {"sheet": sheet, "error": exc},
                self.filename,
            ) from None
        declared = _declared(ref)
        if declared and (
            declared.rows > lim.max_rows
            or declared.cols > lim.max_cols
            or declared.cells > lim.max_cells
        ):
            raise self._too_big(sheet, declared, ref)
        self._sizes[sheet] = size
        return size

    def _too_big(
        self, sheet: str, size: SheetSize, ref: str | None, cell: tuple[int, int] = (0, 0)
    ) -> ValidationFailed:
        lim = self.limits
        values = {
            "sheet": sheet,
            "rows": size.rows,
            "cols": size.cols,
            "last": f"{column_letters(cell[1])}{cell[0]}",
            "ref": ref,
            "max_rows": lim.max_rows,
            "max_cols": lim.max_cols,
            "max_cells": lim.max_cells,
        }
        if ref:
            lead = _("The sheet %(sheet)s declares the range %(ref)s") % values
        else:
            lead = _("The sheet %(sheet)s has a cell at %(last)s") % values
        return _refuse(
            _(
                "%(lead)s (%(rows)s rows × %(cols)s columns), beyond what can be read: at most "
                "%(max_rows)s rows, %(max_cols)s columns and %(max_cells)s cells. Delete the "
                "empty rows and columns after the data (or copy the data into a new workbook) "
                "and upload it again."
            )
            % {**values, "lead": lead},
            self.filename,
        )

    def rows(self, sheet: str) -> Iterator[list[Any]]:
        """The sheet's rows from row 1 and column A, one list at a time (empty cells are "")."""
        if self.size(sheet).cells == 0:
            return
        book = self._calamine()
        try:
            ws = book.get_sheet_by_name(sheet)
        except Exception as exc:  # noqa: BLE001 - calamine raises several unrelated types
            raise _refuse(
                _("The Excel file is damaged: the sheet %(sheet)s cannot be read (%(error)s).")
                % {"sheet": sheet, "error": exc},
                self.filename,
            ) from None
        # python-calamine yields the empty rows above the data but not the columns before it.
        pad = [""] * (ws.start or (0, 0))[1]
        for row in ws.iter_rows():
            yield pad + row if pad else row

    def _calamine(self):
        from python_calamine import CalamineWorkbook

        if self._book is None:
            try:
                if isinstance(self._source, bytes | bytearray):
                    self._book = CalamineWorkbook.from_filelike(io.BytesIO(self._source))
                else:
                    self._book = CalamineWorkbook.from_path(str(self._source))
            except Exception as exc:  # noqa: BLE001 - calamine raises several unrelated types
                raise _refuse(
                    _("The Excel file cannot be read (%(error)s).") % {"error": exc},
                    self.filename,
                ) from None
        return self._book


def _open_zip(source: bytes | Path, filename: str, lim: Limits) -> zipfile.ZipFile:
    if isinstance(source, bytes | bytearray):
        head, tail = bytes(source[:8]), bytes(source[-65600:])
        total = len(source)
    else:
        with open(source, "rb") as f:
            head = f.read(8)
            f.seek(0, io.SEEK_END)
            total = f.tell()
            f.seek(max(0, total - 65600))
            tail = f.read()
    if total == 0:
        raise _refuse(_("The file is empty."), filename)
    kind = _kind(head)
    if kind == "ole2":
        raise _refuse(
            _(
                "Workbooks in the old .xls format are not accepted: open the file in Excel, "
                "save it as “Excel workbook (.xlsx)” and upload it again."
            ),
            filename,
        )
    if kind != "zip":
        raise _refuse(_("The file is not an Excel workbook (.xlsx)."), filename)
    members = _member_count(tail)
    if members is not None and (members == 0xFFFF or members > lim.max_members):
        raise _refuse(
            _("The workbook holds more than %(limit)s parts; it cannot be read.")
            % {"limit": lim.max_members},
            filename,
        )
    try:
        zf = zipfile.ZipFile(
            io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        )
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(
            _("The Excel file is damaged (%(error)s).") % {"error": exc}, filename
        ) from None
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        zf.close()
        if "xl/workbook.bin" in names:
            raise _refuse(
                _(
                    "Binary workbooks (.xlsb) are not accepted: save the file as "
                    "“Excel workbook (.xlsx)” and upload it again."
                ),
                filename,
            )
        raise _refuse(_("The file is not an Excel workbook (.xlsx)."), filename)
    if len(infos) > lim.max_members:
        zf.close()
        raise _refuse(
            _("The workbook holds more than %(limit)s parts; it cannot be read.")
            % {"limit": lim.max_members},
            filename,
        )
    unpacked = sum(i.file_size for i in infos)
    if unpacked > lim.max_uncompressed:
        zf.close()
        raise _refuse(
            _(
                "The workbook unpacks to %(size)s MB, more than the limit of %(limit)s MB. "
                "Split the data into smaller files."
            )
            % {"size": _mb(unpacked), "limit": _mb(lim.max_uncompressed)},
            filename,
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > lim.max_ratio * max(
            info.compress_size, 1
        ):
            zf.close()
            raise _refuse(
                _(
                    "The workbook part %(part)s is compressed %(ratio)s to 1, more than the "
                    "limit of %(limit)s to 1: the file looks like a ZIP bomb and is not read."
                )
                % {
                    "part": info.filename,
                    "ratio": info.file_size // max(info.compress_size, 1),
                    "limit": lim.max_ratio,
                },
                filename,
            )
    return zf


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_NS_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def _sheet_parts(zf: zipfile.ZipFile, filename: str) -> dict[str, str]:
    """Sheet name → the ZIP member holding its XML, in workbook order."""
    from xml.etree import ElementTree as ET

    def small_xml(name: str):
        info = zf.getinfo(name)
        if info.file_size > _INDEX_MAX_BYTES:
            raise _refuse(
                _("The Excel file is damaged (%(error)s).") % {"error": f"{name} too large"},
                filename,
            )
        return ET.fromstring(zf.read(name))

    try:
        book = small_xml("xl/workbook.xml")
        rel_name = "xl/_rels/workbook.xml.rels"
        rels = small_xml(rel_name) if rel_name in zf.namelist() else None
    except (ET.ParseError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _refuse(
            _("The Excel file is damaged (%(error)s).") % {"error": exc}, filename
        ) from None
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels:
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id", "")] = target
    out: dict[str, str] = {}
    members = set(zf.namelist())
    for el in book.iter():
        if el.tag.rpartition("}")[2] != "sheet":
            continue
        rid = el.get(f"{{{_REL_NS}}}id") or el.get(f"{{{_REL_NS_STRICT}}}id") or ""
        part = targets.get(rid, "")
        if part in members:
            out[el.get("name", part)] = part
    return out


def open_xlsx(source: bytes | Path, filename: str, limits: Limits | None = None) -> XlsxReader:
    """Open an uploaded .xlsx for reading, or raise ValidationFailed naming the file."""
    return XlsxReader(source, filename, limits)


# --------------------------------------------------------------------------- writing

# Characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in a string as an escaped character; "_x005F" escapes the underscore.
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def text(value: str) -> str:
    """A string as it must be stored so that Excel shows exactly ``value``."""
    value = _ILLEGAL.sub("\ufffd", value)
    return _ESCAPE_LIKE.sub(r"_x005F_\1", value)


def put(ws, row: int, column: int, value: Any):
    """Write one cell; text is stored as text, never a formula. Returns the cell."""
    if isinstance(value, str):
        cell = ws.cell(row=row, column=column, value=text(value))
        cell.data_type = "s"
        return cell
    return ws.cell(row=row, column=column, value=value)


def append(ws, values: Iterable[Any]) -> int:
    """Write ``values`` as a new row below the last one (like ``ws.append``); its number."""
    row = ws._current_row + 1
    for column, value in enumerate(values, start=1):
        put(ws, row, column, value)
    ws._current_row = row
    return row


# Number formats of the exports: counts as whole numbers with thousands separators, rates
# as percentages with two decimals. (Never "#,##0.##": Excel shows 1473 as "1,473.".)
WHOLE = "#,##0"
DECIMAL_2 = "#,##0.00"
PERCENT_2 = "0.00%"


def count_format(value: Any) -> str:
    """The format of a count: whole numbers as ``#,##0``, anything else with two decimals."""
    try:
        whole = value is None or float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        whole = True
    return WHOLE if whole else DECIMAL_2


def to_bytes(wb) -> bytes:
    """Save a workbook; any text cell still typed as a formula is stored as text."""
    for ws in wb.worksheets:
        for cell in ws._cells.values():
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
