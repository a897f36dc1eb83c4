"""A small, separate reading of the appraisal contract (``shared/domain/appraisal.md``).

Written for the property tests only: plain loops over plain data, nothing shared with
``jiceng.appraisal_core`` but the contract. A scheme is a dict::

    {"items": [{"code", "points", "rule", "exempt", "veto"}], "grades": [(label, min)],
     "fund": None | ("score_population", pool) | ("grade_per_capita", {label: rate})}

with every number a Fraction and ``rule`` one of ``("linear", floor, target)``,
``("ratio", target)``, ``("deduct", per)``, ``("map", {verdict: points})``, ``("manual",)``.
Values are the CSV's text (``None`` or ``""`` when missing).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction


class CannotShare(Exception):
    """Σ population × score is 0: the pool cannot be shared."""


def rounded(x: Fraction, places: int) -> float:
    with localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(x.numerator) / Decimal(x.denominator)
        return float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def item_points(item: dict, text: str | None) -> Fraction | None:
    """Points earned; None when the item is left out (missing and exempt)."""
    if text is None or text == "":
        return None if item["exempt"] else Fraction(0)
    rule = item["rule"]
    p = item["points"]
    if rule[0] == "map":
        return rule[1][text]
    v = Fraction(text)
    if rule[0] == "linear":
        f, t = rule[1], rule[2]
        if (t > f and v >= t) or (t < f and v <= t):
            return p
        if (t > f and v <= f) or (t < f and v >= f):
            return Fraction(0)
        return p * (v - f) / (t - f)
    if rule[0] == "ratio":
        return p * min(Fraction(1), v / rule[1])
    if rule[0] == "deduct":
        return max(Fraction(0), p - rule[1] * v)
    return v  # manual


def appraise(scheme: dict, values: dict[str, dict[str, str | None]], pop: dict[str, int]) -> list:
    """RESULT.json's ``units`` list, or CannotShare."""
    out = []
    exact: dict[str, Fraction] = {}
    grades: dict[str, str] = {}
    for unit in sorted(values):
        items = {}
        got = Fraction(0)
        kept = Fraction(0)
        veto = False
        for item in scheme["items"]:
            pts = item_points(item, values[unit].get(item["code"]))
            items[item["code"]] = None if pts is None else rounded(pts, 4)
            if pts is not None:
                got += pts
                kept += item["points"]
                if item["veto"] and pts == 0:
                    veto = True
        row = {"unit": unit, "items": items, "score": None, "rank": None, "grade": None,
               "amount": None}  # fmt: skip
        if kept > 0:
            score = 100 * got / kept
            exact[unit] = score
            row["score"] = rounded(score, 4)
            shown = Fraction(Decimal(str(rounded(score, 2))))
            labels = [label for label, minimum in scheme["grades"] if shown >= minimum]
            lowest = scheme["grades"][-1][0]
            row["grade"] = lowest if veto or not labels else labels[0]
            grades[unit] = row["grade"]
        out.append(row)
    for row in out:
        if row["unit"] in exact:
            mine = exact[row["unit"]]
            row["rank"] = 1 + sum(1 for s in exact.values() if s > mine)
    fund = scheme["fund"]
    if fund is None:
        return out
    eligible = [u for u in exact if pop.get(u) is not None]
    if fund[0] == "grade_per_capita":
        for row in out:
            if row["unit"] in eligible:
                rate = fund[1].get(grades[row["unit"]], Fraction(0))
                row["amount"] = rounded(pop[row["unit"]] * rate, 2)
        return out
    weights = {u: pop[u] * exact[u] for u in eligible}
    total = sum(weights.values())
    if total == 0:
        raise CannotShare
    cents = int(fund[1] * 100)
    shares = {u: cents * w / total for u, w in weights.items()}
    given = {u: int(s) for u, s in shares.items()}  # shares are never negative
    left = cents - sum(given.values())
    by_remainder = sorted(shares, key=lambda u: (-(shares[u] - given[u]), u))
    for u in by_remainder[:left]:
        given[u] += 1
    for row in out:
        if row["unit"] in given:
            row["amount"] = given[row["unit"]] / 100
    return out
