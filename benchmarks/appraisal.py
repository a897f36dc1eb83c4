"""Time a whole appraisal: 2,000 units × 40 items, scores, ranks, grades and funds (issue 12).

    python benchmarks/appraisal.py [--units 2000] [--items 40] [--seed 1] [--through-files]

Builds a scheme of 40 items (linear both ways, ratio, deduct, map on the verdict, manual;
some exempt, one veto) with a score_population fund, random values (a few missing) and
populations, then times :func:`jiceng.appraisal_core.compute` — exact arithmetic, peer
groups of 20 counties, largest-remainder amounts. ``--through-files`` times the stateless
command instead (reading INPUTS.csv and POP.csv, writing RESULT.json). Prints seconds, peak
memory, item values per second and the load average. Target: ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def scheme_dict(n_items: int) -> dict:
    items = []
    for i in range(n_items):
        kind = i % 6
        item = {"code": f"I{i:02d}", "name": f"项目{i}", "points": 2.5 if i % 4 else 5}
        if kind == 0:
            item |= {
                "source": "indicator:hr_usage",
                "rule": {"linear": {"floor": 60, "target": 90}},
            }
        elif kind == 1:
            item |= {"source": "data:LECTURES", "rule": {"linear": {"floor": 20, "target": 5}}}
        elif kind == 2:
            item |= {"source": "indicator:ehr_coverage", "rule": {"ratio": {"target": 85}},
                     "missing": "exempt"}  # fmt: skip
        elif kind == 3:
            item |= {"source": "ledger_overdue", "rule": {"deduct": {"per": 0.5}}}
        elif kind == 4:
            pts = item["points"]
            item |= {"source": "verdict",
                     "rule": {"map": {"recommended": pts, "basic": pts / 2, "none": 0}}}  # fmt: skip
        else:
            item |= {"source": "manual", "rule": "manual", "veto": i == 5}
        items.append(item)
    return {
        "code": "BENCH", "version": "1", "title": "基准测试方案", "year": 2025,
        "unit_kinds": ["township_hc"], "peer_group": "parent",
        "grades": [{"label": "优秀", "min": 90}, {"label": "良好", "min": 80},
                   {"label": "合格", "min": 60}, {"label": "不合格"}],
        "fund": {"pool": 123456789.01, "rule": "score_population"},
        "modules": [{"code": f"M{m}", "name": f"模块{m}", "items": items[m::4]} for m in range(4)],
    }  # fmt: skip


def value_text(rng: random.Random, item) -> str:
    if rng.random() < 0.03:
        return ""
    kind = item.rule.kind
    if kind == "map":
        return rng.choice(["recommended", "basic", "none"])
    if kind == "manual":
        return str(rng.randint(0, int(item.points * 10)) / 10)
    if kind == "deduct":
        return str(rng.randint(0, 6))
    return f"{rng.uniform(0, 110):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--through-files", action="store_true")
    parser.add_argument("--memory", action="store_true", help="trace peak memory (slower)")
    args = parser.parse_args()

    from jiceng.appraisal_core import compute, parse_scheme, parse_value
    from jiceng.appraisal_core.commands import main as command

    rng = random.Random(args.seed)
    text = json.dumps(scheme_dict(args.items), ensure_ascii=False)
    scheme = parse_scheme(text, "bench.json")
    units = [f"U{u:05d}" for u in range(args.units)]
    raw = {u: {i.code: value_text(rng, i) for i in scheme.items} for u in units}
    population = {u: rng.randint(3000, 80000) for u in units}
    peers = {u: f"C{rng.randint(1, 20):02d}" for u in units}
    n_values = args.units * len(scheme.items)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if args.through_files:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "s.json").write_text(text, encoding="utf-8")
            with open(tmp / "in.csv", "w", encoding="utf-8") as f:
                f.write("unit_code,item_code,value\n")
                for u, row in raw.items():
                    f.writelines(f"{u},{c},{v}\n" for c, v in row.items())
            with open(tmp / "pop.csv", "w", encoding="utf-8") as f:
                f.write("unit_code,population\n")
                f.writelines(f"{u},{p}\n" for u, p in population.items())
            argv = ["appraisal", "compute", str(tmp / "s.json"), "--inputs", str(tmp / "in.csv"),
                    "--population", str(tmp / "pop.csv"), "--out", str(tmp / "r.json")]  # fmt: skip
            tracemalloc.start() if args.memory else None
            t0, c0 = time.perf_counter(), time.process_time()
            code = command(argv, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            peak = tracemalloc.get_traced_memory()[1] if args.memory else 0
            assert code == 0, code
            what = "stateless command (CSV in, JSON out)"
    else:
        values = {
            u: {i.code: parse_value(i, row[i.code]) for i in scheme.items} for u, row in raw.items()
        }
        tracemalloc.start() if args.memory else None
        t0, c0 = time.perf_counter(), time.process_time()
        result = compute(scheme, values, population, peers)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = tracemalloc.get_traced_memory()[1] if args.memory else 0
        total = sum(u.amount for u in result.units if u.amount is not None)
        assert total == scheme.fund.pool, (total, scheme.fund.pool)
        what = "compute (scores, ranks in 20 peer groups, grades, largest-remainder funds)"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{what}: {args.units} units × {len(scheme.items)} items = {n_values} values")
    print(f"wall {wall:.2f} s, CPU {cpu:.2f} s, {n_values / wall:,.0f} values/s")
    traced = f"peak traced memory {peak / 2**20:.1f} MiB, " if args.memory else ""
    print(f"{traced}max RSS {rss:.0f} MiB (the whole process)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("target ≤ 5 s:", "met" if wall <= 5 else "NOT met")


if __name__ == "__main__":
    main()
