"""The appraisal of a region scores the gathered values with the core: the hand-worked
example of ``helpers.worked_appraisal``, frozen on publication, corrected as a new version."""

import datetime as dt
from decimal import Decimal

import pytest

from jiceng.appraisal import actions, results
from jiceng.appraisal.models import Appraisal, Status

from .helpers import worked_appraisal


def test_the_worked_example_gives_the_hand_computed_scores_ranks_and_grades(personas):
    table = results.compute(worked_appraisal(personas))
    t = personas.tree
    got = {r.unit: (r.score, r.rank, r.grade) for r in table.units}
    assert got == {
        t.TA1.code: ("93.33", 1, "优秀"),
        t.TA2.code: ("90.00", 2, "优秀"),
        t.CA1.code: ("66.67", 3, "合格"),
    }
    ca1 = table.row(t.CA1.code)
    assert ca1.items["A"].points == "0" and "无数据" in ca1.items["A"].flags
    assert ca1.items["D"].points is None  # exempt: left out
    assert table.row(t.TA2.code).items["C"].value == "3"
    assert table.row(t.TA2.code).items["C"].points == "7"


def test_the_fund_is_shared_by_population_and_score_and_adds_up_to_the_pool(personas):
    # weights pop × score: TA1 2100 × 280/3 = 196000, TA2 1500 × 90 = 135000,
    # CA1 3000 × 200/3 = 200000; Σ 531000. In fen: TA1 369114.88, TA2 254237.29,
    # CA1 376647.83 → floors add to 999998; the 2 fen left go to the largest remainders
    # (TA1 .88, CA1 .83): 3691.15 + 2542.37 + 3766.48 = 10000.00.
    table = results.compute(worked_appraisal(personas))
    t = personas.tree
    amounts = {r.unit: r.amount for r in table.units}
    assert amounts == {t.TA1.code: "3691.15", t.TA2.code: "2542.37", t.CA1.code: "3766.48"}
    assert table.total_amount == Decimal("10000.00")
    assert {r.unit: r.population for r in table.units} == {
        t.TA1.code: 2100,
        t.TA2.code: 1500,
        t.CA1.code: 3000,
    }


def test_a_published_appraisal_is_frozen_against_later_data(personas):
    appraisal = worked_appraisal(personas)
    actions.do_review(personas.county_admin, appraisal)
    actions.do_publish(personas.county_admin, appraisal)
    t = personas.tree
    actions.do_record_bad_practice(
        personas.city_reviewer, t.TA1, dt.date(2025, 9, 1), "违规收费", "5", "通报 9 号"
    )
    appraisal.refresh_from_db()
    assert results.results_of(appraisal).row(t.TA1.code).score == "93.33"
    # a live computation sees the new points: C = 10 − 5 = 5, (8+10+5)/30 = 76.67
    assert results.compute(appraisal).row(t.TA1.code).score == "76.67"


def test_a_correction_is_a_new_version_that_supersedes_the_published_one(personas):
    appraisal = worked_appraisal(personas)
    actions.do_review(personas.county_admin, appraisal)
    actions.do_publish(personas.county_admin, appraisal)
    with pytest.raises(actions.UserError):
        actions.do_correct(personas.county_admin, appraisal, "  ")
    new = actions.do_correct(personas.county_admin, appraisal, "申诉成立，重新核查")
    assert (new.number, new.corrects_id, new.status) == (2, appraisal.pk, Status.DRAFT)
    assert new.manual.count() == 2  # the manual values are carried over
    actions.do_enter_manual(
        personas.county_admin, new, personas.tree.CA1, {"A": ("6", "复核", "复核记录")}
    )
    actions.do_review(personas.county_admin, new)
    actions.do_publish(personas.county_admin, new)
    appraisal.refresh_from_db()
    assert appraisal.status == Status.SUPERSEDED
    # CA1 now (6+10+10)/30 = 86.67
    assert results.results_of(new).row(personas.tree.CA1.code).score == "86.67"
    assert Appraisal.objects.filter(region=personas.tree.A).count() == 2


def test_a_source_value_the_rule_cannot_score_is_no_data_and_named_in_a_warning(personas):
    from .helpers import load_scheme

    # a map on the ledger's overdue count lists 0 and 1 only; TA1 has 2 overdue entries
    text = """\
code: MAP
version: "1"
title: 映射
year: 2025
unit_kinds: [township_hc]
peer_group: all
grades: [{label: 合格, min: 60}, {label: 不合格}]
modules:
  - code: M
    name: 模块
    items:
      - {code: O, name: 逾期, points: 10, source: ledger_overdue, rule: {map: {0: 10, 1: 5}}}
"""
    from jiceng.rectification.models import LedgerEntry, Status

    t = personas.tree
    for _ in range(2):
        LedgerEntry.objects.create(
            institution=t.TA1, description="问题", opened_on=dt.date(2025, 2, 1),
            deadline=dt.date(2025, 3, 1), status=Status.OPEN,
        )  # fmt: skip
    version = load_scheme(t.P, text, "map.yaml")
    table = results.compute(actions.do_open_appraisal(None, version, t.A, 2025))
    ta1 = table.row(t.TA1.code)
    assert ta1.items["O"].points == "0" and ta1.items["O"].flags == ["无数据"]
    assert any("甲一镇卫生院 逾期" in w for w in table.warnings)
    assert table.row(t.TA2.code).items["O"].points == "10"  # 0 overdue: 10 points
