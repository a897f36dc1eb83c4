"""The whole-region aggregate that lets the database add up summed whole numbers gives exactly
what the contract's engine gives over every value."""

import random
from fractions import Fraction

import pytest

from jiceng.aggregates import actions
from jiceng.aggregates.queries import _orgs, _subtree_values, province_aggregate
from jiceng.datasets import parse_period
from jiceng.datasets.definition import sample_dataset_paths
from jiceng.datasets.engine import node_values

from .helpers import load_sample, save_random_values


def engine_and_database(version, root, period: str):
    ds = version.definition()
    p = parse_period(period)
    orgs, _by_code = _orgs(root)
    labels = [q.label for q in p.periods(ds.period_type)]
    slow = node_values(ds, orgs, _subtree_values(ds, version, root, labels), p)
    return slow, province_aggregate(version, root, p)


@pytest.mark.parametrize(
    ("stem", "figures"),
    [
        (
            "staff_training",  # stocks (last, with options: the engine) and flows (sum: the db)
            {
                ("TA1", "2025Q1"): {"STAFF_ON_DUTY.physician": "4", "TRAINED": "12"},
                ("TA1", "2025Q3"): {"STAFF_ON_DUTY.nurse": "5", "TRAINED": "3", "GP_COUNT": "2"},
                ("TA2", "2025Q2"): {"STAFF_ON_DUTY.nurse": "9", "TRAINED": "0"},
                ("CA1", "2025Q4"): {"STAFF_ON_DUTY.physician": "7", "TRAINED": "8"},
                ("TB1", "2025Q1"): {"TRAINED": "5", "FURTHER_STUDY": "1"},
                ("TA1", "2024Q4"): {"TRAINED": "100"},  # outside the year
            },
        ),
        (
            "health_education",  # sums with options (the db) and a decimal sum (the engine)
            {
                ("TA1", "2025Q1"): {
                    "MATERIALS.leaflet": "40",
                    "LECTURES": "2",
                    "VIDEO_HOURS": "1.5",
                },
                ("TA1", "2025Q2"): {"MATERIALS.booklet": "7", "LECTURES": "1"},
                ("VA1", "2025Q2"): {"MATERIALS.leaflet": "3", "VIDEO_HOURS": "0.25"},
                ("TB1", "2025Q4"): {"LECTURE_ATTENDEES": "60", "LECTURES": "3"},
            },
        ),
        (
            "service_cooperation",  # an averaged percentage (the db on PostgreSQL)
            {
                ("TA1", "2025-01"): {"BED_OCCUPANCY": "80.5", "OUTPATIENT_VISITS": "900"},
                ("TA1", "2025-02"): {"BED_OCCUPANCY": "91"},
                ("TA2", "2025-03"): {"BED_OCCUPANCY": "60.25", "REMOTE_DIAGNOSES.ecg": "4"},
                ("TB1", "2025-01"): {"OUTPATIENT_VISITS": "100"},
            },
        ),
    ],
)
def test_the_database_sums_equal_the_engine_for_every_node_key_and_indicator(
    personas, stem, figures
):
    t = personas.tree
    version = load_sample(stem, t.P)
    for (unit, period), values in figures.items():
        actions.do_save_values(None, version, getattr(t, unit), period, values)
    slow, fast = engine_and_database(version, t.P, "2025")
    assert fast == slow
    if stem == "staff_training":
        # by hand: trained in 2025 within county A = 12 + 3 + 0 + 8 = 23; the province + 5
        assert (fast[t.A.code]["TRAINED"], fast[t.P.code]["TRAINED"]) == (23, 28)
    elif stem == "health_education":
        # leaflets 40 + 3 and booklets 7 within county A: 50 materials
        assert fast[t.A.code]["MATERIALS"] == 50 and fast[t.A.code]["MATERIALS.leaflet"] == 43
    else:
        # TA1's mean (80.5 + 91) / 2 = 85.75 and TA2's 60.25: county A (85.75 + 60.25) / 2 = 73
        assert fast[t.TA1.code]["BED_OCCUPANCY"] == Fraction("85.75")
        assert fast[t.A.code]["BED_OCCUPANCY"] == 73




@pytest.mark.parametrize("stem", [p.stem for p in sample_dataset_paths()])
def test_the_database_roll_up_equals_the_engine_on_generated_values_of_every_sample(personas, stem):
    """Random values (seeded) of every reporting unit, including a village clinic below a
    township centre, in some periods of 2025 and one of 2024: the SQL roll-up by path
    prefix, for every node and for a chosen few, equals the engine over every value."""
    t = personas.tree
    rnd = random.Random(f"rollup-{stem}")
    version = load_sample(stem, t.P)
    year = parse_period("2025")
    saved = save_random_values(version, t.P, year, rnd)
    assert saved >= 4  # several forms in several units
    slow, fast = engine_and_database(version, t.P, "2025")
    assert fast == slow
    few = province_aggregate(version, t.P, year, only={t.P.code, t.A.code, t.TA1.code})
    assert few == {c: slow[c] for c in (t.P.code, t.A.code, t.TA1.code)}


def test_decimals_are_summed_exactly_in_sql_and_a_long_one_falls_back_exactly(personas):
    """Video hours (a decimal sum): SQLite adds the whole and the fractional digits apart;
    a value with 16 whole digits does not fit that and is added up in Python instead."""
    t = personas.tree
    version = load_sample("health_education", t.P)
    for unit, period, hours in [
        ("TA1", "2025Q1", "1.5"),
        ("TA1", "2025Q2", "-0.25"),
        ("TA2", "2025Q3", "0.0000000001"),
    ]:
        actions.do_save_values(None, version, getattr(t, unit), period, {"VIDEO_HOURS": hours})
    slow, fast = engine_and_database(version, t.P, "2025")
    assert fast == slow
    # county A: 1.5 - 0.25 + 0.0000000001 = 1.2500000001
    assert fast[t.A.code]["VIDEO_HOURS"] == Fraction("1.2500000001")
    actions.do_save_values(None, version, t.TB1, "2025Q4", {"VIDEO_HOURS": "1234567890123456.5"})
    slow, fast = engine_and_database(version, t.P, "2025")
    assert fast == slow
    # the province: 1.2500000001 + 1234567890123456.5 = 1234567890123457.7500000001
    assert fast[t.P.code]["VIDEO_HOURS"] == Fraction("1234567890123457.7500000001")
