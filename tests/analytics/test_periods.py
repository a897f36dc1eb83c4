"""Periods are a year, or year-to-date up to a quarter or month."""

from datetime import date

import pytest

from jiceng.analytics import parse_period


@pytest.mark.parametrize(
    "label,start,end",
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025Q2", date(2025, 1, 1), date(2025, 6, 30)),
        ("2025-07", date(2025, 1, 1), date(2025, 7, 31)),
        ("2024-02", date(2024, 1, 1), date(2024, 2, 29)),
        ("2025q4", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_it_parses_cumulative_periods_from_the_first_of_january(label, start, end):
    p = parse_period(label)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    "label,text",
    [
        ("2025Q5", "季度只能是 Q1 至 Q4"),
        ("2025-13", "月份只能是 01 至 12"),
        ("25", "应写作年份"),
        ("2025H1", "应写作年份"),
    ],
)
def test_it_refuses_malformed_periods_in_chinese(label, text):
    with pytest.raises(ValueError, match=text):
        parse_period(label)
