"""The store's layout: residents numbered at load, the text id kept once, older stores refused."""

from __future__ import annotations

import duckdb
import pytest

from jiceng.analytics import compute_indicators, load_recordset, parse_period
from jiceng.analytics.schema import STORE_FORMAT

from .helpers import write_recordset
from .test_bad_input import KEY, good


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.duckdb"
    load_recordset(write_recordset(tmp_path / "rs", good()), path, pii_key=KEY)
    return path


def test_the_text_resident_id_is_kept_once_and_every_table_carries_the_integer_key(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        ids = con.execute("SELECT rid, resident_id FROM resident_ids ORDER BY rid").fetchall()
        residents = con.execute("SELECT count(*), count(DISTINCT rid) FROM residents").fetchone()
        columns = {
            (t, c): ty
            for t, c, ty in con.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns()"
            ).fetchall()
        }
        fmt = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        dangling = con.execute(
            "SELECT count(*) FROM followups WHERE rid NOT IN (SELECT rid FROM resident_ids)"
        ).fetchone()
    finally:
        con.close()
    assert [i for i, _ in ids] == list(range(1, len(ids) + 1))
    assert residents == (len(ids), len(ids))
    assert [t for t, c in columns if c == "resident_id"] == ["resident_ids"]
    for table in ("residents", "conditions", "followups", "exams", "services", "contracts"):
        assert columns[(table, "rid")] == "INTEGER"
    assert fmt == (str(STORE_FORMAT),) and dangling == (0,)


@pytest.mark.parametrize("older", ["no format", "format 1"])
def test_a_store_loaded_by_an_older_version_is_refused_with_a_request_to_reload(store, older):
    con = duckdb.connect(str(store))
    if older == "no format":
        con.execute("DELETE FROM meta WHERE key = 'format'")
    else:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
    con.close()
    with pytest.raises(ValueError, match="由旧版本载入.*请重新载入该记录集"):
        compute_indicators(store, [parse_period("2025")])
