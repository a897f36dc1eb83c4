"""The scope rules as a matrix: role × place in the tree × action.

Each row names, for one persona and one action, exactly the nodes of the test tree
(see tests/conftest.py) on which the action is allowed. Every other node must be refused.
"""

import pytest

from jiceng.core import scope
from jiceng.core.scope import Action

ALL = {"P", "C", "A", "B", "TA1", "TA2", "CA1", "TB1", "VA1", "VA2", "VA3", "SA1", "VB1"}
COUNTY_A = {"A", "TA1", "TA2", "CA1", "VA1", "VA2", "VA3", "SA1"}
COUNTY_B = {"B", "TB1", "VB1"}
INST_A = COUNTY_A - {"A"}
INST_ALL = ALL - {"P", "C", "A", "B"}

EXPECTED = {
    # persona: {action: allowed node names}
    "clerk": {
        Action.VIEW: {"TA1", "VA1", "VA2"},
        Action.SELF_ASSESS: {"TA1", "VA1", "VA2"},
        Action.REVIEW: set(),
        Action.RECHECK: set(),
        Action.MANAGE_TREE: set(),
        Action.PUBLISH: set(),
        Action.ENTER_DATA: {"TA1", "VA1", "VA2"},  # a township centre fills its clinics' forms
        Action.APPROVE_DATA: set(),
        Action.IMPORT_DATA: set(),
    },
    "village_clerk": {
        Action.VIEW: {"VA1"},
        Action.SELF_ASSESS: {"VA1"},
        Action.REVIEW: set(),
        Action.ENTER_DATA: {"VA1"},
        Action.APPROVE_DATA: set(),
    },
    "county_reviewer": {  # sits on county A, works at TA2
        Action.VIEW: COUNTY_A,
        Action.REVIEW: INST_A - {"TA2", "VA3"},
        Action.RECHECK: set(),
        Action.SELF_ASSESS: set(),
        Action.MANAGE_TREE: set(),
        Action.PUBLISH: {"A"},
        Action.ENTER_DATA: set(),
        Action.APPROVE_DATA: INST_A - {"TA2", "VA3"},
    },
    "county_reviewer_b": {
        Action.VIEW: COUNTY_B,
        Action.REVIEW: {"TB1", "VB1"},
        Action.PUBLISH: {"B"},
        Action.APPROVE_DATA: {"TB1", "VB1"},
    },
    "city_reviewer": {
        Action.VIEW: ALL - {"P"},
        Action.REVIEW: set(),
        Action.RECHECK: INST_ALL,
        Action.PUBLISH: {"C", "A", "B"},
        Action.APPROVE_DATA: set(),
    },
    "province_reviewer": {
        Action.VIEW: ALL,
        Action.RECHECK: INST_ALL,
        Action.PUBLISH: {"P", "C", "A", "B"},
    },
    "analyst": {
        Action.VIEW: COUNTY_A,
        Action.REVIEW: set(),
        Action.RECHECK: set(),
        Action.SELF_ASSESS: set(),
        Action.MANAGE_TREE: set(),
        Action.MANAGE_USERS: set(),
        Action.VIEW_AUDIT: set(),
        Action.PUBLISH: set(),
        Action.MANAGE_CATALOGS: set(),
        Action.ENTER_DATA: set(),
        Action.APPROVE_DATA: set(),
    },
    "county_admin": {
        Action.VIEW: COUNTY_A,
        Action.MANAGE_TREE: COUNTY_A,
        Action.MANAGE_USERS: COUNTY_A,
        Action.VIEW_AUDIT: COUNTY_A,
        Action.MANAGE_CATALOGS: COUNTY_A,
        Action.PUBLISH: {"A"},
        Action.REVIEW: set(),
        Action.SELF_ASSESS: set(),
        Action.ENTER_DATA: set(),
        Action.APPROVE_DATA: INST_A,
        Action.IMPORT_DATA: INST_A,
    },
    "province_admin": {
        Action.VIEW: ALL,
        Action.MANAGE_TREE: ALL,
        Action.VIEW_AUDIT: ALL,
        Action.RECHECK: set(),
    },
}

CASES = [(persona, action) for persona, rows in EXPECTED.items() for action in rows]


@pytest.mark.parametrize(("persona", "action"), CASES, ids=[f"{p}-{a}" for p, a in CASES])
def test_each_role_may_act_exactly_where_the_matrix_says(personas, persona, action):
    user = getattr(personas, persona)
    allowed = {name for name in ALL if scope.can(user, action, getattr(personas.tree, name))}
    assert allowed == EXPECTED[persona][action]


def test_visible_nodes_agrees_with_can_see_for_every_persona(personas):
    from jiceng.orgs.models import Node

    for name in EXPECTED:
        user = getattr(personas, name)
        visible = set(scope.visible_nodes(user).values_list("pk", flat=True))
        assert visible == {n.pk for n in Node.objects.all() if scope.can_see(user, n)}


