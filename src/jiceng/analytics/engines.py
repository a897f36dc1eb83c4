"""Engines that run the indicator SQL: DuckDB (default), Spark and PostgreSQL.

Engine differences are data (``DIALECTS``): the SQLGlot dialect the definitions are
transpiled to and the statements that materialise a per-period view. Runners only
execute SQL and fetch rows.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import sqlglot

from .schema import STORE_FORMAT, TABLE_BY_NAME, TABLES, store_columns

STORE_TABLES = [t.name for t in TABLES] + ["closure"]


def _readers(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """SQL reading each table of a store. A store loaded before an optional table existed
    (pregnancies, vaccinations) lacks it: it reads as an empty relation of its columns."""
    have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    out = {}
    for name in STORE_TABLES:
        if name in have or name not in TABLE_BY_NAME:
            out[name] = f"SELECT * FROM {name}"
        else:
            cols = ", ".join(
                f"CAST(NULL AS {t}) AS {c}" for c, t in store_columns(TABLE_BY_NAME[name])
            )
            out[name] = f"SELECT {cols} WHERE false"
    return out


@dataclass(frozen=True)
class Dialect:
    name: str
    sqlglot: str
    materialize: tuple[str, ...]
    # Compute the year-to-date periods of a year in one pass (fusion.py): pays where each
    # query costs seconds whatever its size (Spark), not where rows cost (DuckDB at 1M).
    fuse_periods: bool = False


DIALECTS = {
    "duckdb": Dialect("duckdb", "duckdb", ("CREATE OR REPLACE TEMP TABLE {name} AS {sql}",)),
    "spark": Dialect(
        "spark",
        "spark",
        ("CREATE OR REPLACE TEMPORARY VIEW {name} AS {sql}", "CACHE TABLE {name}"),
        fuse_periods=True,
    ),
    "postgres": Dialect(
        "postgres",
        "postgres",
        ("DROP TABLE IF EXISTS {name}", "CREATE TEMP TABLE {name} AS {sql}", "ANALYZE {name}"),
    ),
}


def transpile(sql: str, dialect: Dialect) -> str:
    """DuckDB SQL of a definition in the engine's dialect."""
    if dialect.sqlglot == "duckdb":
        return sql
    return sqlglot.transpile(sql, read="duckdb", write=dialect.sqlglot)[0]


class Runner(Protocol):
    dialect: Dialect

    def execute(self, sql: str) -> None: ...
    def fetch(self, sql: str) -> list[tuple]: ...
    def close(self) -> None: ...


class DuckDBRunner:
    dialect = DIALECTS["duckdb"]

    def __init__(self, store: Path):
        self.con = duckdb.connect(str(store), read_only=True)
        memory = os.environ.get("JICENG_DUCKDB_MEMORY")
        if memory:
            self.con.execute(f"SET memory_limit = '{memory.replace(chr(39), '')}'")
        threads = os.environ.get("JICENG_DUCKDB_THREADS")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # A store loaded before an optional table existed lacks it: an empty one stands in.
        for name, sql in _readers(self.con).items():
            if sql.endswith("WHERE false"):
                self.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def fetch(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


class StoreFormatError(ValueError):
    """A store loaded by another version of jiceng (its tables have another layout)."""


def _meta(store: Path) -> dict[str, str]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        try:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())
        except duckdb.CatalogException:
            return {}
    finally:
        con.close()


def check_store_format(store: Path) -> None:
    """Refuse, in Chinese, a store whose layout is not this version's (``STORE_FORMAT``).

    A store loaded before format 2 joins residents on the text resident_id; rather than
    convert it on open (a read-only store, possibly large), computing asks for a reload.
    """
    found = _meta(store).get("format", "1")
    if found != str(STORE_FORMAT):
        raise StoreFormatError(
            f"记录集存储「{Path(store).name}」由旧版本载入（存储格式 {found}，本版本需要格式 "
            f"{STORE_FORMAT}），无法计算：请重新载入该记录集（上传或 records_load）后再计算。"
        )


def absent_tables(store: Path) -> set[str]:
    """The optional tables the record set of ``store`` did not hold.

    A store loaded before the loader recorded its tables holds none of the optional tables.
    """
    from .definitions import OPTIONAL_TABLES

    row = _meta(store).get("tables")
    held = set(row.split(",")) if row else set()
    return {t for t in OPTIONAL_TABLES if t not in held}


def export_parquet(store: Path, out: Path | None = None) -> Path:
    """Write every table of a store as Parquet (for Spark); reuse an up-to-date export."""
    out = out or store.with_name(store.name + ".parquet")
    stamp = out / "_SOURCE_MTIME"
    mtime = str(store.stat().st_mtime_ns)
    if stamp.exists() and stamp.read_text() == mtime:
        return out
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(store), read_only=True)
    try:
        for name, sql in _readers(con).items():
            target = str(out / f"{name}.parquet").replace("'", "''")
            con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    stamp.write_text(mtime)
    return out


