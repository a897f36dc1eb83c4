"""Many new rows of one model at once, without the ORM's per-object SQL compiling.

``bulk_create`` compiles every field of every object into one statement (a tenth of a
millisecond per object); :func:`insert_objects` prepares each object's values as the ORM
would (``pre_save`` then ``get_db_prep_save``, so defaults and ``auto_now`` are kept) and
sends them with ``COPY`` on PostgreSQL, ``executemany`` elsewhere. No primary keys are set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

BATCH = 5000  # rows per executemany


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """INSERT ``rows`` (tuples of database values in ``columns`` order) into ``table``."""
    ops = connection.ops
    names = ", ".join(ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {ops.quote_name(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            ops.quote_name(table), names, ", ".join(["%s"] * len(columns))
        )
        rows = list(rows)
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i : i + BATCH])


def insert_objects(objs: Sequence[models.Model]) -> None:
    """INSERT new model instances (all of one model) as ``bulk_create`` would, without
    setting their primary keys."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    conn = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy costs
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields) for obj in objs]
    insert_rows(meta.db_table, [f.column for f in fields], rows)


@contextmanager
def big_cache(cursor, pages_kib: int = 131072) -> Iterator[None]:
    """SQLite: a page cache of ``pages_kib`` KiB while a large batch is written (the default
    2 MiB makes the index inserts of a large batch read pages again and again)."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (before,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = -{int(pages_kib)}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")


class RowIdField(models.BigAutoField):
    """A primary key that SQLite assigns as its plain ``rowid`` (the largest + 1), without
    ``AUTOINCREMENT``, which keeps a counter in ``sqlite_sequence`` and updates it on every
    insert (1.5 µs a row: a twentieth of a province's import of values). A key of a deleted
    last row may be given again; use it only where no other row keeps a key of this table.
    Elsewhere the same as ``BigAutoField``."""

    def db_type_suffix(self, connection):
        if connection.vendor == "sqlite":
            return None
        return super().db_type_suffix(connection)
