"""Properties of the import checked on many random files (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.errors import ValidationFailed
from jiceng.orgs.actions import do_import_tree
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import Node

from .helpers import workbook

A = "330101000000"
EXISTING_VILLAGES = ["330101100201", "330101100202", "330101200201"]  # VA1, VA2, VA3

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def has_cycle(parents: dict[str, str | None]) -> bool:
    """The obvious oracle: walk up from every code; a revisit is a cycle."""
    for start in parents:
        seen = {start}
        cur = parents[start]
        while cur in parents:
            if cur in seen:
                return True
            seen.add(cur)
            cur = parents[cur]
    return False


@st.composite
def township_graphs(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    codes = [f"T{i}" for i in range(n)]
    parents = {c: draw(st.sampled_from([A, *codes])) for c in codes}
    return parents


@SETTINGS
@given(parents=township_graphs())
def test_a_loop_is_reported_exactly_when_the_parent_codes_have_one(tree, parents):
    rows = [[c, c, "乡镇卫生院", p, None, None, None] for c, p in parents.items()]
    try:
        plan = plan_import(workbook(rows), "t.xlsx")
    except ValidationFailed as exc:
        loops = [p for p in exc.problems if "→" in p.message]
        assert bool(loops) == has_cycle(parents)
        for problem in loops:
            chain = problem.message.split("：", 1)[1].rstrip("。").split(" → ")
            assert chain[0] == chain[-1]
            for code, parent in zip(chain, chain[1:], strict=False):
                assert parents[code] == parent
        return
    assert not has_cycle(parents)
    assert all(p == A for p in parents.values())  # nested townships are refused by type
    assert [r.code for r in plan.nodes] == list(parents)


@st.composite
def tree_files(draw):
    """New townships under county A, new villages under any township, moves of old villages."""
    townships = [f"T{i}" for i in range(draw(st.integers(min_value=0, max_value=4)))]
    homes = ["330101100000", "330101200000", *townships]
    villages = {
        f"V{i}": draw(st.sampled_from(homes))
        for i in range(draw(st.integers(min_value=0, max_value=6)))
    }
    moves = {
        code: draw(st.sampled_from(homes))
        for code in draw(st.sets(st.sampled_from(EXISTING_VILLAGES)))
    }
    rows = [[t, t, "乡镇卫生院", A, None, None, None] for t in townships]
    rows += [[v, v, "村卫生室", p, None, None, None] for v, p in villages.items()]
    rows += [[v, v, "村卫生室", p, None, None, None] for v, p in moves.items()]
    order = draw(st.permutations(range(len(rows))))
    expected = {t: A for t in townships} | villages | moves
    return [rows[i] for i in order], expected


@SETTINGS
@given(case=tree_files())
def test_any_row_order_imports_and_leaves_every_path_consistent(tree, case):
    rows, expected = case
    do_import_tree(None, plan_import(workbook(rows), "t.xlsx"))
    for code, parent in expected.items():
        assert Node.objects.get(code=code).parent.code == parent
    for node in Node.objects.select_related("parent"):
        assert node.path == node.compute_path()
        assert node.depth == node.path.count("/") - 2
        if node.parent_id:
            assert node.is_within(node.parent)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_yearly_row_is_kept_per_unit_and_year(tree, count):
    years = [["330101100201", 2020 + i, 100, 10, 5, 80, 20, 1, 1, 1, 1, 1] for i in range(count)]
    plan = plan_import(workbook([], years=years), "t.xlsx")
    assert [(y.code, y.year) for y in plan.years] == [
        ("330101100201", 2020 + i) for i in range(count)
    ]


texts = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@SETTINGS
@given(
    name=texts,
    address=texts | st.just(""),
    opened=st.dates(min_value=__import__("datetime").date(1950, 1, 1)) | st.none(),
    residents=st.integers(min_value=0, max_value=2_000_000_000),
    share=st.floats(min_value=0, max_value=1),
    beds=st.integers(min_value=0, max_value=100_000) | st.none(),
)
def test_any_unit_and_figures_round_trip_through_excel(
    tree, name, address, opened, residents, share, beds
):
    from jiceng.orgs import queries
    from jiceng.orgs.actions import do_set_year, do_update_node

    from .helpers import db_state

    do_update_node(None, tree.VA1, name=name[:128], address=address, opened=opened)
    old = int(residents * share)
    do_set_year(
        None, tree.VA1, 2031, permanent_residents=residents, residents_65_plus=old, beds=beds
    )
    data = queries.export_workbook(Node.objects.subtree(tree.TA1))
    before = db_state()
    result = do_import_tree(None, plan_import(data, "t.xlsx"))
    assert not result.changed_anything
    assert db_state() == before
