"""The verdict of a grading: the one place where the standard's rules live.

Rules (``docs/standards.md``): *applicable* items are those not graded NA.

- basic (达到基本标准) ⇔ every applicable core basic item meets and
  met/applicable of basic items ≥ ``basic_threshold``;
- recommended (达到推荐标准) ⇔ basic, every applicable core recommended item meets and
  met/applicable of recommended items ≥ ``recommended_threshold``;
- otherwise none (未达标).

Ratios are exact fractions. A tier with no applicable item at all (everything NA, or a
catalog without recommended items) is **not reached**: a standard is never granted on
no evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.standards.catalog import NA, TIERS, CatalogSpec

VERDICTS = ("none", "basic", "recommended")


class GradingError(ValidationFailed):
    """The grades cannot give a verdict; ``problems`` names every offending item."""


@dataclass(frozen=True)
class TierResult:
    tier: str
    met: int
    applicable: int
    not_applicable: int
    threshold: Fraction
    failed_core: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> Fraction | None:
        return Fraction(self.met, self.applicable) if self.applicable else None

    @property
    def ratio_reached(self) -> bool:
        return self.ratio is not None and self.ratio >= self.threshold

    @property
    def reached(self) -> bool:
        """This tier's own conditions (for recommended, basic must hold as well)."""
        return self.ratio_reached and not self.failed_core

    def to_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "met": self.met,
            "applicable": self.applicable,
            "not_applicable": self.not_applicable,
            "ratio": float(ratio) if ratio is not None else None,
            "ratio_text": f"{self.met}/{self.applicable}",
            "threshold": float(self.threshold),
            "threshold_text": str(self.threshold),
            "reached": self.reached,
            "failed_core": list(self.failed_core),
            "failed": list(self.failed),
        }


@dataclass(frozen=True)
class Verdict:
    verdict: str
    tiers: dict[str, TierResult]
    next_tier_gap: list[str]
    catalog_code: str = ""
    catalog_version: str = ""

    @property
    def label(self) -> str:
        return verdict_label(self.verdict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "label": str(self.label),
            "catalog": {"code": self.catalog_code, "version": self.catalog_version},
            "tiers": {name: t.to_dict() for name, t in self.tiers.items()},
            "next_tier_gap": list(self.next_tier_gap),
        }


def verdict_label(verdict: str) -> str:
    return {
        "none": _("Standard not reached"),
        "basic": _("Basic standard reached"),
        "recommended": _("Recommended standard reached"),
    }[verdict]


def meets(catalog: CatalogSpec, grade: str) -> bool:
    """Whether ``grade`` meets an item of ``catalog``. NA is not "meets"; unknown grades raise."""
    return catalog.meets(grade)


def check_grades(catalog: CatalogSpec, grades: Mapping[str, str]) -> list[Problem]:
    """Every reason ``grades`` cannot give a verdict, in catalog order then unknown codes."""
    problems: list[Problem] = []
    scale = [g.grade for g in catalog.scale]
    for item in catalog.items:
        grade = grades.get(item.code)
        grade = grade.strip() if isinstance(grade, str) else grade
        if grade is None or grade == "":
            problems.append(
                Problem(_("Item %(code)s has no grade.") % {"code": item.code}, field=item.code)
            )
        elif grade == NA:
            if not item.na_allowed:
                problems.append(
                    Problem(
                        _("Item %(code)s may not be graded not applicable (NA).")
                        % {"code": item.code},
                        field=item.code,
                    )
                )
        elif grade not in catalog.grades:
            problems.append(
                Problem(
                    _("Item %(code)s: grade '%(grade)s' is not in the scale (%(scale)s).")
                    % {"code": item.code, "grade": grade, "scale": "/".join(scale)},
                    field=item.code,
                )
            )
    for code in grades:
        if code not in catalog.item_map:
            problems.append(
                Problem(
                    _("Item code %(code)s is not in catalog %(catalog)s.")
                    % {"code": code, "catalog": catalog.code},
                    field=str(code),
                )
            )
    return problems


def _tier(catalog: CatalogSpec, tier: str, grades: Mapping[str, str]) -> TierResult:
    threshold = Fraction(
        str(catalog.basic_threshold if tier == "basic" else catalog.recommended_threshold)
    )
    met = applicable = na = 0
    failed: list[str] = []
    failed_core: list[str] = []
    for item in catalog.items:
        if item.tier != tier:
            continue
        grade = grades[item.code].strip()
        if grade == NA:
            na += 1
            continue
        applicable += 1
        if catalog.meets(grade):
            met += 1
        else:
            failed.append(item.code)
            if item.core:
                failed_core.append(item.code)
    return TierResult(tier, met, applicable, na, threshold, failed_core, failed)


def _gap(catalog: CatalogSpec, result: TierResult) -> list[str]:
    """Fewest item changes that reach ``result``'s tier: failed core first, then others.

    Empty when the tier cannot be reached by changing grades (no applicable item).
    """
    if result.applicable == 0:
        return []
    gap = list(result.failed_core)
    met = result.met + len(gap)
    for code in result.failed:
        if Fraction(met, result.applicable) >= result.threshold:
            break
        if code in gap:
            continue
        gap.append(code)
        met += 1
    order = {item.code: n for n, item in enumerate(catalog.items)}
    return sorted(gap, key=order.__getitem__)


def compute_verdict(catalog: CatalogSpec, grades: Mapping[str, str]) -> Verdict:
    """The verdict of a complete grading (item code → grade of the scale or ``NA``)."""
    problems = check_grades(catalog, grades)
    if problems:
        raise GradingError(problems)
    tiers = {tier: _tier(catalog, tier, grades) for tier in TIERS}
    basic, recommended = tiers["basic"], tiers["recommended"]
    if not basic.reached:
        verdict, gap = "none", _gap(catalog, basic)
    elif not recommended.reached:
        verdict, gap = "basic", _gap(catalog, recommended)
    else:
        verdict, gap = "recommended", []
    return Verdict(verdict, tiers, gap, catalog.code, catalog.version)
