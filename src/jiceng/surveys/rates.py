"""The arithmetic of satisfaction rates, without Django (docs/surveys.md, "How the rate is
counted").

A rate is satisfied / answered; it is shown as a percentage with one decimal, rounded half
up (95.25 → 95.3). A change is the difference of the two *shown* percentages, in
percentage points (95.3 − 94.7 = +0.6), so that it always agrees with the figures beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")


def quarter_of(day: dt.date) -> str:
    """The quarter label of a day: 2026-05-03 → "2026Q2"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def percent(satisfied: int, answered: int) -> Decimal | None:
    """The rate in percent with one decimal, rounded half up; None when nobody answered."""
    if not answered:
        return None
    return (Decimal(100 * satisfied) / Decimal(answered)).quantize(TENTH, rounding=ROUND_HALF_UP)


def change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Percentage points between two shown rates; None if either is missing."""
    if now is None or before is None:
        return None
    return now - before


def roll_up(
    tallies: Iterable[tuple[str, str, int, int]], paths: Iterable[str]
) -> dict[tuple[str, str], tuple[int, int]]:
    """Pool institution tallies over the tree.

    ``tallies`` are (institution path, quarter, satisfied, answered); ``paths`` the nodes
    wanted. The result maps (node path, quarter) to (satisfied, answered) summed over every
    institution at or below the node (only pairs with respondents appear).
    """
    wanted = set(paths)
    out: dict[tuple[str, str], list[int]] = {}
    for path, quarter, sat, ans in tallies:
        # every prefix of "/0001/0002/0003/" that is a node path: "/0001/", "/0001/0002/", ...
        end = 0
        while True:
            end = path.find("/", end + 1)
            if end < 0:
                break
            prefix = path[: end + 1]
            if prefix in wanted:
                acc = out.setdefault((prefix, quarter), [0, 0])
                acc[0] += sat
                acc[1] += ans
    return {k: (v[0], v[1]) for k, v in out.items()}
