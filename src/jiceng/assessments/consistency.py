"""Consistency (一致性) of two gradings: item agreement, Cohen's kappa, surviving verdicts.

Two gradings of the same institution are compared item by item on the side of "meets":
each grade is classed ``met``, ``not_met`` or ``na`` (not applicable). Item agreement
is the share of items classed the same; Cohen's kappa corrects it for the agreement
expected by chance. A verdict *survives* the re-check when the re-check's verdict is
the county's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from jiceng.assessments.models import Level, Submission
from jiceng.standards.catalog import NA

PAIRS = {
    "self_county": (Level.SELF, Level.COUNTY),
    "county_recheck": (Level.COUNTY, Level.RECHECK),
}


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of paired category labels; None when it is undefined.

    kappa = (po - pe) / (1 - pe), po the observed agreement, pe the agreement expected
    from each rater's marginal shares. When both raters used one and the same category
    for everything (pe = 1), kappa is undefined and None is returned.
    """
    n = len(pairs)
    if n == 0:
        return None
    po = Fraction(sum(1 for a, b in pairs if a == b), n)
    left = Counter(a for a, _ in pairs)
    right = Counter(b for _, b in pairs)
    pe = sum(Fraction(left[c] * right.get(c, 0), n * n) for c in left)
    if pe == 1:
        return None
    return float((po - pe) / (1 - pe))


def classify(spec, grade: str) -> str:
    if grade == NA:
        return "na"
    return "met" if spec.meets(grade) else "not_met"


@dataclass
class Comparison:
    """Agreement of two gradings over the items graded in both."""

    items: int = 0
    agree: int = 0
    pairs: list[tuple[str, str]] | None = None

    @property
    def agreement(self) -> float | None:
        return round(self.agree / self.items, 4) if self.items else None

    @property
    def kappa(self) -> float | None:
        k = cohen_kappa(self.pairs or [])
        return None if k is None else round(k, 4)

    def add(self, other: Comparison) -> None:
        self.items += other.items
        self.agree += other.agree
        self.pairs = (self.pairs or []) + (other.pairs or [])

    def to_dict(self) -> dict:
        return {
            "items": self.items,
            "agree": self.agree,
            "agreement": self.agreement,
            "kappa": self.kappa,
        }


def compare(spec, a: dict[str, str], b: dict[str, str]) -> Comparison:
    """Item agreement of gradings ``a`` and ``b`` (item code → grade) of one catalog."""
    pairs = [(classify(spec, a[c]), classify(spec, b[c])) for c in a if c in b]
    return Comparison(items=len(pairs), agree=sum(1 for x, y in pairs if x == y), pairs=pairs)


@dataclass
class Survival:
    rechecked: int = 0
    survived: int = 0

    @property
    def share(self) -> float | None:
        return round(self.survived / self.rechecked, 4) if self.rechecked else None

    def to_dict(self) -> dict:
        return {"rechecked": self.rechecked, "survived": self.survived, "share": self.share}


def institution_consistency(
    submission: Submission, readable: Iterable[str] | None = None, grades=None
) -> dict:
    """Self vs county and county vs re-check for one submission.

    ``readable``: the levels the reader may see (``queries.readable_levels``); the others
    count as not graded, so nothing of a review in progress shows. ``grades``: level → item
    → grade of the submission, if the caller has them already (else read here).
    """
    from jiceng.standards.actions import spec_of

    levels = set(Level) if readable is None else {Level(lv) for lv in readable}
    spec = spec_of(submission.catalog)
    given = grades

    def at(lv) -> dict[str, str]:
        return submission.grades_at(lv) if given is None else dict(given.get(lv, {}))

    grades = {lv: (at(lv) if lv in levels else {}) for lv in Level}
    out = {}
    for name, (x, y) in PAIRS.items():
        out[name] = compare(spec, grades[x], grades[y]).to_dict()
    stored = {
        Level.SELF: submission.self_verdict,
        Level.COUNTY: submission.county_verdict,
        Level.RECHECK: submission.recheck_verdict,
    }
    verdicts = {lv.value: (stored[lv] if lv in levels else "") for lv in Level}
    out["verdicts"] = verdicts
    out["survived"] = (
        verdicts["county"] == verdicts["recheck"]
        if verdicts["county"] and verdicts["recheck"]
        else None
    )
    return out


def grades_by_submission(subs: Iterable[Submission]) -> dict[int, dict[str, dict[str, str]]]:
    """Submission id → level → item code → grade of every grade given, in one query."""
    from jiceng.assessments.models import Grade

    out: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for sub_id, level, code, grade in (
        Grade.objects.filter(submission__in=[s.pk for s in subs])
        .exclude(grade="")
        .values_list("submission_id", "level", "item_code", "grade")
    ):
        out[sub_id][level][code] = grade
    return out


def group_consistency(
    submissions: Iterable[Submission], key, readable=None, grades=None
) -> list[dict]:
    """Consistency aggregated per group: ``key(submission)`` → a group name.

    Each row has, per pair of levels, items compared, agreement and kappa; and the share
    of county verdicts that survived the re-check. ``readable(submission)`` gives the
    levels the reader may see; the others count as not graded. ``grades``:
    :func:`grades_by_submission` of the submissions, if the caller has it already.
    """
    from jiceng.standards.actions import spec_of

    groups: dict[str, dict] = defaultdict(
        lambda: {"pairs": {n: Comparison(pairs=[]) for n in PAIRS}, "survival": Survival(), "n": 0}
    )
    subs = list(submissions)
    all_grades = grades_by_submission(subs) if grades is None else grades
    for sub in subs:
        name = key(sub)
        if name is None:
            continue
        g = groups[name]
        g["n"] += 1
        spec = spec_of(sub.catalog)
        levels = set(Level) if readable is None else {Level(lv) for lv in readable(sub)}
        grades = {lv: v for lv, v in all_grades[sub.pk].items() if lv in levels}
        for pname, (x, y) in PAIRS.items():
            g["pairs"][pname].add(compare(spec, grades.get(x, {}), grades.get(y, {})))
        county = sub.county_verdict if Level.COUNTY in levels else ""
        recheck = sub.recheck_verdict if Level.RECHECK in levels else ""
        if county and recheck:
            g["survival"].rechecked += 1
            g["survival"].survived += int(county == recheck)
    rows = []
    for name in sorted(groups):
        g = groups[name]
        rows.append(
            {
                "name": name,
                "submissions": g["n"],
                **{p: c.to_dict() for p, c in g["pairs"].items()},
                "survival": g["survival"].to_dict(),
            }
        )
    return rows
