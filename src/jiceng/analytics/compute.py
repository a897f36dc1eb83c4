"""Compute every indicator for every node of a loaded record set's tree and each period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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


def leaf_query(reg: Registry, params: dict[str, Any], absent: set[str] = frozenset()) -> str:
    """One query: every numerator and denominator at the leaves, summed up the closure.

    Indicators that require a table in ``absent`` are left out (they have no value).
    """
    parts = []
    for d in reg.indicators:
        if absent & set(d.requires):
            continue
        for part in ("numerator", "denominator"):
            sql = bind(getattr(d, part), params).strip()
            parts.append(
                f"SELECT '{d.code}' AS indicator, '{part[0]}' AS part, q.org_code AS org_code, "
                f"CAST(q.value AS DECIMAL(38, 4)) AS value FROM ({sql}) q"
            )
    union = "\nUNION ALL\n".join(parts)
    return (
        "SELECT cl.ancestor AS org_code, u.indicator, u.part, sum(u.value) AS value\n"
        f"FROM ({union}) u JOIN closure cl ON cl.descendant = u.org_code\n"
        "GROUP BY cl.ancestor, u.indicator, u.part"
    )


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
    sums: dict[tuple[str, str, str], Any] = {(o, i, p): v for o, i, p, v in rows}
    out = []
    for org in nodes:
        for d in reg.indicators:
            num = sums.get((org, d.code, "n"), 0)
            den = sums.get((org, d.code, "d"))
            if den is None and d.denominator_source == "count" and not absent & set(d.requires):
                den = 0
            out.append(make_value(d.code, org, period.label, num, den))
    return out


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
        out: list[IndicatorValue] = []
        # Periods are year-to-date: 2025, 2025Q4 and 2025-12 are the same days (as are a
        # quarter and its last month), so each distinct span is computed once and relabelled.
        done: dict[tuple, list[IndicatorValue]] = {}
        for i, period in enumerate(periods):
            progress(f"计算 {period.label}", i, len(periods))
            span = (period.start, period.end, period.year)
            if span in done:
                out += [replace(v, period=period.label) for v in done[span]]
                continue
            done[span] = run_period(runner, reg, period, resolved, nodes, absent)
            out += done[span]
        progress("计算完成", len(periods), len(periods))
        return out
    finally:
        if own:
            runner.close()
