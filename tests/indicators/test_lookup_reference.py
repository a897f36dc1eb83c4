"""The one-pass lookup (``latest_values``, light or not, and the visualizer's request layer)
gives what a plain reading of the rule gives, for any record sets and values drawn.

The rule (docs/indicator-pages.md), read plainly in ``reference`` below: among READY record
sets owned by the unit or an ancestor that hold values for the unit and period, the nearest
owner wins, then the latest load, then the higher id; when none has any, the sums over the
topmost regions below the unit whose own sets have values; then a set without a region
(latest load, higher id). A set's values for units outside its owner's subtree never count.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jiceng.indicators import queries
from jiceng.indicators.models import IndicatorValue, RecordSet

from .conftest import make_record_set, put

CODES = ["htn_std_mgmt", "t2d_std_mgmt"]
PERIODS = ["2024", "2025"]
POOL = ["P", "C", "A", "B", "TA1", "TA2", "TB1", "VA1", "VB1"]  # names on the shared tree


def _within(node, owner) -> bool:
    return owner is None or node.path.startswith(owner.path)


def reference(sets, values, node, period, codes):
    """(how, {code: (numerator, denominator)}) of ``node`` and ``period`` by the plain rule;
    ``how`` is the winning set's id, ``"sum"`` or None. ``sets``: (id, owner or None, READY?,
    loaded); ``values``: (set id, node, period, code, numerator, denominator)."""

    def held(s, n):
        return {
            code: (num, den)
            for sid, vn, p, code, num, den in values
            if sid == s[0] and vn.pk == n.pk and p == period and code in codes
        }

    def pick(n, owned):
        cands = [
            s for s in sets
            if s[2] and (s[1] is not None) == owned and _within(n, s[1]) and held(s, n)
        ]
        if not cands:
            return None
        s = max(cands, key=lambda s: (len(s[1].path) if s[1] else 0, s[3], s[0]))
        return s[0], held(s, n)

    own = pick(node, True)
    if own:
        return own
    owners = {s[1].pk: s[1] for s in sets if s[2] and s[1] is not None}
    having = {
        pk: (o, got[1]) for pk, o in owners.items()
        if pk != node.pk and o.path.startswith(node.path) and (got := pick(o, True))
    }
    top = [
        (o, vals) for pk, (o, vals) in having.items()
        if not any(
            a.pk in having for a in owners.values()
            if a.pk != pk and a.pk != node.pk and o.path.startswith(a.path)
            and a.path.startswith(node.path)
        )
    ]
    if top:
        sums = {}
        for code in {c for _o, vals in top for c in vals}:
            parts = [vals[code] for _o, vals in top if code in vals]
            dens = [d for _n, d in parts if d is not None]
            sums[code] = (sum(n for n, _d in parts), sum(dens) if dens else None)
        return "sum", sums
    loose = pick(node, False)
    return loose if loose else (None, {})


def _drawn_data():
    set_ = st.tuples(
        st.sampled_from([None, *POOL]),  # owner
        st.booleans() | st.just(True),  # READY (mostly) or FAILED
        st.integers(0, 2),  # days before now it was loaded: ties happen, the id decides
    )
    value = st.tuples(
        st.integers(0, 3),  # which set (modulo the sets drawn)
        st.sampled_from(POOL) | st.sampled_from(["TA1", "A"]),  # often the same units
        st.sampled_from(PERIODS),
        st.sampled_from(CODES),
        st.integers(0, 60),
        st.one_of(st.none(), st.integers(1, 100)),
    )
    return st.tuples(st.lists(set_, min_size=1, max_size=4), st.lists(value, max_size=14))


# Several sets speaking for TA1 in 2025: the county's (nearest) over the province's; of
# two county sets the later load; of two loaded at once the higher id; a set without a
# region only where no region has values (VB1).
RANKED = (
    [("P", True, 0), ("A", True, 2), ("A", True, 1), ("A", True, 1), (None, True, 0)],
    [(0, "TA1", "2025", CODES[0], 10, 100), (1, "TA1", "2025", CODES[0], 20, 100),
     (2, "TA1", "2025", CODES[0], 30, 100), (3, "TA1", "2025", CODES[0], 40, 100),
     (4, "TA1", "2025", CODES[0], 50, 100), (4, "VB1", "2025", CODES[0], 5, 10)],
)


def _store(tree, drawn):
    """The drawn sets and values in the database; their plain descriptions for the rule."""
    IndicatorValue.objects.all().delete()
    RecordSet.objects.all().delete()
    now = timezone.now()
    set_rows, sets, values, seen = [], [], [], set()
    for i, (owner, ready, days) in enumerate(drawn[0]):
        rs = make_record_set(
            name=f"抽样{i}", node=getattr(tree, owner) if owner else None,
            status=RecordSet.Status.READY if ready else RecordSet.Status.FAILED,
            loaded_at=now - timedelta(days=days),
        )
        set_rows.append(rs)
        sets.append((rs.pk, rs.node, ready, rs.loaded_at))
    for i, name, period, code, num, den in drawn[1]:
        rs = set_rows[i % len(set_rows)]
        node = getattr(tree, name)
        if (rs.pk, node.pk, period, code) in seen:
            continue  # one value per set, unit, period and indicator
        seen.add((rs.pk, node.pk, period, code))
        put(rs, node, period, code, num, den)
        values.append((rs.pk, node, period, code, num, den))
    return sets, values


def _figures(v) -> tuple:
    num = None if v.numerator is None else float(v.numerator)
    den = None if v.denominator is None else float(v.denominator)
    return num, den


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_drawn_data())
@example(drawn=RANKED)
def test_the_one_pass_lookup_gives_what_the_plain_rule_gives_for_any_record_sets(tree, drawn):
    sets, values = _store(tree, drawn)
    nodes = [getattr(tree, n) for n in POOL]
    for light in (False, True):
        for codes in (CODES, CODES[:1]):
            got = queries.latest_values(nodes, PERIODS, indicators=codes, light=light)
            for node in nodes:
                for period in PERIODS:
                    how, want = reference(sets, values, node, period, codes)
                    found = got.get((node.pk, period), {})
                    assert set(found) == set(want), (node.code, period, light)
                    for code, v in found.items():
                        assert _figures(v) == pytest.approx(want[code]), (node.code, code)
                        if how == "sum":
                            assert isinstance(v, queries.SummedValue)
                        else:
                            assert v.record_set_id == how and v.record_set.pk == how


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_drawn_data())
@example(drawn=RANKED)
def test_the_visualizer_shows_what_the_plain_rule_gives_with_its_changes(personas, drawn):
    from jiceng.insights.request import ROW_FIELDS, run, validate

    tree = personas.tree
    sets, values = _store(tree, drawn)
    req = validate({"measures": [f"ind:{c}" for c in CODES], "root": tree.P.code,
                    "level": "units", "units": [getattr(tree, n).code for n in POOL[1:]],
                    "year": 2025})
    result = run(personas.province_admin, req)
    rows = {(r["org_code"], r["measure"], r["period"]): r for r in result.rows()}
    assert len(rows) == len(POOL) * len(CODES) * 5  # 9 units with the total × 2 × 2021–2025
    for name in POOL:
        node = getattr(tree, name)
        for code in CODES:
            figs = {}
            for period in PERIODS:
                _how, want = reference(sets, values, node, period, CODES)
                num, den = want.get(code, (None, None))
                figs[period] = num / den if den else None
                row = rows[(node.code, f"ind:{code}", period)]
                assert (row["numerator"], row["denominator"]) == pytest.approx((num, den))
                assert row["value"] == pytest.approx(figs[period])
            # 2025 against 2024, in percentage points, both as the previous period and
            # as the same period last year
            change = None
            if figs["2025"] is not None and figs["2024"] is not None:
                change = round((figs["2025"] - figs["2024"]) * 100, 4)
            row = rows[(node.code, f"ind:{code}", "2025")]
            assert row["change_previous"] == pytest.approx(change)
            assert row["change_last_year"] == pytest.approx(change)
    assert set(ROW_FIELDS) == set(next(iter(rows.values())))
