"""Periods of aggregate reporting: a month (2025-04), a quarter (2025Q2) or a year (2025).

Unlike the record set's year-to-date periods, each period here is just its own months.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

PERIOD_TYPES = ("monthly", "quarterly", "yearly")
TYPE_NAMES = {"monthly": "月", "quarterly": "季度", "yearly": "年"}
MONTHS_IN = {"monthly": 1, "quarterly": 3, "yearly": 12}

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})[Qq](\d)$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True, order=True)
class Period:
    """``months`` consecutive months starting at ``first`` (months counted from year 0)."""

    first: int
    months: int

    @property
    def type(self) -> str:
        return {1: "monthly", 3: "quarterly", 12: "yearly"}[self.months]

    @property
    def year(self) -> int:
        return self.first // 12

    @property
    def label(self) -> str:
        year, month0 = divmod(self.first, 12)
        if self.months == 12 and month0 == 0:
            return f"{year}"
        if self.months == 3 and month0 % 3 == 0:
            return f"{year}Q{month0 // 3 + 1}"
        if self.months == 1:
            return f"{year}-{month0 + 1:02d}"
        # a range such as a year to date: 2025-01~2025-06
        last_year, last0 = divmod(self.first + self.months - 1, 12)
        return f"{year}-{month0 + 1:02d}~{last_year}-{last0 + 1:02d}"

    @property
    def start(self) -> date:
        year, month0 = divmod(self.first, 12)
        return date(year, month0 + 1, 1)

    @property
    def end(self) -> date:
        year, month0 = divmod(self.first + self.months - 1, 12)
        return date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])

    def __str__(self) -> str:
        return self.label

    def periods(self, period_type: str) -> list[Period]:
        """The periods of ``period_type`` that make up this one, in order.

        Raises ValueError when this period is shorter than ``period_type``.
        """
        step = MONTHS_IN[period_type]
        if step > self.months:
            raise ValueError(
                f"统计期「{self.label}」比数据集的报告周期（{TYPE_NAMES[period_type]}）短"
            )
        return [Period(m, step) for m in range(self.first, self.first + self.months, step)]

    def previous(self, n: int = 1) -> Period:
        """The period of the same type ``n`` periods earlier."""
        return Period(self.first - n * self.months, self.months)


def year_to_date(period: Period) -> Period:
    """January of ``period``'s year up to the end of ``period`` (a range of whole months)."""
    start = period.year * 12
    return Period(start, period.first + period.months - start)


def same_period_last_year(period: Period) -> Period:
    """The same months one year earlier."""
    return Period(period.first - 12, period.months)


def parse_period(text: str) -> Period:
    """Parse ``2025``, ``2025Q2`` or ``2025-04``; ValueError with a Chinese reason otherwise."""
    raw = (text or "").strip()
    if m := _YEAR.match(raw):
        return Period(int(m.group(1)) * 12, 12)
    if m := _QUARTER.match(raw):
        q = int(m.group(2))
        if not 1 <= q <= 4:
            raise ValueError(f"统计期「{text}」无效：季度只能是 Q1 至 Q4")
        return Period(int(m.group(1)) * 12 + (q - 1) * 3, 3)
    if m := _MONTH.match(raw):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"统计期「{text}」无效：月份只能是 01 至 12")
        return Period(int(m.group(1)) * 12 + month - 1, 1)
    raise ValueError(f"统计期「{text}」无效：应写作年份（2025）、季度（2025Q2）或月份（2025-04）")
