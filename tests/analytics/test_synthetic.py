"""Synthetic record sets load cleanly, are reproducible and have realistic rates."""

from __future__ import annotations

from pathlib import Path

from jiceng.analytics import (
    check_recordset,
    compute_indicators,
    generate_recordset,
    load_recordset,
    parse_period,
    synthetic_tree,
)


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
    top = {v.indicator: v.value for v in values if v.org_code == tree[0].code}
    assert len(top) == 14
    for code, value in top.items():
        assert value is not None and 0.15 < value < 0.99, (code, value)


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
