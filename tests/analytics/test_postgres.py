"""PostgreSQL runs the same definitions (transpiled by SQLGlot) and agrees with DuckDB, value by
value, on every hand-checked fixture and on random record sets.

It needs a PostgreSQL server: it runs in the PostgreSQL run of `scripts/test`, on the test
database (the `db` fixture), and is skipped on SQLite. The tables are copied into a schema of
their own, dropped at the end.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jiceng.analytics import compute_indicators, load_recordset, parse_period

from .helpers import by_key, merge, split, write_recordset
from .test_engine_vs_oracle import recordsets
from .test_fixtures import check
from .test_spark import fixture_groups


@pytest.fixture
def dsn(db):
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL run of scripts/test")
    s = connection.settings_dict
    return make_conninfo(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=str(s["PORT"]) if s["PORT"] else None,
    )


@settings(
    max_examples=1,
    phases=[Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(batch=st.lists(recordsets(), min_size=3, max_size=3))
def test_postgresql_agrees_with_duckdb_value_by_value(dsn, batch):
    import psycopg

    from jiceng.analytics.engines import PostgresRunner, copy_to_postgres

    for specs in fixture_groups():
        settings_ = specs[0][1].get("settings")
        parts = [(prefix, spec["tables"]) for prefix, spec in specs]
        labels = {p for _, spec in specs for p in spec["periods"]}
        if not settings_:
            parts += [(f"R{i}_", data) for i, data in enumerate(batch)]
            labels |= {"2025", "2025Q1", "2025Q4", "2025-07", "2025-12"}
        tree, tables = merge(parts)
        periods = [parse_period(p) for p in sorted(labels)]
        schema = f"engine_{uuid.uuid4().hex[:12]}"
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "rs.duckdb"
            load_recordset(
                write_recordset(Path(tmp) / "rs", tables, tree=tree), store, pii_key=b"k"
            )
            try:
                copy_to_postgres(store, dsn, schema)
                runner = PostgresRunner(dsn, schema)
                try:
                    pg = compute_indicators(store, periods, settings=settings_, runner=runner)
                finally:
                    runner.close()
            finally:
                with psycopg.connect(dsn, autocommit=True) as con:
                    con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            ducked = compute_indicators(store, periods, settings=settings_)
        assert pg and by_key(pg) == by_key(ducked)
        for prefix, spec in specs:
            check(spec, split(pg, prefix))
