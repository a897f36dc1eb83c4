"""Alternate two definitions files on one store: wall and CPU seconds, values compared.

    python benchmarks/compare_definitions.py STORE OLD.yaml [NEW.yaml] [--rounds 3] [--periods 2025]

NEW defaults to the built-in definitions. Each round computes the periods with OLD, then with
NEW, in this process (CPU seconds: all threads); at the end it says whether every value
(node, period, indicator: numerator, denominator, value) is the same. On a shared machine
compare the CPU seconds side by side, not with figures of another run.
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
    from jiceng.analytics import compute_indicators, parse_period
    from jiceng.analytics.definitions import DEFAULT_FILE, load_definitions

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("store")
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default=str(DEFAULT_FILE))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--periods", default="2025")
    args = ap.parse_args()
    store = Path(args.store)
    periods = [parse_period(p) for p in args.periods.split(",")]
    regs = {"old": load_definitions(Path(args.old)), "new": load_definitions(Path(args.new))}
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in regs}
    values = {}
    print(f"load average {os.getloadavg()}")
    for r in range(args.rounds):
        for k, reg in regs.items():
            t, c = time.perf_counter(), time.process_time()
            out = compute_indicators(store, periods, reg=reg)
            runs[k].append((time.perf_counter() - t, time.process_time() - c))
            values[k] = sorted(
                (v.org_code, v.period, v.indicator, v.numerator, v.denominator, v.value)
                for v in out
            )
        figures = ", ".join(
            f"{k} {w:.2f} s, {c:.2f} s CPU" for k, (w, c) in ((k, runs[k][-1]) for k in runs)
        )
        print(f"round {r + 1}: {figures}; load average {os.getloadavg()[0]:.1f}", flush=True)
    same = values["old"] == values["new"]
    print(f"values: {len(values['new']):,}, {'all identical' if same else 'DIFFERENT'}")
    for k, rs in runs.items():
        print(f"{k}: min {min(c for _, c in rs):.2f} s CPU over {len(rs)} rounds")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
