"""CSV files jiceng writes: text a spreadsheet would run as a formula is written inert.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's "CSV
injection" list) is written with a leading apostrophe, which spreadsheets show as text;
so is a cell already beginning with an apostrophe, so that :func:`read_back` gives every
text back exactly. Plain numbers such as ``-5`` or ``+1.5e3`` are left alone: a spreadsheet
reads them as numbers, never as formulas. Workbooks have their own writer in
:mod:`jiceng.core.xlsx`, which stores such text as text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RISKY = frozenset(FORMULA_START) | {"'"}  # first characters csv_text may change
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def csv_text(value: Any) -> Any:
    """The value as it must go into a CSV cell so that no spreadsheet runs it."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] == "'" or (value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def read_back(cell: str) -> str:
    """The text a cell written through :func:`csv_text` stands for."""
    return cell[1:] if cell.startswith("'") else cell


class SafeWriter:
    """``csv.writer`` whose every text cell goes through :func:`csv_text`."""

    def __init__(self, f, **kwargs: Any):
        self._writer = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        # csv_text changes only text beginning with one of _RISKY: the others skip the call
        return self._writer.writerow(
            [csv_text(v) if isinstance(v, str) and v[:1] in _RISKY else v for v in row]
        )

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(f, **kwargs: Any) -> SafeWriter:
    """A CSV writer for every file jiceng exports (same arguments as ``csv.writer``)."""
    return SafeWriter(f, **kwargs)
