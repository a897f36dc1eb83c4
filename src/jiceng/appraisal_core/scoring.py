"""Scoring a scheme: item points, scores, ranks, grades and funds, all exact.

The one place where an appraisal score is computed: the stateless command, the pages and
the reports all call :func:`compute` (or :func:`score_item` for one item).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from jiceng.core.errors import Problem, ValidationFailed

from .numbers import half_up, plain, to_fraction
from .scheme import VERDICTS, Item, Scheme

Value = Fraction | str | None

NO_DATA = "无数据"
LEFT_OUT = "不参与计分"
VETO = "一票否决"

# Chinese words an appraiser may write for a verdict.
VERDICT_WORDS = {
    "推荐标准": "recommended",
    "推荐": "recommended",
    "基本标准": "basic",
    "基本": "basic",
    "未达标": "none",
    "无": "none",
}


def parse_value(item: Item, raw: object) -> Value:
    """The value of ``item`` as written (None when empty); ValueError with a Chinese reason
    when it cannot be scored (not a number, not a verdict word, a manual score above the
    item's points, a negative count, a value the map does not list)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if item.source.words:
        word = str(raw).strip()
        word = VERDICT_WORDS.get(word, word.lower())
        if word not in VERDICTS:
            raise ValueError(f"评价结论应为 {'、'.join(VERDICTS)} 之一，而不是「{raw}」")
        return word
    v = raw if isinstance(raw, Fraction) else to_fraction(raw)
    if v is None:
        raise ValueError(f"应为数字，而不是「{raw}」")
    rule = item.rule
    if rule.kind == "manual" and not 0 <= v <= item.points:
        raise ValueError(f"人工评分 {plain(v)} 应在 0 到项目分值 {plain(item.points)} 之间")
    if rule.kind in ("ratio", "deduct") and v < 0:
        raise ValueError(f"数值不能为负数（{plain(v)}）")
    if rule.kind == "map" and _map_points(item, v) is None:
        keys = "、".join(k for k, _ in rule.table)
        raise ValueError(f"取值 {plain(v)} 不在 map 规则的取值（{keys}）中")
    return v


def _map_points(item: Item, value: Fraction | str) -> Fraction | None:
    for key, points in item.rule.table:
        if isinstance(value, str):
            if key == value:
                return points
        elif to_fraction(key) == value:
            return points
    return None


ZERO = Fraction(0)


def earned(item: Item, value: Fraction | str) -> Fraction:
    """The points a (valid, present) value earns under the item's rule."""
    rule = item.rule
    p = item.points
    kind = rule.kind
    if kind == "linear":
        f, t = rule.floor, rule.target
        # full points at or beyond the target, none at or beyond the floor; t < f is
        # lower-is-better and the same formula holds
        if (value >= t) if t > f else (value <= t):
            return p
        if (value <= f) if t > f else (value >= f):
            return ZERO
        return p * (value - f) / (t - f)
    if kind == "ratio":
        return p if value >= rule.target else p * value / rule.target
    if kind == "deduct":
        left = p - rule.per * value
        return left if left > 0 else ZERO
    if kind == "map":
        points = _map_points(item, value)
        if points is None:
            raise ValueError(f"取值「{value}」不在 map 规则的取值中")
        return points
    return value  # manual: the entered points


def exact_sum(xs) -> Fraction:
    """Σ of fractions with one reduction at the end (much faster than Fraction's + each time)."""
    n, d = 0, 1
    for x in xs:
        xn, xd = x.numerator, x.denominator
        if xd == d:
            n += xn
        else:
            n, d = n * xd + xn * d, d * xd
    return Fraction(n, d)


@dataclass(frozen=True)
class ItemScore:
    """One unit's item: its value, the points earned (None when left out) and flags."""

    item: Item
    value: Value
    points: Fraction | None
    flags: tuple[str, ...] = ()

    @property
    def left_out(self) -> bool:
        return self.points is None


def score_item(item: Item, value: Value) -> ItemScore:
    """Points of one item: a missing value earns 0 (无数据) unless the item is exempt (left out)."""
    if value is None:
        if item.exempt:
            return ItemScore(item, None, None, (NO_DATA, LEFT_OUT))
        flags = (NO_DATA, VETO) if item.veto else (NO_DATA,)
        return ItemScore(item, None, Fraction(0), flags)
    points = earned(item, value)
    flags = (VETO,) if item.veto and points == 0 else ()
    return ItemScore(item, value, points, flags)


@dataclass
class UnitResult:
    """A unit's appraisal. ``score`` is exact; ``display`` is it rounded half-up to 2 places."""

    unit: str
    items: dict[str, ItemScore]
    earned: Fraction
    possible: Fraction
    score: Fraction | None
    display: Decimal | None
    vetoed: tuple[str, ...] = ()
    peer: str = ""
    rank: int | None = None
    grade: str | None = None
    population: int | None = None
    weight: Fraction | None = None  # pop × score, for score_population
    share: Fraction | None = None  # pool × weight / Σ weights: the exact yuan before rounding
    amount: Decimal | None = None


@dataclass
class Appraisal:
    """The results of a scheme, units in unit-code order, with warnings in Chinese."""

    scheme: Scheme
    units: list[UnitResult]
    warnings: list[str]
    weight_total: Fraction | None = None

    def unit(self, code: str) -> UnitResult:
        for u in self.units:
            if u.unit == code:
                return u
        raise KeyError(code)


def score_unit(scheme: Scheme, unit: str, values: Mapping[str, Value]) -> UnitResult:
    """Items and score of one unit (rank, grade and amount are filled by :func:`compute`)."""
    items = {i.code: score_item(i, values.get(i.code)) for i in scheme.items}
    kept = [s for s in items.values() if s.points is not None]
    got = exact_sum(s.points for s in kept)
    possible = exact_sum(s.item.points for s in kept)
    score = 100 * got / possible if possible else None
    display = half_up(score, 2) if score is not None else None
    vetoed = tuple(c for c, s in items.items() if VETO in s.flags)
    return UnitResult(unit, items, got, possible, score, display, vetoed)


def grade_of(scheme: Scheme, display: Decimal, vetoed: bool = False) -> str:
    """The first band whose minimum the displayed score reaches; the lowest when vetoed or
    below every minimum."""
    if not vetoed:
        for g in scheme.grades:
            if Fraction(display) >= g.minimum:
                return g.label
    return scheme.grades[-1].label


def shared_ranks(scores: Mapping[str, Fraction]) -> dict[str, int]:
    """Rank by exact score, highest first; equal scores share a rank and the next skips."""
    ordered = sorted(scores.values(), reverse=True)
    first: dict[Fraction, int] = {}
    for i, s in enumerate(ordered, 1):
        first.setdefault(s, i)
    return {u: first[s] for u, s in scores.items()}


def largest_remainder(pool: Fraction, weights: Mapping[str, Fraction]) -> dict[str, Decimal]:
    """Share ``pool`` yuan by ``weights`` in fen, rounded by the largest-remainder method so
    that the amounts add up to the pool exactly (ties: lower unit code first)."""
    total = sum(weights.values(), Fraction(0))
    fen = pool * 100
    if fen.denominator != 1:
        raise ValueError("pool must be whole fen")
    if total <= 0:
        raise ValueError("nothing to share by")
    exact = {u: fen * w / total for u, w in weights.items()}
    floors = {u: x.numerator // x.denominator for u, x in exact.items()}
    left = int(fen) - sum(floors.values())
    order = sorted(exact, key=lambda u: (-(exact[u] - floors[u]), u))
    for u in order[:left]:
        floors[u] += 1
    return {u: Decimal(f).scaleb(-2).quantize(Decimal("0.01")) for u, f in floors.items()}


def compute(
    scheme: Scheme,
    values: Mapping[str, Mapping[str, Value]],
    population: Mapping[str, int] | None = None,
    peers: Mapping[str, str] | None = None,
) -> Appraisal:
    """Score every unit of ``values`` ({unit: {item: value}}), rank within ``peers``
    ({unit: peer group key}; one group when None), grade, and allocate the fund.

    Raises ValidationFailed when the fund's pool cannot be shared (Σ pop × score = 0)."""
    population = population or {}
    warnings: list[str] = []
    units = [score_unit(scheme, u, values[u]) for u in sorted(values)]
    for r in units:
        r.peer = (peers or {}).get(r.unit, "")
        if r.score is None:
            warnings.append(f"单位 {r.unit} 的考核项目全部不参与计分（无数据且可免考），没有得分")
            continue
        r.grade = grade_of(scheme, r.display, bool(r.vetoed))
    groups: dict[str, dict[str, Fraction]] = {}
    for r in units:
        if r.score is not None:
            groups.setdefault(r.peer, {})[r.unit] = r.score
    ranks: dict[str, int] = {}
    for scores in groups.values():
        ranks.update(shared_ranks(scores))
    for r in units:
        r.rank = ranks.get(r.unit)
        r.population = population.get(r.unit)
    result = Appraisal(scheme, units, warnings)
    if scheme.fund is not None:
        _allocate(result)
    return result


def _allocate(result: Appraisal) -> None:
    fund = result.scheme.fund
    sharing = []
    for r in result.units:
        if r.score is None:
            result.warnings.append(f"单位 {r.unit} 没有得分，不分配资金")
        elif r.population is None:
            result.warnings.append(f"单位 {r.unit} 没有常住人口数，不分配资金")
        else:
            sharing.append(r)
    if fund.rule == "grade_per_capita":
        for r in sharing:
            r.amount = half_up(r.population * fund.rate(r.grade), 2)
        return
    for r in sharing:
        r.weight = r.population * r.score
    total = sum((r.weight for r in sharing), Fraction(0))
    result.weight_total = total
    if total == 0:
        raise ValidationFailed(
            [
                Problem(
                    f"资金总额 {plain(fund.pool)} 元无法分配：没有单位同时有得分和常住人口"
                    "（Σ 人口 × 得分 = 0）",
                    field="fund.pool",
                    label="字段 fund.pool",
                )
            ]
        )
    amounts = largest_remainder(fund.pool, {r.unit: r.weight for r in sharing})
    for r in sharing:
        r.share = fund.pool * r.weight / total
        r.amount = amounts[r.unit]
