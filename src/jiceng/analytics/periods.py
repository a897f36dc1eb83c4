"""Reporting periods: a calendar year, or year-to-date up to a quarter or a month."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q(\d)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A cumulative period from 1 January (``start``) to ``end``, both included."""

    label: str
    start: date
    end: date

    @property
    def year(self) -> int:
        return self.start.year

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(label: str) -> Period:
    """Parse ``2025``, ``2025Q2`` or ``2025-07``; raise ValueError with a Chinese message."""
    text = (label or "").strip().upper()
    if m := _YEAR.match(text):
        y = int(m.group(1))
        return Period(text, date(y, 1, 1), date(y, 12, 31))
    if m := _QUARTER.match(text):
        y, q = int(m.group(1)), int(m.group(2))
        if not 1 <= q <= 4:
            raise ValueError(f"统计期「{label}」无效：季度只能是 Q1 至 Q4")
        return Period(f"{y}Q{q}", date(y, 1, 1), _month_end(y, q * 3))
    if m := _MONTH.match(text):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ValueError(f"统计期「{label}」无效：月份只能是 01 至 12")
        return Period(f"{y}-{mo:02d}", date(y, 1, 1), _month_end(y, mo))
    raise ValueError(f"统计期「{label}」无效：应写作年份（2025）、季度（2025Q2）或月份（2025-07）")
