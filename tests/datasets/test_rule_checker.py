"""The compiled rule checker (``engine.rule_checker``, used by the province's rule analysis)
gives exactly what ``engine.check_rule`` gives, on random rules and cells."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.datasets.definition import Rule
from jiceng.datasets.engine import (
    check_rule,
    indicator_function,
    indicator_value,
    rule_checker,
)
from jiceng.datasets.expressions import parse_expression

from .test_property import MISSING, OPERATORS, render

KEYS = ["A", "B", "C.x"]


@st.composite
def sides(draw):
    leaf = st.one_of(
        st.sampled_from(KEYS).map(lambda k: ("ref", *k.split("."), None)[:3]),
        st.sampled_from([0, 1, 3, Fraction(1, 2), Fraction(5, 4)]).map(
            lambda n: ("num", Fraction(n))
        ),
    )
    return draw(
        st.recursive(
            leaf,
            lambda inner: st.one_of(
                st.tuples(st.sampled_from(["+", "-", "*", "/"]), inner, inner),
                st.tuples(st.just("neg"), inner),
            ),
            max_leaves=5,
        )
    )


numbers = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.fractions(min_value=-5, max_value=5, max_denominator=8),
)


@settings(max_examples=60, deadline=None)
@given(
    sides(),
    st.sampled_from(OPERATORS),
    sides(),
    st.sampled_from(MISSING),
    st.lists(numbers, min_size=3, max_size=3),
)
def test_the_compiled_checker_agrees_with_check_rule(left, operator, right, missing, drawn):
    rule = Rule(
        "R",
        "rule",
        parse_expression(render(left)),
        operator,
        parse_expression(render(right)),
        missing=missing,
    )
    cell = {k: Fraction(v) for k, v in zip(KEYS, drawn, strict=True) if v is not None}
    args = [None if (v := cell.get(r.key)) is None else v for r in rule.refs]
    # ints where the value is whole, as the database gives them
    args = [int(v) if v is not None and v.denominator == 1 else v for v in args]
    assert rule_checker(rule)(*args) == check_rule(rule, cell)


def test_a_rule_by_hand_gives_left_and_right_as_fractions():
    # 7 > 2 * 3 = 6: violated; 6 <= 6 holds; a missing value skips (skip_if_any_missing)
    rule = Rule("R", "r", parse_expression("#{A}"), "<=", parse_expression("#{B} * 3"))
    check = rule_checker(rule)
    assert check(7, 2) == (Fraction(7), Fraction(6))
    assert check(6, 2) is None
    assert check(None, 2) is None
    # skipped only when all are missing: 5 > missing B = 0 is violated (5, 0)
    some = Rule(
        "S",
        "s",
        parse_expression("#{A}"),
        "<=",
        parse_expression("#{B}"),
        missing="skip_if_all_missing",
    )
    assert rule_checker(some)(5, None) == (Fraction(5), Fraction(0))
    assert rule_checker(some)(None, None) is None
    # never skipped, a missing value is 0: 1/2 <= 0 is violated; dividing by 0 skips
    halves = Rule(
        "H", "h", parse_expression("#{A} / 2"), "<=", parse_expression("#{B}"), missing="never_skip"
    )
    assert rule_checker(halves)(1, None) == (Fraction(1, 2), Fraction(0))
    by_zero = Rule(
        "Z", "z", parse_expression("#{A} / #{B}"), ">", parse_expression("0"), missing="never_skip"
    )
    assert rule_checker(by_zero)(1, 0) is None


values = st.one_of(
    st.none(),
    st.fractions(min_value=-5, max_value=5, max_denominator=8),
    st.just("text"),  # a text value counts as missing, as in indicator_value
)


@settings(max_examples=80, deadline=None)
@given(
    sides(),
    sides(),
    st.sampled_from([Fraction(1), Fraction(100), Fraction(1, 3)]),
    st.lists(values, min_size=3, max_size=3),
)
def test_the_compiled_indicator_agrees_with_indicator_value(num, den, factor, drawn):
    numerator, denominator = parse_expression(render(num)), parse_expression(render(den))
    got = {k: v for k, v in zip(KEYS, drawn, strict=True) if v is not None}
    expected = indicator_value(numerator, denominator, factor, got)
    value = indicator_function(numerator, denominator, factor)(got)
    assert value == expected and type(value) is type(expected)


def test_an_indicator_by_hand():
    # (A + B) / C × 100 with A = 3, B missing (0), C = 4: 75; C missing alone: undefined;
    # C = 0: undefined; A and B both missing: undefined
    ind = indicator_function(
        parse_expression("#{A} + #{B}"), parse_expression("#{C.x}"), Fraction(100)
    )
    assert ind({"A": Fraction(3), "C.x": Fraction(4)}) == 75
    assert ind({"A": Fraction(3)}) is None
    assert ind({"A": Fraction(3), "C.x": Fraction(0)}) is None
    assert ind({"C.x": Fraction(4)}) is None
