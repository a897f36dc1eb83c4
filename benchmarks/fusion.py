"""Measure fused periods against separate passes on a loaded store (issue 10, part 3).

    python benchmarks/fusion.py STORE [--year 2025]

The 17 periods of a year (the year, 4 quarters, 12 months) are year-to-date: they are 12
distinct spans, all from 1 January to a month's end. This script times the period views that
depend on the period's end (present_end, recorded, managed, managed_followups) and two
numerators over them, two ways, on the same store in the same run:

- separate: one pass per span, as compute.run_period does (12 passes);
- fused: one pass with a table of the 12 period ends joined into the views, grouped by end.

It checks that both give the same counts and prints wall and CPU seconds with the load average.
"""

from __future__ import annotations

import argparse
import calendar
import os
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

SEPARATE = {
    "present_end": """
        SELECT rid, org_code, birth_date, record_date
        FROM residents
        WHERE (death_date IS NULL OR death_date >= {end})
          AND (moved_out_date IS NULL OR moved_out_date >= {end})""",
    "recorded": """
        SELECT rid, org_code FROM present_end
        WHERE record_date IS NOT NULL AND record_date <= {end}""",
    "managed": """
        SELECT c.rid, c.condition, p.org_code, greatest(min(c.enrolled_date), {start}) AS since
        FROM conditions c JOIN present_end p ON p.rid = c.rid
        WHERE c.condition IN ('hypertension', 'diabetes', 'smi') AND c.enrolled_date <= {end}
          AND (c.ended_date IS NULL OR c.ended_date > {end})
        GROUP BY c.rid, c.condition, p.org_code""",
    "managed_followups": """
        SELECT m.rid, m.condition, m.org_code, f.visit_date
        FROM managed m JOIN followups f ON f.rid = m.rid AND f.condition = m.condition
        WHERE f.visit_date >= m.since AND f.visit_date <= {end}""",
}
SEPARATE_COUNTS = """
    SELECT 'recorded', org_code, count(*) FROM recorded GROUP BY org_code
    UNION ALL
    SELECT 'followed', org_code, count(DISTINCT rid) FROM managed_followups GROUP BY org_code"""

FUSED = {
    "present_end": """
        SELECT e.period_end, r.rid, r.org_code, r.birth_date, r.record_date
        FROM residents r JOIN ends e
          ON (r.death_date IS NULL OR r.death_date >= e.period_end)
         AND (r.moved_out_date IS NULL OR r.moved_out_date >= e.period_end)""",
    "recorded": """
        SELECT period_end, rid, org_code FROM present_end
        WHERE record_date IS NOT NULL AND record_date <= period_end""",
    "managed": """
        SELECT p.period_end, c.rid, c.condition, p.org_code,
               greatest(min(c.enrolled_date), {start}) AS since
        FROM conditions c JOIN present_end p ON p.rid = c.rid
        WHERE c.condition IN ('hypertension', 'diabetes', 'smi')
          AND c.enrolled_date <= p.period_end
          AND (c.ended_date IS NULL OR c.ended_date > p.period_end)
        GROUP BY p.period_end, c.rid, c.condition, p.org_code""",
    "managed_followups": """
        SELECT m.period_end, m.rid, m.condition, m.org_code, f.visit_date
        FROM managed m JOIN followups f ON f.rid = m.rid AND f.condition = m.condition
        WHERE f.visit_date >= m.since AND f.visit_date <= m.period_end""",
}
FUSED_COUNTS = """
    SELECT period_end, 'recorded', org_code, count(*) FROM recorded GROUP BY ALL
    UNION ALL
    SELECT period_end, 'followed', org_code, count(DISTINCT rid) FROM managed_followups
    GROUP BY ALL"""


def main() -> None:
    import duckdb

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("store")
    ap.add_argument("--year", type=int, default=2025)
    args = ap.parse_args()
    y = args.year
    start = f"DATE '{y}-01-01'"
    ends = [date(y, m, calendar.monthrange(y, m)[1]) for m in range(1, 13)]
    con = duckdb.connect(args.store, read_only=True)
    print(f"load average {os.getloadavg()}")

    t, c = time.perf_counter(), time.process_time()
    separate = set()
    for e in ends:
        end = f"DATE '{e.isoformat()}'"
        for name, sql in SEPARATE.items():
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS {sql.format(start=start, end=end)}"
            )
        separate |= {(e, *r) for r in con.execute(SEPARATE_COUNTS).fetchall()}
    print(
        f"separate: 12 passes {time.perf_counter() - t:.2f} s, {time.process_time() - c:.2f} s CPU"
    )

    t, c = time.perf_counter(), time.process_time()
    values = ", ".join(f"(DATE '{e.isoformat()}')" for e in ends)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE ends AS SELECT * FROM (VALUES {values}) v(period_end)"
    )
    for name, sql in FUSED.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql.format(start=start)}")
    fused = set(con.execute(FUSED_COUNTS).fetchall())
    print(f"fused: 1 pass {time.perf_counter() - t:.2f} s, {time.process_time() - c:.2f} s CPU")
    assert fused == separate, "fused and separate counts differ"
    print(f"same {len(fused):,} counts; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
