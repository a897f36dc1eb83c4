"""Satisfaction rates: hand-worked figures (arithmetic in comments), pooling up the tree,
changes in percentage points, and Hypothesis against a plain count of the rows."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.errors import UserError
from jiceng.surveys import satisfaction_rate, satisfaction_rates
from jiceng.surveys.actions import do_import_responses
from jiceng.surveys.models import Questionnaire, Response, SurveyImport, Tally
from jiceng.surveys.queries import all_rates, rate_rows, survey_period
from jiceng.surveys.rates import change, percent

from .helpers import csv_of, load_small, respondents


def _import(q, period, rows):
    do_import_responses(None, q, period, csv_of(rows), f"{period}.csv")


@pytest.fixture
def surveyed(personas):
    """The hand-worked fixture (overall question Q1; answers 1 and 2 satisfied, 3 not)."""
    t = personas.tree
    q = load_small(t.P)
    _import(q, "2025Q1", respondents(t.TA1.code, "2025-02-10", 18, 2))  # TA1: 18/20
    _import(q, "2025Q4", respondents(t.TA1.code, "2025-11-10", 37, 3))  # TA1: 37/40
    _import(
        q,
        "2026Q1",
        respondents(t.TA1.code, "2026-02-10", 28, 2)  # TA1 itself: 28/30
        + respondents(t.TA2.code, "2026-02-10", 6, 1)  # TA2: 6/7
        + respondents(t.VA1.code, "2026-03-10", 3, 0)  # VA1 (below TA1): 3/3
        + respondents(t.TB1.code, "2026-01-10", 9, 1),  # TB1 (county B): 9/10
    )
    return personas


def test_an_institution_and_the_regions_above_it_pool_their_respondents(surveyed):
    t = surveyed.tree
    # TA1 and the village clinic below it: (28 + 3) / (30 + 3) = 31/33
    assert satisfaction_rate(t.TA1, "outpatient", "2026Q1") == (31, 33)
    # county A: TA1 28/30 + TA2 6/7 + VA1 3/3 = 37/40 (not the mean of the three rates)
    assert satisfaction_rate(t.A, "门诊", "2026Q1") == (37, 40)
    # the city: county A 37/40 + county B 9/10 = 46/50
    assert satisfaction_rate(t.C, "outpatient", "2026Q1") == (46, 50)
    # a year pools its quarters: 2025 in county A = Q1 18/20 + Q4 37/40 = 55/60
    assert satisfaction_rate(t.A, "outpatient", "2025") == (55, 60)
    assert satisfaction_rate(t.A, "inpatient", "2026Q1") == (0, 0)


def test_changes_are_the_differences_of_the_shown_rates_in_points(surveyed):
    t = surveyed.tree
    rows = rate_rows(t.A, "outpatient", survey_period("2026Q1"), [t.TA1, t.TA2, t.CA1])
    county, ta1, ta2, ca1 = rows
    # county A 2026Q1: 37/40 = 92.5%; 2025Q4: 37/40 = 92.5% -> 0.0; 2025Q1: 18/20 = 90.0% -> +2.5
    assert (county.rate, county.previous, county.last_year) == (
        Decimal("92.5"),
        Decimal("92.5"),
        Decimal("90.0"),
    )
    assert (county.change_previous, county.change_last_year) == (Decimal("0.0"), Decimal("2.5"))
    # TA1 with VA1: 31/33 = 93.939..% -> 93.9; against 92.5 -> +1.4; against 90.0 -> +3.9
    assert (ta1.rate, ta1.change_previous, ta1.change_last_year) == (
        Decimal("93.9"),
        Decimal("1.4"),
        Decimal("3.9"),
    )
    # TA2: 6/7 = 85.714..% -> 85.7; nobody surveyed before: no change
    assert (ta2.rate, ta2.change_previous) == (Decimal("85.7"), None)
    assert (ca1.answered, ca1.rate) == (0, None)


def test_a_year_is_compared_with_the_year_before_only(surveyed):
    t = surveyed.tree
    (county,) = rate_rows(t.A, "outpatient", survey_period("2026"), [])
    # 2026: 37/40 = 92.5%; 2025: 55/60 = 91.666..% -> 91.7; change +0.8
    assert (county.rate, county.previous, county.change_previous) == (
        Decimal("92.5"),
        Decimal("91.7"),
        Decimal("0.8"),
    )
    assert county.last_year is None


def test_rates_round_half_up_to_one_decimal_as_the_seeds_show_them():
    assert percent(381, 400) == Decimal("95.3")  # 95.25 -> 95.3, not banker's 95.2
    assert percent(947, 1000) == Decimal("94.7")
    assert change(percent(381, 400), percent(947, 1000)) == Decimal("0.6")  # 提升0.6个百分点
    assert percent(0, 0) is None and change(None, Decimal("1")) is None


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_the_shown_percentage_is_the_exact_rate_rounded_half_up(satisfied, answered):
    exact = Fraction(1000 * satisfied, answered)  # tenths of a percent
    assert percent(satisfied, answered) == Decimal(math.floor(exact + Fraction(1, 2))) / 10


def test_every_rate_of_every_node_and_quarter_comes_in_two_queries(
    surveyed, django_assert_num_queries
):
    t = surveyed.tree
    with django_assert_num_queries(2):
        got = all_rates(t.P, "outpatient", 2026)
    assert got[(t.P.path, "2026Q1")] == (46, 50)
    assert got[(t.VA1.path, "2026Q1")] == (3, 3)
    assert (t.TB1.path, "2026Q2") not in got


def test_an_unknown_kind_or_a_month_is_refused_in_chinese(surveyed):
    t = surveyed.tree
    with pytest.raises(UserError, match="未知的问卷类别「急诊」"):
        satisfaction_rate(t.A, "急诊", "2026Q1")
    with pytest.raises(UserError, match="应为季度"):
        satisfaction_rate(t.A, "门诊", "2026-03")


QUARTER_START = {1: "01", 2: "04", 3: "07", 4: "10"}
row = st.tuples(
    st.sampled_from(["TA1", "TA2", "VA1", "VA2", "VA3", "CA1", "SA1", "TB1", "VB1"]),
    st.integers(1, 4),  # quarter of 2026
    st.integers(1, 28),  # day
    st.sampled_from(["1", "2", "3", ""]),  # Q1 (overall): 1, 2 satisfied, 3 not, "" unanswered
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(row, min_size=1, max_size=25))
def test_every_rate_equals_a_plain_count_of_the_rows(personas, rows):
    t = personas.tree
    Response.objects.all().delete()
    Tally.objects.all().delete()
    SurveyImport.objects.all().delete()
    q = Questionnaire.objects.filter(code="small").first() or load_small(t.P)
    lines = [
        (
            getattr(t, code).code,
            f"2026-{QUARTER_START[quarter]}-{day:02d}",
            f"1390000{i:04d}",
            a,
            "1",
        )
        for i, (code, quarter, day, a) in enumerate(rows)
    ]
    _import(q, "2026", lines)
    got = all_rates(t.P, "outpatient", 2026)
    for name in ["P", "C", "A", "B", "TA1", "TA2", "VA1", "CA1", "TB1"]:
        node = getattr(t, name)
        for quarter in range(1, 5):
            # the reference: rows whose institution is the node or below it, in that quarter
            mine = [
                a
                for code, qn, _d, a in rows
                if qn == quarter and getattr(t, code).path.startswith(node.path) and a
            ]
            want = (sum(a in "12" for a in mine), len(mine))
            assert got.get((node.path, f"2026Q{quarter}"), (0, 0)) == want
        year = [a for code, _q, _d, a in rows if getattr(t, code).path.startswith(node.path) and a]
        assert satisfaction_rate(node, "outpatient", "2026") == (
            sum(a in "12" for a in year),
            len(year),
        )
    nodes = [getattr(t, n) for n in ["TA1", "VA1", "TB1", "A"]]
    assert satisfaction_rates(nodes, "门诊", "2026Q2") == {
        n.pk: satisfaction_rate(n, "outpatient", "2026Q2") for n in nodes
    }
