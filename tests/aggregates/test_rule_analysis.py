"""The province's rule analysis (the database gives each unit-period's referenced values, the
rules are compiled once) finds exactly the violations the contract's engine finds."""

import random

import pytest

from jiceng.aggregates import actions
from jiceng.aggregates.queries import _orgs, _subtree_values, violations
from jiceng.datasets import parse_period, validate
from jiceng.datasets.definition import sample_dataset_paths
from jiceng.datasets.engine import format_value
from jiceng.orgs.models import Node

from .helpers import load_sample, save_random_values


def engine_violations(version, root, period) -> list[tuple]:
    ds = version.definition()
    orgs, _by_code = _orgs(root)
    labels = [q.label for q in period.periods(ds.period_type)]
    values = _subtree_values(ds, version, root, labels)
    return [
        (v.org_code, v.period.label, v.rule.code, format_value(v.left), format_value(v.right))
        for v in validate(ds, orgs, values, period)
    ]


def found(version, root, period) -> list[tuple]:
    return [
        (v["unit"].code, v["period"], v["rule"].code, v["left"], v["right"])
        for v in violations(version, root, period)
    ]


def test_a_hand_worked_violation_of_the_lecture_rule(personas):
    # health education: attendees <= lectures * 500 (skipped only when both are missing).
    # TA1 2025Q1: 1,200 attendees > 2 lectures * 500 = 1,000: a violation (1200, 1000);
    # TA1 2025Q2: 400 <= 1 * 500 holds; TB1 2025Q4: 60 attendees, lectures missing = 0:
    # 60 > 0, a violation (60, 0); TA2 reported nothing: skipped. The board rule is never
    # skipped: TA2's missing board updates count as 0 < 1 in each of the 4 quarters.
    t = personas.tree
    version = load_sample("health_education", t.P)
    for unit, period, values in [
        ("TA1", "2025Q1", {"LECTURE_ATTENDEES": "1200", "LECTURES": "2"}),
        ("TA1", "2025Q2", {"LECTURE_ATTENDEES": "400", "LECTURES": "1"}),
        ("TB1", "2025Q4", {"LECTURE_ATTENDEES": "60"}),
    ]:
        actions.do_save_values(None, version, getattr(t, unit), period, values)
    year = parse_period("2025")
    rule = "ATTENDEES_PER_LECTURE_MAX"
    province = found(version, t.P, year)
    assert [f for f in province if f[2] == rule] == sorted(
        [(t.TA1.code, "2025Q1", rule, "1200", "1000"), (t.TB1.code, "2025Q4", rule, "60", "0")]
    )
    county = found(version, t.A, year)
    assert [f for f in county if f[2] == rule] == [(t.TA1.code, "2025Q1", rule, "1200", "1000")]
    assert [f[1] for f in county if f[0] == t.TA2.code and f[2] == "BOARD_UPDATED"] == [
        "2025Q1",
        "2025Q2",
        "2025Q3",
        "2025Q4",
    ]
    assert {f[0] for f in county} <= {n.code for n in Node.objects.subtree(t.A)}


@pytest.mark.parametrize("stem", [p.stem for p in sample_dataset_paths()])
def test_the_rule_analysis_equals_the_engine_on_generated_values_of_every_sample(personas, stem):
    """Random values (seeded) of every reporting unit in some periods of 2025 and one of
    2024, some left empty: the same violations, left and right, as the engine's."""
    t = personas.tree
    rnd = random.Random(f"rules-{stem}")
    version = load_sample(stem, t.P)
    year = parse_period("2025")
    save_random_values(version, t.P, year, rnd)
    expected = engine_violations(version, t.P, year)
    assert expected, "the seeded values break some rule"
    assert found(version, t.P, year) == expected
    assert found(version, t.A, year) == engine_violations(version, t.A, year)
