"""Check a record set and load it into a DuckDB store (one file per record set).

All checks are SQL queries over DuckDB relations that return the offending rows, so a
ten-million-row record set is checked in a few scans rather than a Python loop per row.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from jiceng.core.errors import Problem, ValidationFailed
from jiceng.core.exports import csv_writer
from jiceng.core.pii import mask_id_numbers

from .immunization import DEFAULT_SCHEDULE, Schedule, validate_schedule
from .readers import find_sources, raw_columns, register_raw
from .schema import STORE_FORMAT, TABLE_BY_NAME, TABLES, Column, Table, store_columns
from .tree import OrgRow, closure, tree_problems

Progress = Callable[[str, int, int], None]

MAX_PER_CHECK = 100  # problems listed per check before summarising the rest

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
)
_TARGET = {"int": "BIGINT", "number": "DOUBLE", "decimal": "DECIMAL(18,4)"}
_TRUE = ("1", "true", "是", "y", "yes")
_FALSE = ("0", "false", "否", "n", "no")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class LoadResult:
    store: Path
    counts: dict[str, int]
    rejected: int
    warnings: list[Problem]
    tree_source: str


@dataclass(frozen=True)
class _Check:
    column: str
    where: str  # SQL condition over conv_<table>
    message: Callable[[dict], str]
    reason: str  # short reason for the rejects file
    extra: str = ""  # more SQL columns for the message, e.g. "(SELECT …) AS x_name"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def date_reason(v: str) -> str:
    """Why a text is not a valid ISO date, in Chinese."""
    if not _ISO.match(v):
        return f"日期「{v}」不是 YYYY-MM-DD 格式"
    y, m, d = (int(x) for x in v.split("-"))
    if not 1 <= m <= 12:
        return f"日期「{v}」无效：月份 {m} 不存在"
    return f"日期「{v}」无效：{y}年{m}月没有第 {d} 日"


def _exprs(col: Column, rawtype: str | None) -> tuple[str, str]:
    """(raw text expression, converted expression) of one column."""
    if rawtype is None:
        conv = "false" if col.type == "bool" else f"CAST(NULL AS {_sql_type(col)})"
        return "CAST(NULL AS VARCHAR)", conv
    src = _q(col.name)
    base = rawtype.split("(")[0]
    if base != "VARCHAR":
        r = f"CAST({src} AS VARCHAR)"
        if col.type == "date" and base == "DATE":
            return r, src
        if col.type == "date" and base.startswith("TIMESTAMP"):
            return r, f"CAST({src} AS DATE)"
        if col.type == "bool" and base == "BOOLEAN":
            return r, f"coalesce({src}, false)"
        if col.type in _TARGET and (base in _NUMERIC or base == "DECIMAL"):
            return r, f"TRY_CAST({src} AS {_TARGET[col.type]})"
        if col.type == "int" and base in ("FLOAT", "DOUBLE"):
            return r, f"CASE WHEN {src} = round({src}) THEN CAST({src} AS BIGINT) END"
    r = f"nullif(trim(CAST({src} AS VARCHAR)), '')"
    return r, _from_text(col, r)


def _sql_type(col: Column) -> str:
    from .schema import SQL_TYPES

    return SQL_TYPES[col.type]


def _from_text(col: Column, r: str) -> str:
    t = col.type
    if t in ("text",):
        return r
    if t == "int":
        return f"CASE WHEN regexp_full_match({r}, '[+-]?\\d+(\\.0+)?') THEN TRY_CAST(TRY_CAST({r} AS DOUBLE) AS BIGINT) END"
    if t in ("number", "decimal"):
        return f"TRY_CAST({r} AS {_TARGET[t]})"
    if t == "date":
        return f"CASE WHEN regexp_full_match({r}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN TRY_CAST({r} AS DATE) END"
    if t == "bool":
        tv = ", ".join(_lit(x) for x in _TRUE)
        fv = ", ".join(_lit(x) for x in _FALSE)
        return (
            f"CASE WHEN {r} IS NULL THEN false WHEN lower({r}) IN ({tv}) THEN true "
            f"WHEN lower({r}) IN ({fv}) THEN false END"
        )
    if t == "sex":
        return f"CASE WHEN upper({r}) IN ('M', '男') THEN 'M' WHEN upper({r}) IN ('F', '女') THEN 'F' END"
    if t == "enum":
        vals = ", ".join(_lit(v) for v in col.values)
        # older codes are stored as their current code
        old = "".join(f" WHEN {r} = {_lit(a)} THEN {_lit(b)}" for a, b in col.aliases)
        return f"CASE WHEN {r} IN ({vals}) THEN {r}{old} END"
    if t == "keylist":
        return (
            f"nullif(array_to_string(list_filter(list_transform(string_split({r}, ';'), "
            f"lambda x: trim(x)), lambda x: x <> ''), ';'), '')"
        )
    raise ValueError(t)


def _type_message(col: Column) -> Callable[[dict], str]:
    key = f"r_{col.name}"
    t = col.type
    if t == "date":
        return lambda row: date_reason(row[key])
    if t == "int":
        return lambda row: f"「{row[key]}」不是整数"
    if t in ("number", "decimal"):
        return lambda row: f"「{row[key]}」不是数字"
    if t == "bool":
        return lambda row: f"「{row[key]}」不是有效的是否值（应为 1/0、true/false 或 是/否）"
    if t == "sex":
        return lambda row: f"「{row[key]}」不是有效的性别（应为 M/F 或 男/女）"
    if t == "enum":
        allowed = "、".join(col.values)
        return lambda row: f"未知的{col.label}代码「{row[key]}」（可用：{allowed}）"
    return lambda row: f"「{row[key]}」无效"


def _column_checks(table: Table, present: dict[str, str]) -> list[_Check]:
    checks: list[_Check] = []
    for col in table.columns:
        r, c = f"r_{col.name}", f"c_{col.name}"
        if col.required:
            checks.append(
                _Check(col.name, f"{r} IS NULL", lambda row: "必填项为空", f"{col.name} 为空")
            )
        if col.type not in ("text", "keylist") and col.name in present:
            checks.append(
                _Check(
                    col.name,
                    f"{r} IS NOT NULL AND {c} IS NULL",
                    _type_message(col),
                    f"{col.name} 无效",
                )
            )
        if col.low is not None or col.high is not None:
            conds = []
            if col.low is not None:
                conds.append(f"{c} < {col.low}")
            if col.high is not None:
                conds.append(f"{c} > {col.high}")
            lo, hi = col.low, col.high

            def msg(row: dict, key: str = r, lo=lo, hi=hi, label=col.label) -> str:
                if hi is None:
                    return f"{label} {row[key]} 不能为负数"
                return f"{label} {row[key]} 超出合理范围（{lo:g}–{hi:g}）"

            checks.append(_Check(col.name, f"({' OR '.join(conds)})", msg, f"{col.name} 超出范围"))
    return checks


def _table_checks(
    table: Table, has_residents: bool = True, schedule: Schedule = DEFAULT_SCHEDULE
) -> list[_Check]:
    """Checks that involve several columns or other tables."""
    name = table.name
    checks: list[_Check] = []
    if name == "pregnancies":
        checks += _pregnancy_checks()
    if name == "vaccinations":
        checks += _vaccination_checks(schedule, has_residents)
    if name == "followups":
        checks.append(
            _Check(
                "sbp",
                "c_sbp IS NOT NULL AND c_dbp IS NOT NULL AND c_sbp <= c_dbp",
                lambda row: f"收缩压 {row['r_sbp']} 不高于舒张压 {row['r_dbp']}",
                "收缩压不高于舒张压",
            )
        )
    if name == "conditions":
        checks.append(
            _Check(
                "ended_date",
                "c_ended_date < c_enrolled_date",
                lambda row: (
                    f"结束管理日期 {row['r_ended_date']} 早于纳入管理日期 {row['r_enrolled_date']}"
                ),
                "结束管理日期早于纳入管理日期",
            )
        )
    if name == "contracts":
        checks.append(
            _Check(
                "end_date",
                "c_end_date < c_start_date",
                lambda row: f"签约结束日期 {row['r_end_date']} 早于开始日期 {row['r_start_date']}",
                "签约结束日期早于开始日期",
            )
        )
    if name == "residents":
        checks.append(
            _Check(
                "resident_id",
                "_row IN (SELECT _row FROM (SELECT _row, row_number() OVER (PARTITION BY c_resident_id "
                "ORDER BY _row) AS n FROM conv_residents WHERE c_resident_id IS NOT NULL) WHERE n > 1)",
                lambda row: f"居民编号「{row['r_resident_id']}」重复",
                "居民编号重复",
            )
        )
    if name == "population":
        checks.append(
            _Check(
                "org_code",
                "_row IN (SELECT _row FROM (SELECT _row, row_number() OVER (PARTITION BY c_org_code, c_year "
                "ORDER BY _row) AS n FROM conv_population WHERE c_org_code IS NOT NULL) WHERE n > 1)",
                lambda row: f"机构 {row['r_org_code']} 的 {row['r_year']} 年人口重复填写",
                "人口重复",
            )
        )
    if table.refers_to_residents and has_residents:
        checks.append(
            _Check(
                "resident_id",
                "c_resident_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM good_residents g "
                "WHERE g.resident_id = c_resident_id)",
                lambda row: f"居民编号「{row['r_resident_id']}」在 residents 表中不存在",
                "居民编号不存在",
            )
        )
    if name != "orgs" and any(c.name == "org_code" for c in table.columns):
        checks.append(
            _Check(
                "org_code",
                "c_org_code IS NOT NULL AND c_org_code NOT IN (SELECT code FROM tree_codes)",
                lambda row: f"机构编码「{row['r_org_code']}」不在机构树中",
                "机构编码不在机构树中",
            )
        )
    return checks


def _pregnancy_checks() -> list[_Check]:
    return [
        _Check(
            "delivery_date",
            "c_delivery_date < c_registered_date",
            lambda row: (
                f"分娩日期 {row['r_delivery_date']} 早于建册日期 {row['r_registered_date']}"
            ),
            "分娩日期早于建册日期",
        ),
        _Check(
            "live_births",
            "c_live_births > 0 AND r_delivery_date IS NULL",
            lambda row: f"活产数 {row['r_live_births']} 大于 0，但没有填写分娩日期",
            "有活产但没有分娩日期",
        ),
    ]


def _vaccination_checks(schedule: Schedule, has_residents: bool) -> list[_Check]:
    codes = ", ".join(_lit(v) for v in schedule)
    allowed = "、".join(schedule)
    last = " ".join(f"WHEN {_lit(v)} THEN {max(d)}" for v, d in schedule.items())
    checks = [
        _Check(
            "vaccine",
            f"c_vaccine IS NOT NULL AND c_vaccine NOT IN ({codes})",
            lambda row: f"疫苗代码「{row['r_vaccine']}」不在免疫程序中（可用：{allowed}）",
            "疫苗代码不在免疫程序中",
        ),
        _Check(
            "dose",
            "c_dose <= 0",
            lambda row: f"剂次 {row['r_dose']} 无效：应为 1 及以上的整数",
            "剂次无效",
        ),
        _Check(
            "dose",
            f"c_dose > CASE c_vaccine {last} END",
            lambda row: (
                f"剂次 {row['r_dose']} 超出免疫程序：疫苗 {row['c_vaccine']} "
                f"只有 {max(schedule[row['c_vaccine']])} 剂"
            ),
            "剂次超出免疫程序",
        ),
    ]
    if has_residents:
        birth = "(SELECT g.birth_date FROM good_residents g WHERE g.resident_id = c_resident_id)"
        checks.append(
            _Check(
                "vaccination_date",
                f"c_vaccination_date < {birth}",
                lambda row: (
                    f"接种日期 {row['r_vaccination_date']} 早于居民「{row['r_resident_id']}」"
                    f"的出生日期 {row['x_birth_date']}"
                ),
                "接种日期早于出生日期",
                extra=f"{birth} AS x_birth_date",
            )
        )
    return checks


def hmac_sql(expr: str, key: bytes) -> str:
    """SQL computing HMAC-SHA256(key, expr) as lower-case hex (RFC 2104, in DuckDB)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in key).hex()
    opad = bytes(b ^ 0x5C for b in key).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode({expr})))"
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE sha256(unhex('{opad}') || {inner}) END"


