"""DuckDB and the pure-Python oracle agree on random small record sets (Hypothesis)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.analytics import compute_indicators, load_recordset, parse_period

from .helpers import TREE, by_key, merge, split, write_recordset
from .oracle import NATIONAL_2021, Oracle, add_months

CONDITIONS = ["hypertension", "diabetes", "smi", "tb"]
SERVICES = [
    "tcm_elderly",
    "child_checkup",
    "prenatal_check",
    "postpartum_visit",
    "newborn_visit",
    "tcm_child",
]
OPTIONAL = ("pregnancies", "vaccinations")

# 2025Q4 and 2025-03 span the same days as 2025 and 2025Q1: the engine computes each span once.
PERIODS = [
    parse_period(x)
    for x in ("2025", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025-02", "2025-03", "2025-07")
]
VILLAGES = ["A1", "A2", "AT1", "B1"]

# Dates near the bounds of every period, plus any day from December 2024 to January 2026.
EDGES = [
    date(2024, 12, 31),
    date(2025, 1, 1),
    date(2025, 2, 28),
    date(2025, 3, 1),
    date(2025, 3, 31),
    date(2025, 4, 1),
    date(2025, 6, 30),
    date(2025, 7, 1),
    date(2025, 7, 31),
    date(2025, 8, 1),
    date(2025, 9, 30),
    date(2025, 10, 1),
    date(2025, 12, 31),
    date(2026, 1, 1),
]
days = st.one_of(st.sampled_from(EDGES), st.dates(date(2024, 12, 1), date(2026, 1, 31)))
maybe_day = st.one_of(st.none(), days)


@st.composite
def births(draw) -> date:
    """Mostly people turning 65 around the period (at the visit or at end), some younger."""
    anchor = draw(days)
    years = draw(st.sampled_from([64, 65, 65, 66, 30, 70]))
    shift = draw(st.sampled_from([-1, 0, 1, 0, 17]))
    try:
        b = anchor.replace(year=anchor.year - years)
    except ValueError:
        b = date(anchor.year - years, 2, 28)
    return b + timedelta(days=shift)


@st.composite
def child_births(draw) -> date:
    """Children around the ages the rules turn on: due doses, 36 months, 6 years, newborns."""
    anchor = draw(st.one_of(st.sampled_from(EDGES), days, st.just(date(2025, 5, 31))))
    months = draw(st.sampled_from([0, 0, 1, 2, 3, 6, 8, 9, 18, 24, 35, 36, 37, 48, 72, 83, 84]))
    shift = draw(st.sampled_from([-1, 0, 0, 1, 15]))
    return add_months(anchor, -months) + timedelta(days=shift)


@st.composite
def recordsets(draw) -> dict:
    n = draw(st.integers(1, 7))
    residents = []
    for i in range(n):
        residents.append(
            {
                "resident_id": f"R{i}",
                "sex": draw(st.sampled_from(["M", "F"])),
                "birth_date": draw(st.one_of(births(), child_births())),
                "org_code": draw(st.sampled_from([*VILLAGES, "AT"])),
                "record_date": draw(maybe_day),
                "electronic": draw(st.booleans()),
                "standardized": draw(st.booleans()),
                "death_date": draw(st.one_of(st.none(), st.none(), days)),
                "moved_out_date": draw(st.one_of(st.none(), st.none(), days)),
            }
        )
    ids = [r["resident_id"] for r in residents]
    conditions = [
        {
            "resident_id": draw(st.sampled_from(ids)),
            "condition": draw(st.sampled_from(CONDITIONS)),
            "enrolled_date": draw(st.one_of(days, st.just(date(2020, 5, 5)))),
            "ended_date": draw(st.one_of(st.none(), st.none(), days)),
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    conditions = [
        c for c in conditions if c["ended_date"] is None or c["ended_date"] >= c["enrolled_date"]
    ]
    followups = []
    pairs = [(c["resident_id"], c["condition"]) for c in conditions]
    any_pair = st.tuples(st.sampled_from(ids), st.sampled_from(CONDITIONS))
    for _ in range(draw(st.integers(0, 30))):
        rid, cond = draw(st.sampled_from(pairs) if pairs and draw(st.integers(0, 4)) else any_pair)
        enrolled = [
            c["enrolled_date"]
            for c in conditions
            if (c["resident_id"], c["condition"]) == (rid, cond)
        ]
        near = [d + timedelta(days=k) for d in enrolled for k in (-1, 0, 3, 4)]
        followups.append(
            {
                "resident_id": rid,
                "condition": cond,
                "visit_date": draw(st.sampled_from(near) if near and draw(st.booleans()) else days),
                "mode": draw(st.sampled_from(["face_to_face", "face_to_face", "phone"])),
                "sbp": draw(st.sampled_from([None, 120, 139, 140, 149, 150, 160])),
                "dbp": draw(st.sampled_from([None, 70, 85, 89, 90, 95])),
                "fasting_glucose": draw(st.sampled_from([None, 5.5, 6.9, 7.0, 8.2])),
            }
        )
    # same-day duplicates with different values
    for f in list(followups[: draw(st.integers(0, 3))]):
        followups.append(
            {
                **f,
                "sbp": draw(st.one_of(st.none(), st.sampled_from([120, 145, 160]))),
                "fasting_glucose": draw(st.one_of(st.none(), st.sampled_from([6.0, 7.5]))),
            }
        )
    exams = [
        {
            "resident_id": draw(st.sampled_from(ids)),
            "exam_date": draw(days),
            "kind": draw(st.sampled_from(["elderly_annual", "general", "chronic_annual"])),
            "complete": draw(st.booleans()),
        }
        for _ in range(draw(st.integers(0, 5)))
    ]
    pregnancies = []
    for _ in range(draw(st.integers(0, 4))):
        registered = draw(days) - timedelta(days=draw(st.sampled_from([0, 40, 200, 280])))
        delivered = draw(
            st.one_of(
                st.none(),
                st.sampled_from([0, 1, 150, 210, 280]).map(
                    lambda k, r=registered: r + timedelta(days=k)
                ),
            )
        )
        pregnancies.append(
            {
                "resident_id": draw(st.sampled_from(ids)),
                "registered_date": registered,
                "registered_weeks": draw(st.sampled_from([0, 6, 12, 13, 20, 45])),
                "delivery_date": delivered,
                "live_births": 0 if delivered is None else draw(st.sampled_from([0, 1, 1, 2])),
            }
        )
    # Services of a newborn near its birth and of a mother near her delivery: the windows of
    # 28 days start there.
    starts = [(r["resident_id"], r["birth_date"]) for r in residents] + [
        (g["resident_id"], g["delivery_date"]) for g in pregnancies if g["delivery_date"]
    ]
    near = [(rid, d + timedelta(days=k)) for rid, d in starts for k in (-1, 0, 28, 29)]
    services = []
    for _ in range(draw(st.integers(0, 10))):
        rid, day = (
            draw(st.sampled_from(near))
            if near and draw(st.booleans())
            else (
                draw(st.sampled_from(ids)),
                draw(days),
            )
        )
        services.append(
            {"resident_id": rid, "service_date": day, "service": draw(st.sampled_from(SERVICES))}
        )
    # Four or five prenatal checks on distinct days before a delivery and a postpartum visit
    # on the edge of its window, now and then: the system management rule needs all three.
    for g in pregnancies:
        if g["delivery_date"] and draw(st.booleans()):
            for k in range(draw(st.sampled_from([4, 5, 5]))):
                services.append(
                    {
                        "resident_id": g["resident_id"],
                        "service_date": g["delivery_date"] - timedelta(days=7 * k),
                        "service": "prenatal_check",
                    }
                )
            services.append(
                {
                    "resident_id": g["resident_id"],
                    "service_date": g["delivery_date"]
                    + timedelta(days=draw(st.sampled_from([0, 28, 29]))),
                    "service": "postpartum_visit",
                }
            )
    vaccinations = []
    born = {r["resident_id"]: r["birth_date"] for r in residents}
    for _ in range(draw(st.integers(0, 8))):
        rid = draw(st.sampled_from(ids))
        vaccine = draw(st.sampled_from(sorted(NATIONAL_2021)))
        dose = draw(st.sampled_from(sorted(NATIONAL_2021[vaccine])))
        due = add_months(born[rid], NATIONAL_2021[vaccine][dose])
        vaccinations.append(
            {
                "resident_id": rid,
                "vaccine": vaccine,
                "dose": dose,
                "vaccination_date": max(
                    born[rid], due + timedelta(days=draw(st.sampled_from([-3, 0, 20, 400])))
                ),
            }
        )
    contracts = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(days)
        contracts.append(
            {
                "resident_id": draw(st.sampled_from(ids)),
                "team_id": "T1",
                "start_date": start,
                "end_date": start + timedelta(days=draw(st.sampled_from([0, 30, 180, 364]))),
                "key_groups": draw(
                    st.sampled_from([None, "elderly", "hypertension;diabetes", " ; "])
                ),
            }
        )
    population = []
    for code in draw(st.lists(st.sampled_from(VILLAGES + ["B"]), unique=True, max_size=4)):
        if code == "B" and "B1" in [p["org_code"] for p in population]:
            continue
        if code == "B1" and any(p["org_code"] == "B" for p in population):
            continue
        population.append(
            {
                "org_code": code,
                "year": 2025,
                "permanent_residents": draw(st.integers(0, 20)),
                "children_0_6": draw(st.one_of(st.none(), st.integers(0, 9))),
                "residents_65_plus": draw(st.one_of(st.none(), st.integers(0, 9))),
                "adults_18_plus": draw(st.one_of(st.none(), st.integers(0, 15))),
                "key_population": draw(st.one_of(st.none(), st.integers(0, 9))),
                "htn_estimated": draw(st.one_of(st.none(), st.sampled_from([2, 3.5]))),
                "t2d_estimated": draw(st.one_of(st.none(), st.just(1.25))),
            }
        )
    data = {
        "residents": residents,
        "conditions": conditions,
        "followups": followups,
        "exams": exams,
        "services": services,
        "contracts": contracts,
        "population": population,
    }
    # The optional tables are sometimes absent (their indicators then have no value).
    if draw(st.integers(0, 3)):
        data["pregnancies"] = pregnancies
    if draw(st.integers(0, 3)):
        data["vaccinations"] = vaccinations
    return data


def engine_values(data: dict, settings_: dict | None = None, engine: str = "duckdb", tree=TREE):
    with tempfile.TemporaryDirectory() as tmp:
        src = write_recordset(Path(tmp) / "rs", data, tree=tree)
        store = Path(tmp) / "rs.duckdb"
        load_recordset(src, store, pii_key=b"test")
        return compute_indicators(store, PERIODS, engine=engine, settings=settings_)


def assert_agree(batch: list[dict], settings_: dict | None = None) -> None:
    """Every record set of ``batch``, loaded together under its own prefix, gives in DuckDB
    exactly what the oracle gives for it alone."""
    specs = [(f"S{i}_", data) for i, data in enumerate(batch)]
    tree, tables = merge(specs)
    values = engine_values(tables, settings_, tree=tree)
    for prefix, data in specs:
        got = by_key(split(values, prefix))
        # in the merged record set an optional table is present when one member has it
        data = {**{t: [] for t in OPTIONAL if t in tables}, **data}
        want = by_key(Oracle(data, TREE, settings_).compute(PERIODS))
        assert set(got) == set(want)
        diffs = [(k, got[k], want[k]) for k in want if got[k] != want[k]]
        assert not diffs, (prefix, diffs[:5])


# Several record sets a load: loading and computing cost about the same for one small record set
# as for ten. Four to ten a load, 30 loads in all (about 165 record sets: as many as 46 loads of
# one to six, for 40 CPU s instead of 56); the searches are split into shards so that parallel
# test workers share them.
batches = st.lists(recordsets(), min_size=4, max_size=10)


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(2))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches)
def test_duckdb_agrees_with_the_oracle_on_random_record_sets(shard, batch):
    assert_agree(batch)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=batches,
    spread=st.booleans(),
    htn=st.sampled_from([0.275, 0.3]),
    t2d=st.sampled_from([0.124, 0.1]),
)
def test_duckdb_agrees_with_the_oracle_under_every_setting(batch, spread, htn, t2d):
    assert_agree(
        batch, {"followups_spread_by_quarter": spread, "htn_prevalence": htn, "t2d_prevalence": t2d}
    )
