"""Who may record visits, report fixes and verify them: every persona on every node."""

from __future__ import annotations

import pytest

from jiceng.core import scope
from jiceng.core.scope import Action

ALL = {"P", "C", "A", "B", "TA1", "TA2", "CA1", "TB1", "VA1", "VA2", "VA3", "SA1", "VB1"}
COUNTY_A = {"A", "TA1", "TA2", "CA1", "VA1", "VA2", "VA3", "SA1"}
COUNTY_B = {"B", "TB1", "VB1"}
INST_ALL = ALL - {"P", "C", "A", "B"}
INST_A = COUNTY_A - {"A"}

EXPECTED = {
    "clerk": {
        Action.SUPERVISE: set(),
        Action.REPORT_FIX: {"TA1", "VA1", "VA2"},
        Action.VERIFY_FIX: set(),
    },
    "village_clerk": {
        Action.SUPERVISE: set(),
        Action.REPORT_FIX: {"VA1"},
        Action.VERIFY_FIX: set(),
    },
    "county_reviewer": {  # sits on county A, works at TA2 (and so never acts on TA2 or VA3)
        Action.SUPERVISE: COUNTY_A - {"TA2", "VA3"},
        Action.REPORT_FIX: set(),
        Action.VERIFY_FIX: INST_A - {"TA2", "VA3"},
    },
    "county_reviewer_b": {
        Action.SUPERVISE: COUNTY_B,
        Action.REPORT_FIX: set(),
        Action.VERIFY_FIX: {"TB1", "VB1"},
    },
    "city_reviewer": {
        Action.SUPERVISE: ALL - {"P"},
        Action.REPORT_FIX: set(),
        Action.VERIFY_FIX: INST_ALL,
    },
    "province_reviewer": {
        Action.SUPERVISE: ALL,
        Action.REPORT_FIX: set(),
        Action.VERIFY_FIX: INST_ALL,
    },
    "analyst": {Action.SUPERVISE: set(), Action.REPORT_FIX: set(), Action.VERIFY_FIX: set()},
    "county_admin": {Action.SUPERVISE: set(), Action.REPORT_FIX: set(), Action.VERIFY_FIX: set()},
    "province_admin": {Action.SUPERVISE: set(), Action.REPORT_FIX: set(), Action.VERIFY_FIX: set()},
}

CASES = [(who, action) for who, rules in EXPECTED.items() for action in rules]


@pytest.mark.parametrize("who,action", CASES)
def test_each_persona_may_act_exactly_on_the_expected_nodes(personas, who, action):
    user = getattr(personas, who)
    allowed = {name for name in ALL if scope.can(user, action, getattr(personas.tree, name))}
    assert allowed == EXPECTED[who][action]


def test_a_global_superuser_sees_everything_but_does_no_ledger_work(personas, db):
    from jiceng.accounts.models import User

    root = User.objects.create_superuser("root", password="x-very-long-pass-1")
    ta1 = personas.tree.TA1
    assert scope.can(root, Action.VIEW, ta1)
    for action in (Action.SUPERVISE, Action.REPORT_FIX, Action.VERIFY_FIX):
        assert not scope.can(root, action, ta1)


def test_an_inactive_reviewer_may_do_nothing(personas):
    user = personas.county_reviewer
    user.is_active = False
    assert not scope.can(user, Action.VERIFY_FIX, personas.tree.TA1)
    assert not scope.can(user, Action.SUPERVISE, personas.tree.A)
