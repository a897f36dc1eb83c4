"""Synthetic record sets load cleanly, are reproducible and have realistic rates."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from jiceng.analytics import (
    check_recordset,
    compute_indicators,
    generate_recordset,
    load_recordset,
    parse_period,
    synthetic_tree,
)
from jiceng.analytics.definitions import registry
from jiceng.analytics.immunization import DEFAULT_SCHEDULE


def test_a_synthetic_record_set_is_valid_reproducible_and_realistic(tmp_path):
    tree = synthetic_tree(6000)
    assert sum(1 for r in tree if r.kind == "village") == 4  # one village per 1,500 residents
    counts = generate_recordset(tmp_path / "a", tree, [2024, 2025], seed=7, residents=6000)
    again = generate_recordset(
        tmp_path / "b", tree, [2024, 2025], seed=7, residents=6000, fmt="csv"
    )
    assert counts == again and counts["residents"] == 6000
    assert check_recordset(tmp_path / "b").problems == []

    stages = []
    load_recordset(
        tmp_path / "a",
        tmp_path / "a.duckdb",
        pii_key=b"k",
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert {"读取 residents", "检查 followups", "写入 contracts"} <= set(stages)
    values = compute_indicators(tmp_path / "a.duckdb", [parse_period("2025")])
    top = {v.indicator: v for v in values if v.org_code == tree[0].code}
    assert len(top) == len(registry().indicators) == 25
    for code, v in top.items():
        assert v.value is not None and 0.15 < v.value <= 1, (code, v.value)
        # a rate over a handful of cases (tuberculosis: a few notified a year per 10,000
        # residents) may well be 100%; the others are well below
        if v.denominator >= 30:
            assert v.value < 0.99, (code, v.value)


def test_the_generator_can_write_csv_for_a_given_tree(tmp_path: Path):
    from .helpers import TREE

    generate_recordset(tmp_path / "rs", TREE, [2025], seed=1, residents=300, fmt="csv")
    assert (tmp_path / "rs" / "residents.csv").exists()
    assert check_recordset(tmp_path / "rs").problems == []


def test_the_generator_writes_no_id_numbers_unless_asked(tmp_path: Path):
    from jiceng.core.pii import looks_like_id_number

    from .helpers import TREE

    generate_recordset(tmp_path / "rs", TREE, [2025], seed=1, residents=300, fmt="csv")
    for f in (tmp_path / "rs").iterdir():
        text = f.read_text(encoding="utf-8")
        assert "id_number" not in text and not looks_like_id_number(text), f.name
    generate_recordset(
        tmp_path / "b", TREE, [2025], seed=1, residents=30, fmt="csv", id_numbers=True
    )
    assert "id_number" in (tmp_path / "b" / "residents.csv").read_text(encoding="utf-8")


def test_the_mothers_children_vaccinations_smi_and_tb_are_generated_and_valid(tmp_path: Path):
    tree = synthetic_tree(6000)
    counts = generate_recordset(tmp_path / "rs", tree, [2025], seed=3, residents=6000)
    assert counts["pregnancies"] > 0 and counts["vaccinations"] > 0
    assert check_recordset(tmp_path / "rs").problems == []
    read = {t: pq.read_table(tmp_path / "rs" / f"{t}.parquet").to_pylist() for t in counts}
    assert all(len(read[t]) == counts[t] for t in counts)
    residents = {r["resident_id"]: r for r in read["residents"]}
    assert len(residents) == 6000

    pregnancies = read["pregnancies"]
    delivered = [g for g in pregnancies if g["delivery_date"] is not None]
    assert any(g["live_births"] == 2 for g in delivered)  # twins
    assert any(g["delivery_date"] is None and g["live_births"] == 0 for g in pregnancies)
    for g in pregnancies:
        mother = residents[g["resident_id"]]
        assert mother["sex"] == "F"
        assert g["delivery_date"] is None or g["registered_date"] < g["delivery_date"]
    # each baby is a resident born on the delivery day where the mother lives
    births = {}
    for g in delivered:
        key = (residents[g["resident_id"]]["org_code"], g["delivery_date"])
        births[key] = births.get(key, 0) + g["live_births"]
    born = {}
    for r in read["residents"]:
        if r["birth_date"].year == 2025:
            key = (r["org_code"], r["birth_date"])
            born[key] = born.get(key, 0) + 1
    assert born == births

    conditions = {c["condition"] for c in read["conditions"]}
    assert {"hypertension", "diabetes", "smi", "tb"} <= conditions
    services = {s["service"] for s in read["services"]}
    assert {
        "prenatal_check",
        "postpartum_visit",
        "newborn_visit",
        "child_checkup",
        "tcm_child",
    } <= services
    assert "general" in {e["kind"] for e in read["exams"]}
    for v in read["vaccinations"]:
        assert v["dose"] in DEFAULT_SCHEDULE[v["vaccine"]]
        assert v["vaccination_date"] >= residents[v["resident_id"]]["birth_date"]
    # nothing is dated after the end of the last year
    for t, column in (("services", "service_date"), ("vaccinations", "vaccination_date")):
        assert max(row[column] for row in read[t]).isoformat() <= "2025-12-31"
