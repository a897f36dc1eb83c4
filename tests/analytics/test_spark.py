"""Spark runs the same definitions (transpiled by SQLGlot) and agrees with DuckDB.

To keep the Spark part short, all hand-checked fixtures are merged into one record set
(each under its own copy of the tree) and computed once per group of settings.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from jiceng.analytics import OrgRow, compute_indicators, load_recordset, parse_period

from .helpers import TREE, by_key, write_recordset
from .test_engine_vs_oracle import PERIODS, recordsets
from .test_fixtures import FIXTURES, check, load_fixture

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("JICENG_SPARK_PARTITIONS", "1")
    os.environ.setdefault("JICENG_SPARK_CACHE", "0")
    from jiceng.analytics.engines import spark_session

    return spark_session()


def merged(specs: list[tuple[str, dict]]) -> tuple[list[OrgRow], dict, list[str]]:
    tree, tables, periods = [], {}, set()
    for prefix, spec in specs:
        tree += [
            OrgRow(
                prefix + r.code, r.name, prefix + r.parent_code if r.parent_code else None, r.kind
            )
            for r in TREE
        ]
        for name, rows in spec["tables"].items():
            for r in rows:
                r = dict(r)
                for k in ("resident_id", "org_code"):
                    if r.get(k) is not None:
                        r[k] = prefix + r[k]
                tables.setdefault(name, []).append(r)
        periods |= set(spec["periods"])
    return tree, tables, sorted(periods)


def fixture_groups() -> list[list[tuple[str, dict]]]:
    """The hand-checked fixtures, grouped by their settings (each under its own prefix)."""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for i, path in enumerate(FIXTURES):
        spec = load_fixture(path)
        groups.setdefault(repr(sorted((spec.get("settings") or {}).items())), []).append(
            (f"F{i}_", spec)
        )
    return list(groups.values())


# One test per group of settings, so that parallel test workers share them.
@pytest.mark.parametrize("g", range(len(fixture_groups())))
def test_spark_agrees_with_duckdb_on_every_fixture(spark, tmp_path, g):
    specs = fixture_groups()[g]
    tree, tables, labels = merged(specs)
    store = tmp_path / f"g{g}.duckdb"
    load_recordset(write_recordset(tmp_path / f"g{g}", tables, tree=tree), store, pii_key=b"k")
    periods = [parse_period(p) for p in labels]
    settings_ = specs[0][1].get("settings")
    sparked = compute_indicators(store, periods, engine="spark", settings=settings_)
    assert by_key(sparked) == by_key(compute_indicators(store, periods, settings=settings_))
    got = by_key(sparked)
    for prefix, spec in specs:
        mine = [got[(prefix + e["org"], e["period"], e["indicator"])] for e in spec["expected"]]
        check(
            spec,
            [
                v.__class__(
                    v.org_code[len(prefix) :],
                    v.period,
                    v.indicator,
                    v.numerator,
                    v.denominator,
                    v.value,
                )
                for v in mine
            ],
        )


@settings(max_examples=2, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=recordsets())
def test_spark_agrees_with_duckdb_on_random_record_sets(spark, data):
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "rs.duckdb"
        load_recordset(write_recordset(Path(tmp) / "rs", data), store, pii_key=b"k")
        periods = [PERIODS[0], PERIODS[4]]
        assert by_key(compute_indicators(store, periods, engine="spark")) == by_key(
            compute_indicators(store, periods)
        )
