"""Spark runs the same definitions (transpiled by SQLGlot) and agrees with DuckDB.

A local Spark takes seconds for each query however small the data, so the whole check is one
test with one Spark session: the hand-checked fixtures are merged into one record set per group
of settings (each fixture under its own copy of the tree), the random record sets join the
group with the default settings, and each group is computed once. The Spark engine computes the
periods of a group in one pass (fusion.py), so the five periods of the default group cost one
pass, not five; DuckDB computes them one by one, so the comparison also checks the rewrite.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jiceng.analytics import compute_indicators, load_recordset, parse_period

from .helpers import by_key, merge, split, write_recordset
from .test_engine_vs_oracle import recordsets
from .test_fixtures import FIXTURES, check, load_fixture

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("JICENG_SPARK_PARTITIONS", "1")
    # Each view kept as a local checkpoint of its rows: the queries reading it plan a scan,
    # not the view's whole definition (planning is most of the time on small data).
    os.environ.setdefault("JICENG_SPARK_CACHE", "checkpoint")
    # One core (the other runs the other test worker); no adaptive execution and no code
    # generation, which pay on big data only: the check takes a third less time. The JVM
    # compiles with its quick compiler only and collects garbage on one thread: its optimising
    # compiler and parallel collector cost more CPU than they save on minutes of small queries
    # (58-67 against 34-36 CPU seconds for this test, measured in docs/testing.md).
    os.environ.setdefault("JICENG_SPARK_MASTER", "local[1]")
    os.environ.setdefault(
        "JICENG_SPARK_CONF",
        "spark.sql.adaptive.enabled=false;spark.sql.codegen.wholeStage=false;"
        "spark.sql.codegen.factoryMode=NO_CODEGEN;"
        "spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    )
    from jiceng.analytics.engines import spark_session

    return spark_session()


def fixture_groups() -> list[list[tuple[str, dict]]]:
    """The hand-checked fixtures, grouped by their settings (each under its own prefix)."""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for i, path in enumerate(FIXTURES):
        spec = load_fixture(path)
        groups.setdefault(repr(sorted((spec.get("settings") or {}).items())), []).append(
            (f"F{i}_", spec)
        )
    return list(groups.values())


# One example only (every Spark run costs seconds); no shrinking, which would rerun Spark.
@settings(
    max_examples=1,
    phases=[Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(batch=st.lists(recordsets(), min_size=3, max_size=3))
def test_spark_agrees_with_duckdb_on_every_fixture_and_random_record_sets(spark, batch):
    groups = fixture_groups()
    assert any(not specs[0][1].get("settings") for specs in groups)
    for specs in groups:
        settings_ = specs[0][1].get("settings")
        parts = [(prefix, spec["tables"]) for prefix, spec in specs]
        labels = {p for _, spec in specs for p in spec["periods"]}
        if not settings_:
            parts += [(f"R{i}_", data) for i, data in enumerate(batch)]
            labels |= {"2025", "2025Q1", "2025-07"}
        tree, tables = merge(parts)
        periods = [parse_period(p) for p in sorted(labels)]
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "rs.duckdb"
            load_recordset(
                write_recordset(Path(tmp) / "rs", tables, tree=tree), store, pii_key=b"k"
            )
            sparked = compute_indicators(store, periods, engine="spark", settings=settings_)
            ducked = compute_indicators(store, periods, settings=settings_)
        assert sparked and by_key(sparked) == by_key(ducked)
        for prefix, spec in specs:
            check(spec, split(sparked, prefix))
