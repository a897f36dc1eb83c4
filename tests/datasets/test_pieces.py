"""Periods, expressions, number formatting and outliers, one by one."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from jiceng.datasets import format_value, is_outlier, mad_bounds, parse_expression, parse_period
from jiceng.datasets.expressions import ExpressionError, Ref


def test_periods_know_their_dates_and_their_parts():
    q2 = parse_period("2025Q2")
    assert (q2.label, q2.start, q2.end, q2.type) == (
        "2025Q2",
        date(2025, 4, 1),
        date(2025, 6, 30),
        "quarterly",
    )
    assert [p.label for p in q2.periods("monthly")] == ["2025-04", "2025-05", "2025-06"]
    assert [p.label for p in parse_period("2024").periods("quarterly")] == [
        "2024Q1",
        "2024Q2",
        "2024Q3",
        "2024Q4",
    ]
    assert parse_period("2024-02").end == date(2024, 2, 29)
    assert parse_period("2025-1").label == "2025-01"
    assert parse_period("2025-01").previous(1).label == "2024-12"
    assert parse_period("2025Q1").previous(2).label == "2024Q3"


def test_a_period_shorter_than_the_type_has_no_parts():
    with pytest.raises(ValueError, match="短"):
        parse_period("2025-04").periods("quarterly")


@pytest.mark.parametrize("text", ["2025Q0", "2025-00", "2025/04", "", "Q2"])
def test_malformed_periods_are_refused_in_chinese(text):
    with pytest.raises(ValueError, match="统计期"):
        parse_period(text)


def _values(**kw):
    return lambda ref: kw.get(ref.key.replace(".", "_"))


def test_each_operator_precedence_and_parentheses_exactly():
    v = _values(A=Fraction(7), B_x=Fraction(2))
    # 7 - 2 * 3 = 1; (7 - 2) * 3 = 15; 7 / 2 = 3.5 exactly; -(7) + 10 = 3; 0.1 + 0.2 = 0.3 exactly
    assert parse_expression("#{A} - #{B.x} * 3").evaluate(v) == 1
    assert parse_expression("(#{A} - #{B.x}) * 3").evaluate(v) == 15
    assert parse_expression("#{A} / #{B.x}").evaluate(v) == Fraction(7, 2)
    assert parse_expression("-#{A} + 10").evaluate(v) == 3
    assert parse_expression("0.1 + 0.2").evaluate(v) == Fraction(3, 10)
    # 1/3 * 3 is exactly 1, not 0.999…
    assert parse_expression("1 / 3 * 3").evaluate(v) == 1
    # a missing reference counts as 0
    assert parse_expression("#{Z} + 1").evaluate(v) == 1
    with pytest.raises(ZeroDivisionError):
        parse_expression("#{A} / (#{B.x} - 2)").evaluate(v)


def test_references_are_listed_once_in_order():
    e = parse_expression("#{B.x} + #{A} * #{B.x} - #{B}")
    assert e.refs == [Ref("B", "x"), Ref("A"), Ref("B")]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("#{A} +", "不完整"),
        ("(#{A}", "缺少右括号"),
        ("#{A} #{B}", "不应出现在这里"),
        ("#{A.b.c}", "引用「#{A.b.c}」无效"),
        ("#{}", "无效"),
        ("A + 1", "无法识别"),
        ("2 ^ 3", "无法识别"),
        ("", "不能为空"),
        (")", "不应出现在这里"),
    ],
)
def test_malformed_expressions_are_refused_in_chinese(text, words):
    with pytest.raises(ExpressionError, match=words.replace("{", r"\{").replace(".", r"\.")):
        parse_expression(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(5), "5"),
        (Fraction(-5), "-5"),
        (Fraction(5, 2), "2.5"),
        (Fraction(1, 1024), "0.0009765625"),  # terminates: exact, 10 places
        (Fraction(1, 2**20), "0.00000095367431640625"),  # terminates: exact, 20 places
        (Fraction(2, 3), "0.6666666667"),  # does not terminate: 10 places, half up
        (Fraction(-2, 3), "-0.6666666667"),
        (Fraction(1, 3 * 10**11), "0"),
        (Fraction(100000), "100000"),
        (Fraction(0), "0"),
        (None, ""),
        ("文本", "文本"),
    ],
)
def test_numbers_are_written_exactly_or_rounded_to_ten_places(value, text):
    assert format_value(value) == text


def test_outliers_need_six_earlier_values_and_lie_outside_three_scaled_mads():
    series = {
        parse_period(f"2024-{m:02d}"): Fraction(v)
        for m, v in zip(range(1, 7), [10, 12, 11, 13, 9, 10], strict=True)
    }
    # median 10.5; deviations 0.5 1.5 0.5 2.5 1.5 0.5 -> MAD 1; bounds 10.5 ± 4.4478
    bounds = mad_bounds(series.values())
    assert (bounds.low, bounds.high) == (Fraction("6.0522"), Fraction("14.9478"))
    july = parse_period("2024-07")
    assert not is_outlier({**series, july: Fraction(14)}, july)
    assert is_outlier({**series, july: Fraction(15)}, july)
    assert is_outlier({**series, july: Fraction(6)}, july)
    # five earlier values are not enough
    five = dict(list(series.items())[1:])
    assert not is_outlier({**five, july: Fraction(1000)}, july)
    # values more than 24 periods earlier do not count
    far = parse_period("2026-07")
    assert not is_outlier({**series, far: Fraction(1000)}, far)
    # an administrator's min/max flags a value whatever its history
    assert is_outlier({july: Fraction(3)}, july, minimum=Fraction(5))
    assert is_outlier({july: Fraction(30)}, july, maximum=Fraction(20))
