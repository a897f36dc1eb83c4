"""Gathering item values from the platform's sources, for all units at once: the ledger
(closed rate and overdue count), verdict shares, bad-practice points, populations; and the
actions' refusals (scope, state)."""

import datetime as dt
from fractions import Fraction

import pytest

from jiceng.appraisal import actions, sources
from jiceng.appraisal.models import Appraisal
from jiceng.core.errors import UserError
from jiceng.rectification.models import LedgerEntry, Status

from .helpers import load_scheme, worked_appraisal

ON = dt.date(2025, 12, 31)


def _entry(inst, status, deadline, opened=dt.date(2025, 3, 1)):
    return LedgerEntry.objects.create(
        institution=inst, description="问题", opened_on=opened, deadline=deadline, status=status
    )


def test_the_ledger_gives_each_unit_its_closed_rate_and_overdue_count(tree):
    t = tree
    # TA1: 3 entries of 2025, 1 closed → 33.33…%; one open past its deadline → 1 overdue
    _entry(t.TA1, Status.CLOSED, dt.date(2025, 4, 1))
    _entry(t.TA1, Status.OPEN, dt.date(2025, 6, 1))
    _entry(t.VA1, Status.OPEN, dt.date(2026, 6, 1))  # below TA1, not yet due
    _entry(t.TA2, Status.OPEN, dt.date(2025, 6, 1), opened=dt.date(2024, 3, 1))  # 2024: not counted
    got = sources.ledger(t.A, [t.TA1, t.TA2, t.A], 2025, ON)
    assert got[(t.TA1.pk, "closed_rate")] == Fraction(100, 3)
    assert got[(t.TA1.pk, "overdue")] == 1
    assert got[(t.TA2.pk, "closed_rate")] is None  # no entry of the year: 无数据
    assert got[(t.TA2.pk, "overdue")] == 0
    assert got[(t.A.pk, "closed_rate")] == Fraction(100, 3)  # the county holds all three


def test_populations_take_the_units_own_figure_or_the_nearest_below(tree):
    from jiceng.orgs.actions import do_set_year

    t = tree
    do_set_year(None, t.TA2, 2025, permanent_residents=5000)  # its own figure wins over VA3's
    got = sources.populations(t.A, [t.TA1, t.TA2, t.CA1, t.A], 2025)
    # A: TA2 5000 (VA3 is below a figure) + VA1 1200 + VA2 900 + SA1 3000 = 10100
    assert got == {t.TA1.code: 2100, t.TA2.code: 5000, t.CA1.code: 3000, t.A.code: 10100}


def test_bad_practice_points_of_the_year_add_up_at_and_above_the_institution(personas):
    t = personas.tree
    for inst, day, pts in [
        (t.TA1, dt.date(2025, 2, 1), "2"),
        (t.VA1, dt.date(2025, 3, 1), "1.5"),
        (t.TA1, dt.date(2024, 12, 31), "9"),  # last year: not counted
    ]:
        actions.do_record_bad_practice(personas.city_reviewer, inst, day, "规定", pts, "证据")
    got = sources.bad_practice_points(t.A, [t.TA1, t.TA2], 2025)
    assert got == {t.TA1.pk: Fraction(7, 2), t.TA2.pk: 0}


def test_only_appraisers_of_the_region_open_an_appraisal_and_only_once(personas):
    t = personas.tree
    version = load_scheme(t.P)
    with pytest.raises(actions.PermissionDenied):
        actions.do_open_appraisal(personas.county_reviewer_b, version, t.A, 2025)
    with pytest.raises(actions.PermissionDenied):
        actions.do_open_appraisal(personas.clerk, version, t.A, 2025)
    actions.do_open_appraisal(personas.county_reviewer, version, t.A, 2025)
    with pytest.raises(UserError):
        actions.do_open_appraisal(personas.county_admin, version, t.A, 2025)
    actions.do_set_scheme_active(personas.province_admin, version, False)
    with pytest.raises(UserError):
        actions.do_open_appraisal(personas.province_admin, version, t.B, 2025)
    assert Appraisal.objects.count() == 1


def test_a_reviewer_cannot_answer_the_appeal_of_the_institution_they_work_at(personas):
    t = personas.tree
    appraisal = worked_appraisal(personas)
    actions.do_review(personas.county_admin, appraisal)
    appraisal = actions.do_publish(personas.county_admin, appraisal)
    staff = personas.county_reviewer  # works at TA2
    appeal = actions.do_file_appeal(staff, appraisal, t.TA2, "C", "记分有误")
    with pytest.raises(actions.PermissionDenied):
        actions.do_answer_appeal(staff, appeal, "upheld", "同意")
    with pytest.raises(actions.PermissionDenied):
        actions.do_file_appeal(personas.clerk, appraisal, t.TA2, "", "不是本单位")