def test_an_inactive_user_sees_nothing(personas):
    personas.county_admin.is_active = False
    assert not scope.can(personas.county_admin, Action.VIEW, personas.tree.A)
    assert not scope.visible_nodes(personas.county_admin).exists()


def test_access_node_hides_nodes_out_of_sight_and_refuses_forbidden_actions(personas):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        scope.access_node(personas.clerk, personas.tree.TB1.code)
    with pytest.raises(Http404):
        scope.access_node(personas.clerk, "no-such-code")
    with pytest.raises(PermissionDenied):
        scope.access_node(personas.analyst, personas.tree.TA1.code, Action.MANAGE_TREE)
    assert (
        scope.access_node(personas.county_admin, personas.tree.TA1.code, Action.MANAGE_TREE)
        == personas.tree.TA1
    )


def test_a_reviewer_can_never_act_on_the_institution_they_belong_to(personas):
    reviewer = personas.county_reviewer
    assert reviewer.home_institution == personas.tree.TA2
    assert not scope.can(reviewer, Action.REVIEW, personas.tree.TA2)
    assert scope.can(reviewer, Action.REVIEW, personas.tree.TA1)


# --- standards catalogs: owner region → who sees it, who changes it ---------------------------
# "national" is a catalog with no owner region.
OWNERS = {"national", "P", "C", "A", "B", "TA1"}
CATALOGS = {
    # persona: (owners whose catalogs they see, owners whose catalogs they may change)
    "clerk": ({"national", "P", "C", "A", "TA1"}, set()),
    "county_reviewer": ({"national", "P", "C", "A", "TA1"}, set()),
    "county_reviewer_b": ({"national", "P", "C", "B"}, set()),
    "city_reviewer": ({"national", "P", "C", "A", "B", "TA1"}, set()),
    "analyst": ({"national", "P", "C", "A", "TA1"}, set()),
    "county_admin": ({"national", "P", "C", "A", "TA1"}, {"A", "TA1"}),
    "province_admin": (OWNERS, {"P", "C", "A", "B", "TA1"}),
}


def _owner(personas, name):
    return None if name == "national" else getattr(personas.tree, name)


@pytest.mark.parametrize("persona", list(CATALOGS))
def test_each_role_sees_and_changes_exactly_the_catalogs_the_matrix_says(personas, persona):
    user = getattr(personas, persona)
    seen, changed = CATALOGS[persona]
    assert {o for o in OWNERS if scope.can_see_catalog(user, _owner(personas, o))} == seen
    assert {o for o in OWNERS if scope.can_manage_catalog(user, _owner(personas, o))} == changed


def test_visible_catalogs_agrees_with_can_see_catalog_for_every_persona(personas):
    from jiceng.standards.actions import do_load_catalog
    from jiceng.standards.catalog import parse_catalog
    from jiceng.standards.models import Catalog

    text = (
        "code: c{n}\nversion: '1'\ntitle: t\ninstitution_kinds: [township_hc]\n"
        "scale: [{grade: A, meets: true}]\nchapters:\n- code: '1'\n  title: x\n  sections:\n"
        "  - code: '1.1'\n    title: y\n    items: [{code: '1.1.1', tier: basic, text: z}]\n"
    )
    for n, name in enumerate(sorted(OWNERS)):
        src = text.replace("{n}", str(n))
        do_load_catalog(
            None, parse_catalog(src, "c.yaml"), src, "c.yaml", owner=_owner(personas, name)
        )
    for persona in CATALOGS:
        user = getattr(personas, persona)
        listed = set(scope.visible_catalogs(user, Catalog.objects.all()))
        assert listed == {c for c in Catalog.objects.all() if scope.can_see_catalog(user, c.owner)}


def test_a_catalog_applies_in_its_region_and_below_only(personas):
    t = personas.tree
    assert scope.catalog_applies(None, t.B)
    assert scope.catalog_applies(t.P, t.TA1)
    assert scope.catalog_applies(t.A, t.A)
    assert not scope.catalog_applies(t.A, t.B)
    assert not scope.catalog_applies(t.A, t.C)


# --- the institution under review: who is a party to an institution's evaluation -------------
PARTIES = {
    "clerk": {"TA1", "VA1", "VA2"},
    "village_clerk": {"VA1", "TA1"},  # sits below TA1 (it cannot see TA1 at all anyway)
    "county_reviewer": {"TA2", "VA3"},  # works at TA2: never reads a draft review of it
    "county_reviewer_b": set(),
    "city_reviewer": set(),
    "analyst": set(),
    "county_admin": set(),
    "province_admin": set(),
}


@pytest.mark.parametrize("persona", list(PARTIES))
def test_each_role_is_party_to_exactly_the_institutions_the_matrix_says(personas, persona):
    user = getattr(personas, persona)
    parties = {n for n in INST_ALL if scope.is_party_to(user, getattr(personas.tree, n))}
    assert parties == PARTIES[persona]
