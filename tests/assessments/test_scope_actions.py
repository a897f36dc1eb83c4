"""Scope of the grading actions as a matrix: persona × institution (own county, other
county, own workplace) × level. Allowed means the save goes through; anything else is
refused (403, or 404 when the institution is out of sight) and nothing changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiceng.assessments import actions as A
from jiceng.assessments.models import Stage, Submission

from .conftest import all_grades, open_cycle

pytestmark = pytest.mark.django_db

STAGE_FOR = {"self": None, "county": Stage.SUBMITTED, "recheck": Stage.RECHECK_PENDING}
# persona → level → institutions (tree names) where saving grades is allowed
ALLOWED = {
    "clerk": {"self": {"TA1"}, "county": set(), "recheck": set()},
    "county_reviewer": {"self": set(), "county": {"TA1"}, "recheck": set()},  # works at TA2
    "county_reviewer_b": {"self": set(), "county": {"TB1"}, "recheck": set()},
    "city_reviewer": {"self": set(), "county": set(), "recheck": {"TA1", "TA2", "TB1"}},
    "province_reviewer": {"self": set(), "county": set(), "recheck": {"TA1", "TA2", "TB1"}},
    "analyst": {"self": set(), "county": set(), "recheck": set()},
    "county_admin": {"self": set(), "county": set(), "recheck": set()},
}
INSTITUTIONS = ("TA1", "TA2", "TB1")


@pytest.fixture
def subs(cyc):
    open_cycle(cyc.t.B)
    out = {}
    for name in INSTITUTIONS:
        out[name] = Submission.objects.get(institution=getattr(cyc.t, name), cycle__year=2025)
    return out


def _bring_to(sub, level):
    if level == "self":
        return sub
    sub = A.do_save_grades(None, sub, "self", all_grades("A"), version=sub.version)
    sub = A.do_submit(None, sub, version=sub.version)
    if level == "county":
        return sub
    sub = A.do_save_grades(None, sub, "county", all_grades("A"), version=sub.version)
    return A.do_pass_county(None, sub, version=sub.version)  # recommended → re-check


@pytest.mark.parametrize("level", ["self", "county", "recheck"])
@pytest.mark.parametrize("persona", sorted(ALLOWED))
def test_grading_is_allowed_exactly_where_the_scope_says(cyc, subs, persona, level):
    user = getattr(cyc.p, persona)
    for name in INSTITUTIONS:
        sub = _bring_to(Submission.objects.get(pk=subs[name].pk), level)
        assert sub.stage == (STAGE_FOR[level] or Stage.DRAFT)
        allowed = name in ALLOWED[persona][level]
        try:
            A.do_save_grades(user, sub, level, {"1.1.1": "C"}, version=sub.version)
            saved = True
        except (PermissionDenied, Http404):
            saved = False
        assert saved == allowed, (persona, level, name)
        grades = Submission.objects.get(pk=sub.pk).grades_at(level)
        assert (grades.get("1.1.1") == "C") == allowed