class _Session:
    """Raw and converted relations of one record set in one DuckDB connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        src: Path,
        tree: list[OrgRow] | None,
        skip_invalid: bool,
        progress: Progress | None,
        schedule: Schedule | None = None,
    ):
        self.con = con
        self.schedule = DEFAULT_SCHEDULE if schedule is None else validate_schedule(schedule)
        self.src = src
        self.tree_arg = tree
        self.skip = skip_invalid
        self.progress = progress or (lambda stage, done, total: None)
        self.files: dict[str, Path] = {}
        self.present: dict[str, dict[str, str]] = {}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.tree: list[OrgRow] = []
        self.tree_source = ""
        self.bad_count = 0

    # -- stages -----------------------------------------------------------------
    def run(self) -> None:
        self.files, problems = find_sources(self.src)
        self.problems += problems
        tables = [t for t in TABLES if t.name in self.files]
        total = len(tables)
        for i, table in enumerate(tables):
            self.progress(f"读取 {table.name}", i, total)
            self._convert(table)
        self.progress("读取完成", total, total)
        self.fatal = bool(self.problems)
        self._build_tree()
        if self.tree_fatal:
            return
        for i, table in enumerate(tables):
            self.progress(f"检查 {table.name}", i, total)
            self._check(table)
            if table.name == "residents" and "residents" in self.present:
                self._good_residents()
        if "population" in self.present:
            self._check_population_overlap()
            self._warn_missing_population()
        self.progress("检查完成", total, total)

    def _convert(self, table: Table) -> None:
        path = self.files[table.name]
        problems = register_raw(self.con, table.name, path)
        if problems:
            self.problems += problems
            return
        cols = raw_columns(self.con, table.name)
        missing = [c for c in table.required if c not in cols]
        for c in missing:
            self.problems.append(
                Problem(f"缺少必需的列 {c}（{table.column(c).label}）", path.name, 1, c)
            )
        if missing:
            self.fatal = True
            return
        self.present[table.name] = cols
        parts = ["_row"]
        for col in table.columns:
            r, c = _exprs(col, cols.get(col.name))
            parts.append(f"{r} AS r_{col.name}")
            parts.append(f"{c} AS c_{col.name}")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE conv_{table.name} AS SELECT {', '.join(parts)} FROM raw_{table.name}"
        )

    tree_fatal = False
    fatal = False

    def _build_tree(self) -> None:
        if "orgs" in self.present:
            orgs = TABLE_BY_NAME["orgs"]
            self._check(orgs)
            rows = self.con.execute(
                "SELECT c_org_code, coalesce(c_name, ''), c_parent_code, coalesce(c_kind, '') "
                "FROM conv_orgs WHERE c_org_code IS NOT NULL ORDER BY _row"
            ).fetchall()
            self.tree = [OrgRow(*r) for r in rows]
            self.tree_source = "orgs"
            fatal = tree_problems(self.tree, self.files["orgs"].name)
        elif "orgs" in self.files:
            self.tree_fatal = True
            return
        elif self.tree_arg is not None:
            self.tree = list(self.tree_arg)
            self.tree_source = "platform"
            fatal = tree_problems(self.tree, "platform")
        else:
            fatal = [Problem("记录集没有 orgs 表，也没有提供平台的机构树")]
        if fatal or not self.tree:
            self.problems += fatal or [Problem("机构树是空的")]
            self.tree_fatal = True
            return
        pairs = closure(self.tree)
        self._table_from_arrow("tree_codes", {"code": [r.code for r in self.tree]})
        self._table_from_arrow(
            "tree_names", {"code": [r.code for r in self.tree], "name": [r.name for r in self.tree]}
        )
        self._table_from_arrow(
            "tree_closure",
            {
                "ancestor": [a for a, _d, _n in pairs],
                "descendant": [d for _a, d, _n in pairs],
                "distance": pa.array([n for _a, _d, n in pairs], type=pa.int32()),
            },
        )

    def _table_from_arrow(self, name: str, columns: dict, temp: bool = True) -> None:
        arrow = pa.table(columns)
        self.con.register("_arrow_tmp", arrow)
        kind = "TEMP TABLE" if temp else "TABLE"
        self.con.execute(f"CREATE OR REPLACE {kind} {name} AS SELECT * FROM _arrow_tmp")
        self.con.unregister("_arrow_tmp")

    def _good_residents(self) -> None:
        bad = "AND _row NOT IN (SELECT _row FROM bad_residents)" if self.skip else ""
        # One row per resident (a duplicated id is an error of its own).
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE good_residents AS SELECT c_resident_id AS resident_id, "
            "min(c_birth_date) AS birth_date "
            f"FROM conv_residents WHERE c_resident_id IS NOT NULL {bad} GROUP BY c_resident_id"
        )

    def _check(self, table: Table) -> None:
        name = table.name
        if name not in self.present:
            return
        checks = _column_checks(table, self.present[name]) + _table_checks(
            table, "residents" in self.present, self.schedule
        )
        fname = self.files[name].name
        for ch in checks:
            rows = self._fetch(name, ch.where, ch.extra)
            for row in rows[:MAX_PER_CHECK]:
                self.problems.append(Problem(ch.message(row), fname, int(row["_row"]), ch.column))
            if len(rows) > MAX_PER_CHECK:
                n = self.con.execute(
                    f"SELECT count(*) FROM conv_{name} WHERE {ch.where}"
                ).fetchone()[0]
                self.problems.append(
                    Problem(
                        f"另有 {n - MAX_PER_CHECK} 行有同样的问题（{ch.reason}）",
                        fname,
                        None,
                        ch.column,
                    )
                )
        if self.skip:
            union = (
                " UNION ALL ".join(
                    f"SELECT _row, {_lit(ch.reason)} AS reason FROM conv_{name} WHERE {ch.where}"
                    for ch in checks
                )
                or "SELECT NULL::BIGINT AS _row, NULL::VARCHAR AS reason WHERE false"
            )
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE bad_{name} AS SELECT _row, string_agg(reason, '；') AS reasons "
                f"FROM ({union}) GROUP BY _row"
            )

    def _fetch(self, name: str, where: str, extra: str = "") -> list[dict]:
        more = f", {extra}" if extra else ""
        cur = self.con.execute(
            f"SELECT *{more} FROM conv_{name} WHERE {where} ORDER BY _row LIMIT {MAX_PER_CHECK + 1}"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def _check_population_overlap(self) -> None:
        fname = self.files["population"].name
        rows = self.con.execute(
            "SELECT lo._row, hi.c_org_code, hn.name, lo.c_org_code, ln.name, lo.c_year, hi._row "
            "FROM conv_population lo JOIN tree_closure cl ON cl.descendant = lo.c_org_code AND cl.distance > 0 "
            "JOIN conv_population hi ON hi.c_org_code = cl.ancestor AND hi.c_year = lo.c_year "
            "LEFT JOIN tree_names hn ON hn.code = hi.c_org_code LEFT JOIN tree_names ln ON ln.code = lo.c_org_code "
            f"ORDER BY lo._row LIMIT {MAX_PER_CHECK}"
        ).fetchall()
        for lo_row, hi_code, hi_name, lo_code, lo_name, year, hi_row in rows:
            self.problems.append(
                Problem(
                    f"{year} 年人口重复计算：{hi_code}（{hi_name}，第{hi_row}行）和它下级的 "
                    f"{lo_code}（{lo_name}）都填写了人口",
                    fname,
                    int(lo_row),
                    "org_code",
                )
            )
        if self.skip and rows:
            self.con.execute(
                "INSERT INTO bad_population SELECT r, '人口重复计算' FROM (SELECT lo._row AS r FROM conv_population lo "
                "JOIN tree_closure cl ON cl.descendant = lo.c_org_code AND cl.distance > 0 "
                "JOIN conv_population hi ON hi.c_org_code = cl.ancestor AND hi.c_year = lo.c_year "
                "UNION SELECT hi._row FROM conv_population lo "
                "JOIN tree_closure cl ON cl.descendant = lo.c_org_code AND cl.distance > 0 "
                "JOIN conv_population hi ON hi.c_org_code = cl.ancestor AND hi.c_year = lo.c_year)"
            )

    def _warn_missing_population(self) -> None:
        if "residents" not in self.present:
            return
        rows = self.con.execute(
            "SELECT r.c_org_code, n.name, count(*) FROM conv_residents r LEFT JOIN tree_names n ON n.code = r.c_org_code "
            "WHERE r.c_org_code IN (SELECT code FROM tree_codes) AND NOT EXISTS (SELECT 1 FROM tree_closure cl "
            "JOIN conv_population p ON p.c_org_code = cl.descendant WHERE cl.ancestor = r.c_org_code) "
            f"GROUP BY 1, 2 ORDER BY 1 LIMIT {MAX_PER_CHECK}"
        ).fetchall()
        for code, nm, n in rows:
            self.warnings.append(
                Problem(
                    f"机构 {code}（{nm}）有 {n} 名居民，但它及其下级都没有人口数据：以人口为分母的指标在此无法计算",
                    self.files["population"].name,
                    None,
                    "org_code",
                )
            )

    # -- output ------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        out = {}
        for name in self.present:
            bad = f" WHERE _row NOT IN (SELECT _row FROM bad_{name})" if self.skip else ""
            out[name] = self.con.execute(f"SELECT count(*) FROM conv_{name}{bad}").fetchone()[0]
        return out

    def write_tables(self, pii_key: bytes) -> None:
        """The store's tables. Residents are numbered in file order (rid, INTEGER): the text
        resident_id is kept once, in resident_ids, and every other table carries rid."""
        con = self.con
        total = len(TABLES)
        if "residents" in self.present:
            bad = " AND _row NOT IN (SELECT _row FROM bad_residents)" if self.skip else ""
            con.execute(
                "CREATE TABLE resident_ids AS SELECT CAST(row_number() OVER (ORDER BY _row) "
                "AS INTEGER) AS rid, c_resident_id AS resident_id, _row FROM conv_residents "
                f"WHERE c_resident_id IS NOT NULL{bad}"
            )
        else:
            con.execute("CREATE TABLE resident_ids (rid INTEGER, resident_id VARCHAR, _row BIGINT)")
        for i, table in enumerate(TABLES):
            self.progress(f"写入 {table.name}", i, total)
            cols = store_columns(table)
            if table.name == "orgs":
                tree = self.tree
                self._table_from_arrow(
                    "orgs",
                    {
                        "org_code": pa.array([r.code for r in tree], pa.string()),
                        "name": pa.array([r.name for r in tree], pa.string()),
                        "parent_code": pa.array([r.parent_code for r in tree], pa.string()),
                        "kind": pa.array([r.kind for r in tree], pa.string()),
                    },
                    temp=False,
                )
                continue
            if table.name not in self.present:
                ddl = ", ".join(f"{n} {t}" for n, t in cols)
                con.execute(f"CREATE TABLE {table.name} ({ddl})")
                continue
            sel = []
            for col in table.columns:
                if table.name == "residents" and col.name == "id_number":
                    sel.append(f"{hmac_sql('c_id_number', pii_key)} AS id_hash")
                elif col.name == "resident_id":
                    sel.append("k.rid AS rid")
                else:
                    sel.append(f"c.c_{col.name} AS {col.name}")
            join = ""
            if table.name == "residents":
                # the numbered rows only (a resident without an id is an error of its own)
                join = " JOIN resident_ids k ON k._row = c._row"
            elif any(col.name == "resident_id" for col in table.columns):
                join = " LEFT JOIN resident_ids k ON k.resident_id = c.c_resident_id"
            bad = f" WHERE c._row NOT IN (SELECT _row FROM bad_{table.name})" if self.skip else ""
            con.execute(
                f"CREATE TABLE {table.name} AS SELECT {', '.join(sel)} "
                f"FROM conv_{table.name} c{join}{bad}"
            )
        con.execute("ALTER TABLE resident_ids DROP COLUMN _row")
        con.execute("CREATE TABLE closure AS SELECT * FROM tree_closure")
        self.progress("写入完成", total, total)

    def write_rejects(self, path: Path) -> int:
        n = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv_writer(f)
            w.writerow(["file", "row", "reasons", "values"])
            for name in self.present:
                table = TABLE_BY_NAME[name]
                raw = [f"r_{c.name}" for c in table.columns]
                cur = self.con.execute(
                    f"SELECT b._row, b.reasons, {', '.join('c.' + r for r in raw)} FROM bad_{name} b "
                    f"JOIN conv_{name} c USING (_row) ORDER BY b._row"
                )
                while batch := cur.fetchmany(10000):
                    for row, reasons, *vals in batch:
                        shown = []
                        for col, v in zip(table.columns, vals, strict=True):
                            if v is None:
                                continue
                            if col.name == "id_number":
                                v = "********"
                            shown.append(f"{col.name}={v}")
                        # An ID number shifted into another column is masked as well.
                        w.writerow(
                            [
                                mask_id_numbers(self.files[name].name),
                                row,
                                reasons,
                                mask_id_numbers("; ".join(shown)),
                            ]
                        )
                        n += 1
        return n


def _connect(path: str, tmpdir: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    con.execute(f"SET temp_directory = {_lit(tmpdir)}")
    mem = os.environ.get("JICENG_DUCKDB_MEMORY", "4GB")
    con.execute(f"SET memory_limit = {_lit(mem)}")
    return con


def check_recordset(
    src: Path,
    *,
    tree: list[OrgRow] | None = None,
    progress: Progress | None = None,
    immunization_schedule: Schedule | None = None,
) -> CheckResult:
    """Validate a record set directory without loading it.

    Vaccinations are checked against ``immunization_schedule`` (default: the national
    programme, ``immunization.NATIONAL_2021``).
    """
    src = Path(src)
    with tempfile.TemporaryDirectory(prefix="jiceng-check-") as tmp:
        con = _connect(":memory:", tmp)
        try:
            s = _Session(con, src, tree, False, progress, immunization_schedule)
            s.run()
            counts = s.counts()
        finally:
            con.close()
    return CheckResult(s.problems, s.warnings, counts)


def load_recordset(
    src: Path,
    store: Path,
    *,
    tree: list[OrgRow] | None = None,
    pii_key: bytes,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    immunization_schedule: Schedule | None = None,
) -> LoadResult:
    """Validate and load ``src`` into the DuckDB file ``store`` (replaced atomically).

    Raises ValidationFailed and writes nothing if there are problems, unless
    ``skip_invalid``: then bad rows are left out and listed in ``rejects``.
    """
    src, store = Path(src), Path(store)
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp_store = store.with_name(f".{store.name}.{os.getpid()}.loading")
    if tmp_store.exists():
        tmp_store.unlink()
    # Named after the store and this process, so that a sweep can tell a dead load's leftovers.
    spill = f".{store.name}.{os.getpid()}.tmp-"
    with tempfile.TemporaryDirectory(prefix=spill, dir=store.parent) as tmp:
        con = _connect(str(tmp_store), tmp)
        ok = False
        try:
            s = _Session(con, src, tree, skip_invalid, progress, immunization_schedule)
            s.run()
            if s.problems and (not skip_invalid or s.fatal or s.tree_fatal):
                raise ValidationFailed(s.problems)
            rejected = (
                s.write_rejects(rejects)
                if (skip_invalid and rejects)
                # fetchall: DuckDB 2 refuses register() while a result is unfinished
                else (
                    sum(
                        con.execute(f"SELECT count(*) FROM bad_{n}").fetchall()[0][0]
                        for n in s.present
                    )
                    if skip_invalid
                    else 0
                )
            )
            s.write_tables(pii_key)
            counts = {"orgs": len(s.tree), **s.counts()}
            con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("source", str(src.resolve())),
                    ("loaded_at", datetime.now(UTC).isoformat()),
                    ("tree_source", s.tree_source),
                    ("rejected", str(rejected)),
                    # the tables the record set held (an absent optional table: no value)
                    ("tables", ",".join(sorted(s.present))),
                    ("format", str(STORE_FORMAT)),
                ],
            )
            for name in s.present:
                con.execute(f"DROP TABLE IF EXISTS conv_{name}")
            con.execute("CHECKPOINT")
            ok = True
        finally:
            con.close()
            if not ok and tmp_store.exists():
                tmp_store.unlink()
            wal = tmp_store.with_name(tmp_store.name + ".wal")
            if not ok and wal.exists():
                wal.unlink()
    os.replace(tmp_store, store)
    return LoadResult(store, counts, rejected, s.warnings, s.tree_source)
