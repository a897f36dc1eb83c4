"""Several periods of a year in one pass (fusion.py) give what one pass per period gives.

Spark computes the year-to-date periods of a year in one pass over definitions rewritten to
carry the period's end; DuckDB computes one pass per period. Both run here on DuckDB (a
runner whose dialect fuses), so the rewrite is checked on every hand-checked fixture and on
random record sets in a second, and the Spark agreement test checks it once more on Spark.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.analytics import compute_indicators, load_recordset, parse_period
from jiceng.analytics.compute import fused_queries
from jiceng.analytics.definitions import load_definitions
from jiceng.analytics.engines import DIALECTS, DuckDBRunner
from jiceng.analytics.fusion import Unsupported, ends_table, fuse

from .helpers import by_key, merge, write_recordset
from .test_engine_vs_oracle import recordsets
from .test_spark import fixture_groups

# Periods of 2025 (2025Q1 and 2025-03 are one span: four spans in one pass) and a period of
# another year (computed on its own).
LABELS = ["2025-02", "2025Q1", "2025-03", "2025-07", "2025", "2024Q2"]
PERIODS = [parse_period(p) for p in LABELS]


def fusing_runner(store: Path) -> DuckDBRunner:
    runner = DuckDBRunner(store)
    runner.dialect = dataclasses.replace(DIALECTS["duckdb"], fuse_periods=True)
    return runner


def both_ways(
    store: Path, settings_: dict | None = None, reg=None, periods=PERIODS
) -> tuple[list, list]:
    """The values of ``periods`` one pass per period and fused, on the same store."""
    runner = fusing_runner(store)
    try:
        fused = compute_indicators(store, periods, settings=settings_, runner=runner, reg=reg)
    finally:
        runner.close()
    return compute_indicators(store, periods, settings=settings_, reg=reg), fused


def load(tmp: Path, tables: dict, tree) -> Path:
    store = tmp / "rs.duckdb"
    load_recordset(write_recordset(tmp / "rs", tables, tree=tree), store, pii_key=b"k")
    return store


def test_one_pass_over_the_periods_of_a_year_gives_the_values_of_one_pass_each(tmp_path):
    # the fixtures with the default settings, merged (those with other settings are computed
    # fused by the Spark test, and the random record sets below draw the follow-up setting)
    specs = fixture_groups()[0]
    assert not specs[0][1].get("settings") and len(specs) > 10
    tree, tables = merge([(prefix, spec["tables"]) for prefix, spec in specs])
    separate, fused = both_ways(load(tmp_path, tables, tree))
    assert len(fused) == len(separate) and by_key(fused) == by_key(separate)
    assert any(v.numerator or v.denominator for v in fused)


@pytest.mark.slow
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(recordsets(), min_size=3, max_size=3), spread=st.booleans())
def test_one_pass_over_the_periods_agrees_on_random_record_sets(batch, spread):
    tree, tables = merge([(f"R{i}_", data) for i, data in enumerate(batch)])
    with tempfile.TemporaryDirectory() as tmp:
        separate, fused = both_ways(
            load(Path(tmp), tables, tree), {"followups_spread_by_quarter": spread}
        )
    assert by_key(fused) == by_key(separate)


def test_the_rewrite_carries_the_period_end_through_joins_groups_and_windows():
    ends = ends_table([parse_period("2025Q1").end, parse_period("2025").end])
    sql, carried = fuse(
        "SELECT m.org_code, count(*) AS n, row_number() OVER (ORDER BY m.org_code) AS r "
        "FROM managed m LEFT JOIN present_end p ON p.rid = m.rid "
        "WHERE m.since <= __jiceng_period_end__ GROUP BY m.org_code",
        {"managed", "present_end"},
        ends,
    )
    assert carried
    assert "p.period_end = m.period_end" in sql
    assert "m.since <= m.period_end" in sql
    assert "GROUP BY m.org_code, m.period_end" in sql
    assert "PARTITION BY m.period_end" in sql
    assert sql.count("m.period_end AS period_end") == 1
    # a query that reads neither :end nor a period view is the same for every period
    assert fuse("SELECT org_code, 1 AS value FROM orgs", {"managed"}, ends) == (
        "SELECT org_code, 1 AS value FROM orgs",
        False,
    )


def test_a_definition_the_rewrite_cannot_carry_is_computed_one_period_at_a_time(tmp_path):
    # :end inside a subquery of an expression: the rewrite refuses it ...
    with pytest.raises(Unsupported):
        fuse(
            "SELECT org_code FROM orgs WHERE 1 = (SELECT 1 WHERE __jiceng_period_end__ > 0)",
            set(),
            ends_table([parse_period("2025").end]),
        )
    # ... and a definitions file with one is computed period by period, values unchanged.
    text = (
        Path(__file__).parents[2] / "src/jiceng/analytics/definitions/indicators.yaml"
    ).read_text(encoding="utf-8")
    text = text.replace(
        "SELECT org_code, recorded AS value FROM present_counts",
        "SELECT org_code, recorded AS value FROM present_counts\n"
        "      WHERE recorded >= (SELECT 0 WHERE :end IS NOT NULL)",
        1,
    )
    assert text.count(":end IS NOT NULL") == 1
    path = tmp_path / "defs.yaml"
    path.write_text(text, encoding="utf-8")
    reg = load_definitions(path)
    with pytest.raises(Unsupported):
        fused_queries(
            reg,
            {"start": PERIODS[0].start, "year": 2025, **reg.resolve_settings(None)},
            [PERIODS[0].end],
        )
    specs = fixture_groups()[0][:3]
    tree, tables = merge([(prefix, spec["tables"]) for prefix, spec in specs])
    periods = [parse_period("2025Q1"), parse_period("2025")]
    separate, fused = both_ways(load(tmp_path, tables, tree), reg=reg, periods=periods)
    assert by_key(fused) == by_key(separate)
    assert any(v.numerator for v in fused)
