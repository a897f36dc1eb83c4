"""The scope rules the evaluation cycle adds: who may open cycles and re-open levels."""

import pytest

from jiceng.core import scope
from jiceng.core.scope import Action

NAMES = ["P", "C", "A", "B", "TA1", "TA2", "CA1", "TB1", "VA1", "VA2", "VA3", "SA1", "VB1"]
INST_A = {"TA1", "TA2", "CA1", "VA1", "VA2", "VA3", "SA1"}
INST_ALL = INST_A | {"TB1", "VB1"}

EXPECTED = {
    "clerk": {Action.OPEN_CYCLE: set(), Action.REOPEN: set()},
    "county_reviewer": {Action.OPEN_CYCLE: set(), Action.REOPEN: set()},
    "city_reviewer": {Action.OPEN_CYCLE: set(), Action.REOPEN: INST_ALL},
    "province_reviewer": {Action.OPEN_CYCLE: set(), Action.REOPEN: INST_ALL},
    "analyst": {Action.OPEN_CYCLE: set(), Action.REOPEN: set()},
    "county_admin": {Action.OPEN_CYCLE: {"A"}, Action.REOPEN: INST_A},
    "province_admin": {Action.OPEN_CYCLE: {"P", "C", "A", "B"}, Action.REOPEN: INST_ALL},
}


@pytest.mark.parametrize(
    "persona,action",
    [(p, a) for p, actions in EXPECTED.items() for a in actions],
)
def test_each_persona_may_open_cycles_and_reopen_exactly_where_expected(personas, persona, action):
    user = getattr(personas, persona)
    allowed = {n for n in NAMES if scope.can(user, action, getattr(personas.tree, n))}
    assert allowed == EXPECTED[persona][action]


def test_a_city_reviewer_may_not_reopen_the_institution_they_work_at(personas):
    from conftest import make_user

    t = personas.tree
    user = make_user("city_at_tb1", "city_reviewer", t.C, institution=t.TB1)
    assert not scope.can(user, Action.REOPEN, t.TB1)
    assert not scope.can(user, Action.REOPEN, t.VB1)
    assert scope.can(user, Action.REOPEN, t.TA1)
