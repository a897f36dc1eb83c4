"""Compute every indicator for every node of a loaded record set's tree and each period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .definitions import Registry, bind, registry
from .engines import (
    DuckDBRunner,
    Runner,
    SparkRunner,
    absent_tables,
    check_store_format,
    transpile,
)
from .fusion import COLUMN, Unsupported, bind_fused, ends_table, fuse
from .periods import Period


@dataclass(frozen=True)
class IndicatorValue:
    org_code: str
    period: str
    indicator: str
    numerator: int | float
    denominator: int | float | None
    value: float | None


def as_number(x: Any) -> int | float | None:
    """Counts as int, other amounts as float rounded to 4 decimals (as stored)."""
    if x is None:
        return None
    d = Decimal(str(x)).quantize(Decimal("0.0001"))
    return int(d) if d == d.to_integral_value() else float(d)


def make_value(indicator: str, org: str, period: str, num: Any, den: Any) -> IndicatorValue:
    n = as_number(num) or 0
    d = as_number(den)
    value = (n / d) if d else None
    return IndicatorValue(org, period, indicator, n, d, value)


def _parts(reg: Registry, absent: set[str]) -> list[tuple[str, str]]:
    """(outputs, SQL) of every distinct numerator and denominator computed: ``outputs`` names
    the indicator parts that SQL gives ("hr_coverage.d,general_exam.d": the same population
    is the denominator of several indicators and is computed once)."""
    outputs: dict[str, list[str]] = {}
    for d in reg.indicators:
        if absent & set(d.requires):
            continue
        for part in ("numerator", "denominator"):
            sql = " ".join(getattr(d, part).split())
            outputs.setdefault(sql, []).append(f"{d.code}.{part[0]}")
    return [(",".join(names), sql) for sql, names in outputs.items()]


def _summed_up(union: list[str], period: str = "") -> str:
    """The union of leaf rows summed up the closure (grouped by ``period`` too if given)."""
    keys = f"u.{period}, " if period else ""
    body = "\nUNION ALL\n".join(union)
    return (
        f"SELECT {keys}cl.ancestor AS org_code, u.outputs, sum(u.value) AS value\n"
        f"FROM ({body}) u JOIN closure cl ON cl.descendant = u.org_code\n"
        f"GROUP BY {keys}cl.ancestor, u.outputs"
    )


def leaf_query(reg: Registry, params: dict[str, Any], absent: set[str] = frozenset()) -> str:
    """One query: every numerator and denominator at the leaves, summed up the closure.

    Indicators that require a table in ``absent`` are left out (they have no value).
    """
    return _summed_up(
        [
            f"SELECT '{outputs}' AS outputs, q.org_code AS org_code, "
            f"CAST(q.value AS DECIMAL(38, 4)) AS value FROM ({bind(sql, params).strip()}) q"
            for outputs, sql in _parts(reg, absent)
        ]
    )


def fused_queries(
    reg: Registry, params: dict[str, Any], ends: list[date], absent: set[str] = frozenset()
) -> tuple[list[tuple[str, str]], str]:
    """The views and the leaf query of several periods ending on ``ends`` (sharing ``params``'
    start and year) in one pass: every row carries its period's end, ``period_end``.

    Raises ``fusion.Unsupported`` for a definition the rewrite cannot carry.
    """
    table = ends_table(ends)
    periodic: set[str] = set()
    views = []
    for name, sql in reg.views.items():
        body, carried = fuse(bind_fused(sql, params), periodic, table)
        if carried:  # else the same rows for every end
            periodic.add(name)
        views.append((name, body))
    union = []
    for outputs, sql in _parts(reg, absent):
        body, carried = fuse(bind_fused(sql, params), periodic, table)
        source = f"({body}) q" if carried else f"({body}) q CROSS JOIN {table} AS _pp"
        union.append(
            f"SELECT '{outputs}' AS outputs, q.org_code AS org_code, "
            f"CAST(q.value AS DECIMAL(38, 4)) AS value, "
            f"{'q' if carried else '_pp'}.{COLUMN} AS {COLUMN} FROM {source}"
        )
    return views, _summed_up(union, COLUMN)


def _values(
    reg: Registry,
    rows: list[tuple],
    label: str,
    nodes: list[str],
    absent: set[str],
) -> list[IndicatorValue]:
    """The values of one period from its (org, outputs, value) rows."""
    sums: dict[tuple[str, str, str], Any] = {}
    for org, outputs, value in rows:
        for output in outputs.split(","):
            code, part = output.split(".")
            sums[(org, code, part)] = value
    out = []
    for org in nodes:
        for d in reg.indicators:
            num = sums.get((org, d.code, "n"), 0)
            den = sums.get((org, d.code, "d"))
            if den is None and d.denominator_source == "count" and not absent & set(d.requires):
                den = 0
            out.append(make_value(d.code, org, label, num, den))
    return out


def run_period(
    runner: Runner,
    reg: Registry,
    period: Period,
    settings: dict[str, Any],
    nodes: list[str],
    absent: set[str] = frozenset(),
) -> list[IndicatorValue]:
    params = {"start": period.start, "end": period.end, "year": period.year, **settings}
    dialect = runner.dialect
    for name, sql in reg.views.items():
        body = transpile(bind(sql, params), dialect)
        for template in dialect.materialize:
            runner.execute(template.format(name=name, sql=body))
    rows = runner.fetch(transpile(leaf_query(reg, params, absent), dialect))
    return _values(reg, rows, period.label, nodes, absent)


def run_periods(
    runner: Runner,
    reg: Registry,
    periods: list[Period],
    settings: dict[str, Any],
    nodes: list[str],
    absent: set[str] = frozenset(),
) -> list[list[IndicatorValue]]:
    """The values of each of ``periods`` (distinct ends, one start and year) in one pass.

    Raises ``fusion.Unsupported`` before running anything when a definition cannot be fused.
    """
    first = periods[0]
    params = {"start": first.start, "year": first.year, **settings}
    views, leaf = fused_queries(reg, params, [p.end for p in periods], absent)
    dialect = runner.dialect
    statements = [
        template.format(name=name, sql=transpile(body, dialect))
        for name, body in views
        for template in dialect.materialize
    ]
    leaf = transpile(leaf, dialect)
    for sql in statements:
        runner.execute(sql)
    by_end: dict[date, list[tuple]] = {p.end: [] for p in periods}
    for end, *row in runner.fetch(leaf):
        by_end[end].append(tuple(row))
    return [_values(reg, by_end[p.end], p.label, nodes, absent) for p in periods]


def open_runner(store: Path, engine: str) -> Runner:
    if engine == "duckdb":
        return DuckDBRunner(store)
    if engine == "spark":
        return SparkRunner(store)
    raise ValueError(f"未知的计算引擎「{engine}」（可用：duckdb、spark）")


def compute_indicators(
    store: Path,
    periods: list[Period],
    *,
    engine: str = "duckdb",
    settings: dict | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    runner: Runner | None = None,
    reg: Registry | None = None,
) -> list[IndicatorValue]:
    """IndicatorValue for every node of the tree, indicator and period."""
    reg = reg or registry()
    resolved = reg.resolve_settings(settings)
    progress = progress or (lambda stage, done, total: None)
    if store is not None:
        check_store_format(Path(store))
    own = runner is None
    runner = runner or open_runner(Path(store), engine)
    try:
        nodes = [r[0] for r in runner.fetch("SELECT org_code FROM orgs ORDER BY org_code")]
        absent = absent_tables(Path(store)) if store is not None else set()
        # Periods are year-to-date: 2025, 2025Q4 and 2025-12 are the same days (as are a
        # quarter and its last month), so each distinct span is computed once and relabelled.
        spans: dict[tuple, Period] = {}
        for period in periods:
            spans.setdefault((period.start, period.end, period.year), period)
        done: dict[tuple, list[IndicatorValue]] = {}
        if runner.dialect.fuse_periods:
            # The spans of one year (one start) in one pass, unless the definitions cannot be
            # rewritten for it (then one pass each, below).
            years: dict[tuple, list[tuple]] = {}
            for span in spans:
                years.setdefault((span[0], span[2]), []).append(span)
            for batch in (b for b in years.values() if len(b) > 1):
                labels = "、".join(spans[s].label for s in batch)
                progress(f"计算 {labels}", len(done), len(spans))
                try:
                    values = run_periods(
                        runner, reg, [spans[s] for s in batch], resolved, nodes, absent
                    )
                except Unsupported:
                    continue
                done.update(zip(batch, values, strict=True))
        for span, period in spans.items():
            if span not in done:
                progress(f"计算 {period.label}", len(done), len(spans))
                done[span] = run_period(runner, reg, period, resolved, nodes, absent)
        out: list[IndicatorValue] = []
        for period in periods:
            values = done[(period.start, period.end, period.year)]
            if values and values[0].period != period.label:
                values = [replace(v, period=period.label) for v in values]
            out += values
        progress("计算完成", len(periods), len(periods))
        return out
    finally:
        if own:
            runner.close()
