"""The verdict rules (docs/standards.md), checked against a tiny independent oracle."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.standards.verdict import NA, GradingError, compute_verdict, meets

from .helpers import basic_items, make_catalog, rec_items

# --------------------------------------------------------------------------- oracle
# Written from the rules in docs/standards.md, without looking at verdict.py.


def oracle(items, meeting_grades, grades, thresholds):
    """items: list of (code, tier, core); grades: code -> grade or "NA"."""

    def tier_ok(tier):
        mine = [(c, core) for c, t, core in items if t == tier and grades[c] != "NA"]
        if not mine:
            return False
        met = [c for c, _core in mine if grades[c] in meeting_grades]
        if any(core and grades[c] not in meeting_grades for c, core in mine):
            return False
        # cross-multiplication instead of fractions: met/n >= p/q  <=>  met*q >= p*n
        p, q = thresholds[tier].as_integer_ratio()
        return len(met) * q >= p * len(mine)

    if not tier_ok("basic"):
        return "none"
    if not tier_ok("recommended"):
        return "basic"
    return "recommended"


def oracle_gap_size(items, meeting_grades, grades, thresholds, tier):
    mine = [(c, core) for c, t, core in items if t == tier and grades[c] != "NA"]
    n = len(mine)
    if n == 0:
        return 0
    met = sum(1 for c, _ in mine if grades[c] in meeting_grades)
    core_failed = sum(1 for c, core in mine if core and grades[c] not in meeting_grades)
    p, q = thresholds[tier].as_integer_ratio()
    need = next(m for m in range(n + 1) if m * q >= p * n)
    return core_failed + max(0, need - met - core_failed)


# --------------------------------------------------------------------------- worked examples


def grades_for(catalog, default="A", **overrides):
    g = {i.code: default for i in catalog.items}
    g.update({k.replace("_", "."): v for k, v in overrides.items()})
    return g


def test_eight_of_ten_meets_a_threshold_of_0_80():
    cat = make_catalog(basic_items(10) + rec_items(1))
    grades = grades_for(cat, B9="D", B10="D")
    v = compute_verdict(cat, grades)
    assert v.verdict == "recommended"
    basic = v.tiers["basic"]
    assert (basic.met, basic.applicable, basic.ratio) == (8, 10, Fraction(4, 5))
    assert basic.failed == ["B9", "B10"]


def test_seven_of_ten_does_not_meet_0_80_and_the_gap_names_one_item():
    cat = make_catalog(basic_items(10) + rec_items(1))
    v = compute_verdict(cat, grades_for(cat, B8="D", B9="D", B10="D"))
    assert v.verdict == "none"
    assert v.next_tier_gap == ["B8"]


def test_a_failed_core_basic_item_blocks_the_basic_standard_whatever_else_is_met():
    cat = make_catalog(basic_items(10, core=(3,)) + rec_items(2))
    v = compute_verdict(cat, grades_for(cat, B3="D"))
    assert v.verdict == "none"
    assert v.tiers["basic"].ratio == Fraction(9, 10)
    assert v.tiers["basic"].failed_core == ["B3"]
    assert v.next_tier_gap == ["B3"]


def test_not_applicable_items_leave_the_denominator():
    cat = make_catalog(basic_items(10, na=(1, 2)) + rec_items(1))
    v = compute_verdict(cat, grades_for(cat, B1=NA, B2=NA, B3="D"))
    basic = v.tiers["basic"]
    assert (basic.met, basic.applicable, basic.not_applicable) == (7, 8, 2)
    assert v.verdict == "recommended"


def test_recommended_needs_the_basic_standard_first():
    cat = make_catalog(basic_items(5, core=(1,)) + rec_items(5))
    v = compute_verdict(cat, grades_for(cat, B1="D"))
    assert v.tiers["recommended"].reached
    assert v.verdict == "none"


def test_a_failed_core_recommended_item_stops_at_basic_and_is_the_gap():
    cat = make_catalog(basic_items(5) + rec_items(5, core=(2,)))
    v = compute_verdict(cat, grades_for(cat, R2="D"))
    assert v.verdict == "basic"
    assert v.tiers["recommended"].failed_core == ["R2"]
    assert v.next_tier_gap == ["R2"]


def test_a_tier_whose_items_are_all_not_applicable_is_not_reached():
    cat = make_catalog(basic_items(3) + rec_items(2, na=(1, 2)))
    v = compute_verdict(cat, grades_for(cat, R1=NA, R2=NA))
    rec = v.tiers["recommended"]
    assert (rec.applicable, rec.ratio, rec.reached) == (0, None, False)
    assert v.verdict == "basic"
    assert v.next_tier_gap == []
    assert v.to_dict()["tiers"]["recommended"]["ratio"] is None


def test_a_catalog_without_recommended_items_never_gives_the_recommended_standard():
    cat = make_catalog(basic_items(3))
    assert compute_verdict(cat, grades_for(cat)).verdict == "basic"


def test_threshold_one_needs_every_item_and_threshold_zero_needs_none():
    one = make_catalog(basic_items(4) + rec_items(1), basic_threshold="1")
    assert compute_verdict(one, grades_for(one)).verdict == "recommended"
    assert compute_verdict(one, grades_for(one, B4="D")).verdict == "none"
    zero = make_catalog(basic_items(4) + rec_items(1), basic_threshold="0")
    assert compute_verdict(zero, grades_for(zero, default="D", R1="A")).verdict == "recommended"


def test_the_verdict_names_every_ungraded_unknown_outside_scale_and_forbidden_na_item():
    cat = make_catalog(basic_items(4, na=(4,)) + rec_items(1))
    grades = {"B2": "E", "B3": NA, "B4": NA, "X9": "A", "R1": "A"}
    with pytest.raises(GradingError) as exc:
        compute_verdict(cat, grades)
    messages = {p.field: p.message for p in exc.value.problems}
    assert set(messages) == {"B1", "B2", "B3", "X9"}
    assert "B1" in messages["B1"]
    assert "E" in messages["B2"]
    assert "B3" in messages["B3"]
    assert "X9" in messages["X9"]


def test_to_dict_gives_ratio_as_a_float_and_as_m_over_n():
    cat = make_catalog(basic_items(3) + rec_items(1))
    d = compute_verdict(cat, grades_for(cat, B3="D")).to_dict()
    assert d["verdict"] == "none"
    assert d["tiers"]["basic"]["ratio"] == pytest.approx(2 / 3)
    assert d["tiers"]["basic"]["ratio_text"] == "2/3"
    assert d["next_tier_gap"] == ["B3"]


def test_meets_follows_the_scale_and_na_never_meets():
    cat = make_catalog(basic_items(1))
    assert meets(cat, "C") and not meets(cat, "D") and not meets(cat, NA)
    with pytest.raises(KeyError):
        meets(cat, "E")


def test_a_met_not_met_scale_works_like_abcd():
    scale = [{"grade": "达标", "meets": True}, {"grade": "不达标", "meets": False}]
    cat = make_catalog(basic_items(5) + rec_items(1), scale=scale)
    grades = grades_for(cat, default="达标", B5="不达标")
    assert compute_verdict(cat, grades).verdict == "recommended"


# --------------------------------------------------------------------------- properties


@st.composite
def catalogs_and_grades(draw):
    n = draw(st.integers(1, 14))
    items = []
    for i in range(n):
        tier = draw(st.sampled_from(["basic", "recommended"]))
        items.append(
            {
                "code": f"I{i}",
                "text": "条款",
                "tier": tier,
                "core": draw(st.booleans()),
                "na_allowed": draw(st.booleans()),
            }
        )
    # thresholds drawn as exact decimals on a grid that includes 0, 1 and the "on the line" cases
    tb = draw(st.integers(0, 20)) * 5
    tr = draw(st.integers(0, 20)) * 5
    cat = make_catalog(
        items, basic_threshold=f"{tb / 100:.2f}", recommended_threshold=f"{tr / 100:.2f}"
    )
    grades = {}
    for item in items:
        choices = ["A", "B", "C", "D"] + (["NA"] if item["na_allowed"] else [])
        grades[item["code"]] = draw(st.sampled_from(choices))
    return cat, grades


def _oracle_inputs(cat):
    items = [(i.code, i.tier, i.core) for i in cat.items]
    thresholds = {
        "basic": Fraction(str(cat.basic_threshold)),
        "recommended": Fraction(str(cat.recommended_threshold)),
    }
    return items, {"A", "B", "C"}, thresholds


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs_and_grades())
def test_the_verdict_agrees_with_the_oracle(case):
    cat, grades = case
    items, meeting, thresholds = _oracle_inputs(cat)
    assert compute_verdict(cat, grades).verdict == oracle(items, meeting, grades, thresholds)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs_and_grades())
def test_fixing_the_gap_reaches_the_next_tier_and_no_smaller_set_could(case):
    cat, grades = case
    items, meeting, thresholds = _oracle_inputs(cat)
    v = compute_verdict(cat, grades)
    if v.verdict == "recommended":
        assert v.next_tier_gap == []
        return
    target = "basic" if v.verdict == "none" else "recommended"
    gap = v.next_tier_gap
    assert len(gap) == oracle_gap_size(items, meeting, grades, thresholds, target)
    assert all(cat.item_map[c].tier == target and grades[c] == "D" for c in gap)
    if v.tiers[target].applicable == 0:
        return
    fixed = {**grades, **dict.fromkeys(gap, "A")}
    assert compute_verdict(cat, fixed).tiers[target].reached


@settings(max_examples=200, deadline=None)
@given(catalogs_and_grades(), st.data())
def test_any_missing_grade_is_named_and_no_verdict_is_given(case, data):
    cat, grades = case
    missing = data.draw(st.sets(st.sampled_from(sorted(grades)), min_size=1))
    partial = {k: v for k, v in grades.items() if k not in missing}
    with pytest.raises(GradingError) as exc:
        compute_verdict(cat, partial)
    assert {p.field for p in exc.value.problems} == missing


@settings(max_examples=200, deadline=None)
@given(catalogs_and_grades())
def test_the_ratio_is_exact(case):
    cat, grades = case
    v = compute_verdict(cat, grades)
    for name, tier in v.tiers.items():
        applicable = [i for i in cat.items if i.tier == name and grades[i.code] != "NA"]
        met = [i for i in applicable if grades[i.code] in {"A", "B", "C"}]
        assert tier.applicable == len(applicable) and tier.met == len(met)
        assert tier.ratio == (Fraction(len(met), len(applicable)) if applicable else None)
