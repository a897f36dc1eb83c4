"""Profile one period of the indicator engine on a loaded store, view by view.

    python benchmarks/profile_views.py STORE [--period 2025] [--top 12] [--definitions FILE]

Materialises each per-period view in order with its time and row count, then times every
numerator and denominator on its own (as in the leaf query) and the whole leaf query.
Prints wall and CPU seconds (all threads) and the load average beside the figures: on a
shared machine CPU seconds move less with the load than wall seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def main() -> None:
    from jiceng.analytics import parse_period
    from jiceng.analytics.compute import leaf_query
    from jiceng.analytics.definitions import bind, load_definitions, registry
    from jiceng.analytics.engines import DuckDBRunner, absent_tables

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("store")
    ap.add_argument("--period", default="2025")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--definitions", help="another definitions file (e.g. an older version)")
    args = ap.parse_args()
    store = Path(args.store)
    reg = load_definitions(Path(args.definitions)) if args.definitions else registry()
    period = parse_period(args.period)
    params = {
        "start": period.start,
        "end": period.end,
        "year": period.year,
        **reg.resolve_settings(None),
    }
    runner = DuckDBRunner(store)
    print(f"load average {os.getloadavg()}")
    total = cpu_total = 0.0
    for name, sql in reg.views.items():
        t, c = time.perf_counter(), time.process_time()
        runner.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {bind(sql, params)}")
        dt, dc = time.perf_counter() - t, time.process_time() - c
        total += dt
        cpu_total += dc
        n = runner.fetch(f"SELECT count(*) FROM {name}")[0][0]
        print(f"view {name:<20} {dt:6.2f} s {dc:6.2f} s CPU {n:>12,} rows")
    print(f"views total {total:.2f} s, {cpu_total:.2f} s CPU")
    parts = []
    for d in reg.indicators:
        for part in ("numerator", "denominator"):
            sql = bind(getattr(d, part), params)
            t = time.perf_counter()
            runner.fetch(f"SELECT count(*), sum(value) FROM ({sql})")
            parts.append((time.perf_counter() - t, f"{d.code}.{part}"))
    parts.sort(reverse=True)
    print(f"parts total {sum(p[0] for p in parts):.2f} s; slowest:")
    for dt, name in parts[: args.top]:
        print(f"  {name:<32} {dt:6.2f} s")
    t, c = time.perf_counter(), time.process_time()
    runner.fetch(leaf_query(reg, params, absent_tables(store)))
    print(f"leaf query {time.perf_counter() - t:.2f} s, {time.process_time() - c:.2f} s CPU")
    print(f"load average {os.getloadavg()}")
    runner.close()


if __name__ == "__main__":
    main()
