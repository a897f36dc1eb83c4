"""Outliers: a value far from the same unit's and element's earlier values.

A value is an outlier when at least :data:`MIN_HISTORY` earlier values exist within the
last :data:`WINDOW` periods and it lies outside median ± 3 × 1.4826 × MAD of them, or
outside an administrator's min/max. Outliers are flagged, never refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from .periods import Period

MIN_HISTORY = 6
WINDOW = 24
K = Fraction(3) * Fraction("1.4826")


def median(values: list[Fraction]) -> Fraction:
    s = sorted(values)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


@dataclass(frozen=True)
class Bounds:
    low: Fraction
    high: Fraction

    def contains(self, value: Fraction) -> bool:
        return self.low <= value <= self.high


def mad_bounds(history: Iterable[Fraction]) -> Bounds | None:
    """median ± 3 × 1.4826 × MAD of ``history``, or None with fewer than 6 values."""
    values = list(history)
    if len(values) < MIN_HISTORY:
        return None
    m = median(values)
    mad = median([abs(v - m) for v in values])
    return Bounds(m - K * mad, m + K * mad)


def history(series: Mapping[Period, Fraction], period: Period) -> list[Fraction]:
    """The values of the :data:`WINDOW` periods before ``period`` that were reported."""
    return [v for n in range(1, WINDOW + 1) if (v := series.get(period.previous(n))) is not None]


def is_outlier(
    series: Mapping[Period, Fraction],
    period: Period,
    minimum: Fraction | None = None,
    maximum: Fraction | None = None,
) -> bool:
    """Whether the value of ``period`` in one unit's and element's ``series`` is an outlier."""
    value = series.get(period)
    if value is None:
        return False
    if minimum is not None and value < minimum:
        return True
    if maximum is not None and value > maximum:
        return True
    bounds = mad_bounds(history(series, period))
    return bounds is not None and not bounds.contains(value)
