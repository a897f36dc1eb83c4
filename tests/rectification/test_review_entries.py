"""Items graded below standard at the county review or the re-check become ledger entries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.errors import UserError
from jiceng.rectification.actions import do_open_entries_from_review
from jiceng.rectification.models import LedgerEntry

pytestmark = pytest.mark.django_db

MINI = """
code: mini-ledger
version: "1"
title: 整改测试标准
institution_kinds: [township_hc, community_hc, village_clinic, community_station]
scale:
  - {grade: A, label: 优秀, meets: true}
  - {grade: B, label: 良好, meets: true}
  - {grade: C, label: 合格, meets: true}
  - {grade: D, label: 不合格, meets: false}
basic_threshold: 0.60
recommended_threshold: 0.60
chapters:
  - code: "1"
    title: 功能任务与资源配置
    sections:
      - code: "1.1"
        title: 功能任务
        items:
          - {code: "1.1.1", tier: basic, text: 功能定位明确}
          - {code: "1.1.2", tier: basic, text: 承担公共卫生管理}
          - {code: "1.1.3", tier: basic, na_allowed: true, text: 设置住院床位}
          - {code: "1.2.1", tier: basic, text: 全科医生不少于3名}
          - {code: "1.2.2", tier: basic, text: 配备公共卫生医师}
  - code: "2"
    title: 基本医疗和公共卫生服务
    sections:
      - code: "2.1"
        title: 医疗服务
        items:
          - {code: "2.1.1", tier: recommended, text: 开展二级手术}
          - {code: "2.1.2", tier: recommended, text: 开展远程会诊}
"""
CODES = ["1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "2.1.1", "2.1.2"]


def grades(**d):
    out = dict.fromkeys(CODES, "B")
    out.update({k.replace("_", "."): v for k, v in d.items()})
    return out


def fresh(sub):
    from jiceng.assessments.models import Submission

    return Submission.objects.get(pk=sub.pk)


@pytest.fixture
def sub(personas):
    """TA1's submission of county A's 2025 cycle, self-assessed and submitted."""
    from jiceng.assessments.actions import do_open_cycle, do_save_grades, do_submit
    from jiceng.assessments.models import Submission
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog

    do_load_catalog(None, parse_catalog(MINI, "mini.yaml"), MINI, "mini.yaml")
    cycle = do_open_cycle(
        None,
        personas.tree.A,
        2025,
        self_deadline=dt.date(2025, 6, 30),
        county_deadline=dt.date(2025, 8, 31),
        recheck_deadline=dt.date(2025, 10, 31),
    )
    s = Submission.objects.get(cycle=cycle, institution=personas.tree.TA1)
    s = do_save_grades(personas.clerk, s, "self", grades(), version=s.version)
    return do_submit(personas.clerk, s, version=s.version)


def county_pass(p, s, g, remarks=None):
    from jiceng.assessments.actions import do_pass_county, do_save_grades

    s = fresh(s)
    s = do_save_grades(p.county_reviewer, s, "county", g, remarks, version=s.version)
    return do_pass_county(p.county_reviewer, s, version=s.version)


def test_passing_the_county_review_opens_one_entry_per_item_below_standard(personas, sub):
    s = county_pass(
        personas,
        sub,
        grades(**{"1_2_1": "D", "2_1_2": "D", "1_1_3": "NA"}),
        {"1.2.1": "仅有2名全科医生"},
    )
    entries = list(LedgerEntry.objects.order_by("pk"))
    assert [e.item_code for e in entries] == ["1.2.1", "2.1.2"]
    e = entries[0]
    assert (e.source, e.submission_id, e.institution) == ("review", s.pk, personas.tree.TA1)
    assert "全科医生不少于3名" in e.description and "仅有2名全科医生" in e.description
    assert e.status == "open" and e.responsible == ""
    assert e.deadline - e.opened_on == dt.timedelta(days=30)


def test_opening_entries_twice_does_not_duplicate_them(personas, sub):
    s = county_pass(personas, sub, grades(**{"1_2_1": "D"}))
    again = do_open_entries_from_review(personas.county_reviewer, fresh(s), "county")
    assert [e.item_code for e in again] == ["1.2.1"]
    assert LedgerEntry.objects.count() == 1
    assert again[0].events.count() == 1


def test_the_recheck_adds_its_own_findings_and_keeps_one_entry_per_item(personas, sub):
    from jiceng.assessments.actions import (
        do_complete_recheck,
        do_save_recheck,
        do_select_for_recheck,
    )

    s = county_pass(personas, sub, grades(**{"1_2_1": "D"}))
    if s.stage != "recheck_pending":  # a recommended verdict is re-checked anyway
        do_select_for_recheck(personas.city_reviewer, [fresh(s)])
    s = fresh(s)
    assert s.stage == "recheck_pending"
    s = do_save_recheck(
        personas.city_reviewer, s, grades(**{"1_2_1": "D", "1_2_2": "D"}), version=s.version
    )
    do_complete_recheck(personas.city_reviewer, s, version=s.version)
    rows = sorted(LedgerEntry.objects.values_list("item_code", "source"))
    assert rows == [("1.2.1", "review"), ("1.2.2", "recheck")]


def test_nothing_is_opened_when_every_item_meets(personas, sub):
    county_pass(personas, sub, grades())
    assert not LedgerEntry.objects.exists()


def test_self_assessment_grades_never_open_entries(personas, sub):
    with pytest.raises(UserError) as err:
        do_open_entries_from_review(personas.county_reviewer, sub, "self")
    assert "县级评价" in str(err.value)


def test_a_reviewer_outside_the_county_cannot_open_entries_from_its_review(personas, sub):
    county_pass(personas, sub, grades(**{"1_2_1": "D"}))
    LedgerEntry.objects.all().delete()
    with pytest.raises(Http404):
        do_open_entries_from_review(personas.county_reviewer_b, fresh(sub), "county")
    assert not LedgerEntry.objects.exists()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=7, max_size=7))
def test_entries_match_exactly_the_items_graded_d_and_stay_idempotent(personas, sub, chosen):
    from jiceng.assessments.models import Grade

    LedgerEntry.objects.filter(submission=sub).delete()
    Grade.objects.filter(submission=sub, level="county").delete()
    for code, g in zip(CODES, chosen, strict=True):
        Grade.objects.create(submission=sub, level="county", item_code=code, grade=g)
    expected = [c for c, g in zip(CODES, chosen, strict=True) if g == "D"]
    first = do_open_entries_from_review(personas.county_reviewer, fresh(sub), "county")
    second = do_open_entries_from_review(personas.county_reviewer, fresh(sub), "county")
    assert [e.item_code for e in first] == expected
    assert [e.pk for e in second] == [e.pk for e in first]
    assert LedgerEntry.objects.filter(submission=sub).count() == len(expected)


def test_the_problem_counts_as_found_on_the_day_of_the_review(personas, sub):
    from jiceng.assessments.models import Submission

    s = county_pass(personas, sub, grades(**{"1_2_1": "D"}))
    LedgerEntry.objects.all().delete()
    passed = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
    Submission.objects.filter(pk=s.pk).update(county_passed_at=passed)
    (e,) = do_open_entries_from_review(personas.county_reviewer, fresh(s), "county")
    assert e.opened_on == dt.date(2025, 3, 1)
    assert e.deadline == dt.date(2025, 3, 31)
    assert e.is_overdue(dt.date(2025, 4, 1))
