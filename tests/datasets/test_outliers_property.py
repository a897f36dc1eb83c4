"""Hypothesis: the outlier rule agrees with the plain reading in ``reference.py``."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from jiceng.datasets import is_outlier
from jiceng.datasets.outliers import history
from jiceng.datasets.periods import Period

from . import reference

# month index (from 2023-01) -> value; the value checked is the one of 2025-06
CHECKED = 29
SERIES = st.dictionaries(
    st.integers(0, CHECKED),
    st.integers(-3, 40).map(Fraction) | st.sampled_from([Fraction(1, 2), Fraction(1000)]),
    max_size=30,
)


@given(SERIES, st.integers(-3, 1000).map(Fraction))
def test_is_outlier_agrees_with_the_reference(series, value):
    series = {**series, CHECKED: value}
    by_period = {Period(2023 * 12 + i, 1): v for i, v in series.items()}
    earlier = [v for i, v in series.items() if CHECKED - 24 <= i < CHECKED]
    checked = Period(2023 * 12 + CHECKED, 1)
    assert sorted(history(by_period, checked)) == sorted(earlier)
    assert is_outlier(by_period, checked) == reference.is_outlier(earlier, value)
