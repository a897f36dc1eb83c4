"""The population a unit shares the fund by: its own figure, else the nearest figures below
it — against a recursive reading of that sentence, on random trees (Hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.appraisal.sources import nearest_sums


@st.composite
def trees(draw):
    """A random tree of up to 12 nodes (parent of node i is some j < i) with some figures."""
    n = draw(st.integers(1, 12))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    figures = {i: draw(st.integers(0, 5000)) for i in range(n) if draw(st.booleans())}
    return parents, figures


def _path(parents, i):
    chain = []
    while i is not None:
        chain.append(i + 1)  # pks start at 1
        i = parents[i]
    return "/" + "/".join(str(p) for p in reversed(chain)) + "/"


def _reference(parents, figures, i):
    """Own figure if any, else the sum of the children's (recursively); None if nothing."""
    if i in figures:
        return figures[i]
    below = [_reference(parents, figures, c) for c, p in enumerate(parents) if p == i]
    below = [b for b in below if b is not None]
    return sum(below) if below else None


@settings(max_examples=40)
@given(trees())
def test_nearest_figures_agree_with_the_recursive_reading(tree):
    parents, figures = tree
    stored = {i + 1: (_path(parents, i), pop) for i, pop in figures.items()}
    got = nearest_sums(stored, {i + 1 for i in range(len(parents))})
    for i in range(len(parents)):
        assert got.get(i + 1) == _reference(parents, figures, i), (parents, figures, i)


def test_a_township_without_a_figure_takes_its_villages():
    # 1 county ─ 2 township (no figure) ─ 3 village 1200, 4 village 900; 5 township 1500 ─ 6 village 700
    stored = {3: ("/1/2/3/", 1200), 4: ("/1/2/4/", 900), 5: ("/1/5/", 1500), 6: ("/1/5/6/", 700)}
    assert nearest_sums(stored, {1, 2, 5}) == {2: 2100, 5: 1500, 1: 3600}
