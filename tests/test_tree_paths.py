import datetime as dt

import pytest

from jiceng.core.errors import UserError
from jiceng.orgs.actions import do_create_node, do_merge_nodes, do_update_node
from jiceng.orgs.models import Node, NodeEvent
from jiceng.orgs.queries import lineage, population


def test_subtree_query_returns_the_node_and_everything_below_it(tree):
    codes = set(Node.objects.subtree(tree.A).values_list("code", flat=True))
    assert codes == {
        n.code
        for n in [tree.A, tree.TA1, tree.TA2, tree.CA1, tree.VA1, tree.VA2, tree.VA3, tree.SA1]
    }


def test_moving_a_node_moves_its_subtree_and_records_history(tree):
    do_update_node(None, tree.VA2, parent=tree.TA2, date=dt.date(2025, 3, 1))
    tree.VA2.refresh_from_db()
    assert tree.VA2.is_within(tree.TA2)
    assert not tree.VA2.is_within(tree.TA1)
    ev = NodeEvent.objects.get(node=tree.VA2, kind="moved")
    assert ev.old_parent == tree.TA1 and ev.new_parent == tree.TA2


def test_moving_a_township_carries_its_villages(tree):
    do_update_node(None, tree.TA1, parent=tree.B)
    for v in (tree.VA1, tree.VA2):
        v.refresh_from_db()
        assert v.is_within(tree.B)


def test_it_refuses_to_move_a_node_under_its_descendant(tree):
    with pytest.raises(UserError):
        do_update_node(None, tree.A, parent=tree.TA1)


def test_it_refuses_a_village_clinic_above_a_township(tree):
    with pytest.raises(UserError):
        do_create_node(None, code="X1", name="x", kind="township_hc", parent=tree.VA1)


def test_merge_keeps_lineage_and_moves_children(tree):
    do_merge_nodes(None, tree.TA2, tree.TA1, date=dt.date(2025, 6, 30))
    tree.VA3.refresh_from_db()
    assert tree.VA3.is_within(tree.TA1)
    assert {n.code for n in lineage(tree.TA1)} == {tree.TA1.code, tree.TA2.code}


def test_population_sums_the_subtree(tree):
    assert population(tree.A, 2025)["permanent_residents"] == 1200 + 900 + 1500 + 3000
    assert population(tree.C, 2025)["permanent_residents"] == 1200 + 900 + 1500 + 3000 + 800
