"""Find and read the tables of a record set directory into DuckDB (CSV, XLSX, Parquet).

Every table becomes a relation ``raw_<name>`` with a ``_row`` column: the row number as
the user sees it (the header is row 1 in CSV and XLSX; Parquet rows count from 1).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from jiceng.core.errors import Problem

from .schema import TABLE_BY_NAME, TABLES, Table

EXTENSIONS = (".csv", ".xlsx", ".parquet")


def find_sources(src: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The file of each table in ``src``; problems for missing or ambiguous tables."""
    problems: list[Problem] = []
    found: dict[str, Path] = {}
    if not src.is_dir():
        return {}, [Problem(f"记录集目录 {src} 不存在或不是目录")]
    for table in TABLES:
        files = [
            src / f"{table.name}{ext}"
            for ext in EXTENSIONS
            if (src / f"{table.name}{ext}").exists()
        ]
        if len(files) > 1:
            names = "、".join(f.name for f in files)
            problems.append(
                Problem(f"{table.name} 表有多个文件（{names}），只能保留一个", files[0].name)
            )
        elif files:
            found[table.name] = files[0]
        elif not table.optional:
            problems.append(
                Problem(
                    f"缺少 {table.name}（{table.label}）表：应有 {table.name}.csv、.xlsx 或 .parquet",
                    "",
                )
            )
    return found, problems


def _cell(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    s = str(v)
    return s if s != "" else None


def read_csv(path: Path) -> pa.Table:
    """All columns as strings, plus ``_row`` (header = row 1)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), [])
    except UnicodeDecodeError as e:
        raise _FileProblem("文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）") from e
    header = [h.strip() for h in header]
    try:
        t = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as e:
        if "UTF8" in str(e) or "UTF-8" in str(e):
            raise _FileProblem("文件不是 UTF-8 编码（请在 Excel 中另存为“CSV UTF-8”）") from e
        raise _FileProblem(f"无法读取 CSV 文件：{e}") from e
    t = t.append_column("_row", pa.array(range(2, 2 + t.num_rows), type=pa.int64()))
    keep = [i for i, h in enumerate(header) if h and h not in header[:i]]
    return t.select([*keep, t.num_columns - 1])


def read_xlsx(path: Path, table: Table) -> pa.Table:
    """The sheet named like the table (else the only/first sheet), all cells as strings.

    The file is checked against the limits of :mod:`jiceng.core.xlsx` and read row by row
    straight into columns.
    """
    from jiceng.core.errors import ValidationFailed
    from jiceng.core.xlsx import open_xlsx

    try:
        with open_xlsx(path, path.name) as wb:
            names = wb.sheet_names
            if not names:
                raise _FileProblem("无法打开 Excel 文件：工作簿中没有工作表")
            sheet = table.name if table.name in names else names[0]
            return _xlsx_columns(wb.rows(sheet), sheet, names, table)
    except ValidationFailed as e:
        raise _FileProblem("；".join(p.message for p in e.problems)) from None


def _xlsx_columns(rows, sheet: str, names: list[str], table: Table) -> pa.Table:
    first = next(rows, None)
    if not first:
        raise _FileProblem(f"工作表「{sheet}」是空的")
    header = [str(_cell(h) or "").strip() for h in first]
    missing = [c for c in table.required if c not in header]
    if missing:
        for other in TABLES:
            if other.name != table.name and all(c in header for c in other.required):
                raise _FileProblem(
                    f"工作表「{sheet}」的表头是 {other.name}（{other.label}）表的，"
                    f"不是 {table.name}（{table.label}）表"
                )
        if sheet != table.name and table.name not in names and len(names) > 1:
            raise _FileProblem(f"找不到名为「{table.name}」的工作表（现有：{'、'.join(names)}）")
    keep = [
        (i, name)
        for i, name in enumerate(header)
        if name and name != "_row" and name not in header[:i]
    ]
    cols: list[list[str | None]] = [[] for _k in keep]
    used = 0  # rows up to the last one holding a value (empty rows at the end are dropped)
    for n, row in enumerate(rows, 1):
        for values, (i, _name) in zip(cols, keep, strict=True):
            values.append(_cell(row[i]) if i < len(row) else None)
        if any(_cell(v) is not None for v in row):
            used = n
    arrays = {"_row": pa.array(range(2, 2 + used), type=pa.int64())}
    for values, (_i, name) in zip(cols, keep, strict=True):
        arrays[name] = pa.array(values[:used], type=pa.string())
    return pa.table(arrays)


class _FileProblem(Exception):
    pass


def register_raw(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> list[Problem]:
    """Create relation ``raw_<name>``; return problems that make the file unreadable."""
    table = TABLE_BY_NAME[name]
    rel = f"raw_{name}"
    try:
        if path.suffix == ".parquet":
            lit = str(path).replace("'", "''")
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {rel} AS SELECT * EXCLUDE (file_row_number), "
                f"file_row_number + 1 AS _row FROM read_parquet('{lit}', file_row_number=true)"
            )
        else:
            arrow = read_csv(path) if path.suffix == ".csv" else read_xlsx(path, table)
            con.register(f"arrow_{name}", arrow)
            con.execute(f"CREATE OR REPLACE TEMP VIEW {rel} AS SELECT * FROM arrow_{name}")
    except _FileProblem as e:
        return [Problem(str(e), path.name)]
    except duckdb.Error as e:
        return [Problem(f"无法读取文件：{e}", path.name)]
    return []


def raw_columns(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """Column name -> DuckDB type of ``raw_<name>``."""
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE raw_{name}").fetchall()}