_spark = None


def spark_session():
    """One local SparkSession per process, bound to loopback, without the web UI."""
    global _spark
    if _spark is not None:
        return _spark
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    # Extra settings, "key=value;key=value" (the tests turn off what only pays on big data).
    for pair in filter(None, os.environ.get("JICENG_SPARK_CONF", "").split(";")):
        key, _, value = pair.partition("=")
        builder = builder.config(key.strip(), value.strip())
    _spark = (
        builder.master(os.environ.get("JICENG_SPARK_MASTER", "local[2]"))
        .appName("jiceng-indicators")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", os.environ.get("JICENG_SPARK_PARTITIONS", "4"))
        .config("spark.driver.memory", os.environ.get("JICENG_SPARK_MEMORY", "4g"))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    _spark.sparkContext.setLogLevel("ERROR")
    return _spark


class SparkRunner:
    dialect = DIALECTS["spark"]

    def __init__(self, store: Path):
        self.spark = spark_session()
        folder = export_parquet(store)
        self.views: list[str] = []
        for name in STORE_TABLES:
            self.spark.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(name)

    def execute(self, sql: str) -> None:
        if sql.startswith("CACHE TABLE"):
            # JICENG_SPARK_CACHE: "1" (default) caches each view; "0" does not (each query
            # recomputes the views it reads); "checkpoint" replaces each view by a local
            # checkpoint of its rows, so that a query reading it plans a scan of those rows
            # instead of the view's whole definition (a cached view is still analysed in
            # full): for small data, where planning is most of the time (the Spark test).
            mode = os.environ.get("JICENG_SPARK_CACHE", "1")
            if mode == "0":
                return
            if mode == "checkpoint":
                name = sql.split()[2]
                df = self.spark.table(name).localCheckpoint(eager=True)
                df.createOrReplaceTempView(name)
                return
        if sql.startswith("CREATE OR REPLACE TEMPORARY VIEW"):
            name = sql.split()[5]
            if name in self.views:
                # A new pass: this view and those defined after it (which may read it) go
                # first, the readers before what they read, so that none is left reading a
                # view of another shape (a pass over several periods has a period column).
                i = self.views.index(name)
                self._drop(self.views[i:])
                del self.views[i:]
            self.views.append(name)
        self.spark.sql(sql)

    def _drop(self, names: list[str]) -> None:
        for name in reversed(names):
            self.spark.sql(f"UNCACHE TABLE IF EXISTS {name}")
            self.spark.sql(f"DROP VIEW IF EXISTS {name}")

    def fetch(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def close(self) -> None:
        self._drop(self.views)
        self.views = []
        self.spark.catalog.clearCache()


def copy_to_postgres(store: Path, dsn: str, schema: str) -> None:
    """Copy every table of a store into a PostgreSQL schema with COPY (benchmark baseline)."""
    import psycopg

    src = duckdb.connect(str(store), read_only=True)
    types = {
        "VARCHAR": "text",
        "BIGINT": "bigint",
        "DOUBLE": "double precision",
        "DATE": "date",
        "BOOLEAN": "boolean",
        "INTEGER": "integer",
    }
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        pg.execute(f"CREATE SCHEMA {schema}")
        for name, sql in _readers(src).items():
            cols = src.execute(f"DESCRIBE {sql}").fetchall()
            ddl = ", ".join(
                f"{c[0]} {types.get(c[1], 'numeric' if c[1].startswith('DECIMAL') else 'text')}"
                for c in cols
            )
            pg.execute(f"CREATE TABLE {schema}.{name} ({ddl})")
            rel = src.execute(sql)
            with pg.cursor().copy(f"COPY {schema}.{name} FROM STDIN") as cp:
                while batch := rel.fetchmany(100_000):
                    buf = io.StringIO()
                    for row in batch:
                        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
                        buf.write("\n")
                    cp.write(buf.getvalue())
            pg.execute(f"ANALYZE {schema}.{name}")
        for name, col in (
            ("residents", "rid"),
            ("conditions", "rid"),
            ("followups", "rid"),
            ("exams", "rid"),
            ("services", "rid"),
            ("contracts", "rid"),
            ("pregnancies", "rid"),
            ("vaccinations", "rid"),
            ("closure", "descendant"),
        ):
            pg.execute(f"CREATE INDEX ON {schema}.{name} ({col})")
    src.close()


class PostgresRunner:
    dialect = DIALECTS["postgres"]

    def __init__(self, dsn: str, schema: str):
        import psycopg

        self.pg = psycopg.connect(dsn, autocommit=True)
        self.pg.execute(f"SET search_path TO {schema}")
        self.pg.execute("SET work_mem = '256MB'")

    def execute(self, sql: str) -> None:
        self.pg.execute(sql)

    def fetch(self, sql: str) -> list[tuple]:
        return self.pg.execute(sql).fetchall()

    def close(self) -> None:
        self.pg.close()
