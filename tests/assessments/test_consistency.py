"""Consistency maths: item agreement, Cohen's kappa and verdicts that survive the re-check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiceng.assessments import actions as A
from jiceng.assessments.consistency import cohen_kappa, group_consistency, institution_consistency

from .conftest import all_grades, county_pass, fresh, submit


def test_kappa_matches_a_hand_computed_example():
    # 10 items: both agree "met" 5 times, "not met" 3 times, and disagree twice.
    pairs = (
        [("met", "met")] * 5
        + [("met", "not_met"), ("not_met", "met")]
        + [("not_met", "not_met")] * 3
    )
    # po = 8/10; each rater says met 6 times: pe = 0.6*0.6 + 0.4*0.4 = 0.52
    # kappa = (0.8 - 0.52) / (1 - 0.52) = 0.58333...
    assert cohen_kappa(pairs) == pytest.approx(0.28 / 0.48)


def test_kappa_is_one_for_perfect_agreement_and_undefined_for_one_category():
    assert cohen_kappa([("met", "met"), ("not_met", "not_met")]) == 1.0
    assert cohen_kappa([("met", "met")] * 4) is None
    assert cohen_kappa([]) is None


def test_kappa_is_negative_when_raters_always_disagree():
    assert cohen_kappa([("met", "not_met"), ("not_met", "met")]) == -1.0


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=1, max_size=40))
def test_kappa_is_symmetric_and_at_most_one(pairs):
    k = cohen_kappa(pairs)
    swapped = cohen_kappa([(b, a) for a, b in pairs])
    if k is None:
        assert swapped is None
    else:
        assert k == pytest.approx(swapped)
        assert k <= 1.0 + 1e-12


@pytest.mark.django_db
def test_agreement_and_survival_of_one_institution(cyc):
    p = cyc.p
    # self: all A; county: 1.1.2 and 2.1.1 D (2 of 8 items on the other side of "meets")
    sub = submit(p, cyc.sub)
    sub = county_pass(p, sub, all_grades("B", **{"1_1_2": "D", "2_1_1": "D"}))
    assert sub.county_verdict == "basic"
    [sub] = A.do_select_for_recheck(p.city_reviewer, [sub])
    sub = A.do_save_recheck(
        p.city_reviewer, sub, all_grades("A", **{"1_1_2": "D", "1_2_1": "D"}), version=sub.version
    )
    sub = A.do_complete_recheck(p.city_reviewer, sub, version=sub.version)
    # the re-check: 1.1.2 and 1.2.1 fail -> basic 3/5 < 0.8 -> none; the verdict did not survive
    assert sub.recheck_verdict == "none"
    c = institution_consistency(fresh(sub))
    assert c["self_county"] == {"items": 8, "agree": 6, "agreement": 0.75, "kappa": 0.0}
    # county vs recheck: disagree on 1.2.1 (met/not) and 2.1.1 (not/met): 6 of 8 agree
    # county: met 6 / not 2; recheck: met 6 / not 2 -> pe = (36 + 4) / 64 = 0.625
    assert c["county_recheck"]["agreement"] == 0.75
    assert c["county_recheck"]["kappa"] == pytest.approx((0.75 - 0.625) / 0.375, abs=1e-4)
    assert c["survived"] is False
    rows = group_consistency([fresh(sub)], key=lambda s: s.institution.name)
    assert rows[0]["survival"] == {"rechecked": 1, "survived": 0, "share": 0.0}
    assert rows[0]["self_county"]["agree"] == 6
