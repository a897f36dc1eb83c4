"""Benchmark the indicator engine: load and compute on synthetic record sets.

    python benchmarks/run.py [--sizes 100000,1000000,10000000] [--engines duckdb,spark,postgres]
                             [--periods 1,17]

For each size (residents) a synthetic record set is generated as Parquet over a synthetic
tree (about one village per 1,500 residents), then each step runs in its own process:
loading into DuckDB; a plain scan of every column the indicators read (the floor any
engine pays); and computing all indicators on every level with each engine, for 1 period
(the year) and for 17 (the year, its 4 quarters and 12 months). A small measuring process
starts each step and reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it ends, so the
peak memory is the step's own; the load average is written before and after each step.

Every engine's values must equal DuckDB's for the same periods — every node, indicator and
period, numerator, denominator and value — and the year of the 17-period run must equal
the 1-period run: the script stops with the differences otherwise. PostgreSQL and Spark run
up to --postgres-max and --spark-max residents (tables copied into PostgreSQL with COPY,
exported to Parquet for Spark, both timed apart).
Results: a side-by-side table on stdout and benchmarks/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

PG_DSN = os.environ.get("JICENG_BENCH_PG", "postgresql://jiceng@127.0.0.1:54329/jiceng_bench")
YEAR = 2025


PERIODS = {
    1: [str(YEAR)],
    17: [str(YEAR)]
    + [f"{YEAR}Q{q}" for q in range(1, 5)]
    + [f"{YEAR}-{m:02d}" for m in range(1, 13)],
}


def values_file(data: Path, size: int, step: str) -> Path:
    return data / f"values-{size}-{step.replace('@', '-')}.pickle"


def scan(store: Path) -> dict:
    """A plain scan of every store column the definitions name: each is read and hashed."""
    import duckdb
    import sqlglot
    from sqlglot import exp

    from jiceng.analytics import registry
    from jiceng.analytics.engines import STORE_TABLES

    reg = registry()
    texts = list(reg.views.values()) + [
        getattr(d, part) for d in reg.indicators for part in ("numerator", "denominator")
    ]
    named = set()
    for text in texts:
        tree = sqlglot.parse_one(text.replace(":", "__p_"), read="duckdb")
        named |= {c.name for c in tree.find_all(exp.Column)}
    con = duckdb.connect(str(store), read_only=True)
    rows = 0
    try:
        for name in STORE_TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] in named]
            if not cols:
                continue
            sums = ", ".join(f"sum(hash({c}))" for c in cols)
            rows += con.execute(f"SELECT count(*), {sums} FROM {name}").fetchone()[0]
    finally:
        con.close()
    return {"rows_scanned": rows}


def work(step: str, size: int, data: Path) -> dict:
    """Run one step in this process; return its figures."""
    import pickle

    from jiceng.analytics import (
        compute_indicators,
        generate_recordset,
        load_recordset,
        parse_period,
    )
    from jiceng.analytics.synthetic import synthetic_tree

    src, store = data / f"rs-{size}", data / f"rs-{size}.duckdb"
    out: dict = {"load_average_before": os.getloadavg()}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if step == "generate":
        out["rows"] = generate_recordset(
            src, synthetic_tree(size), [YEAR], seed=size, residents=size, id_numbers=True
        )  # made-up ID numbers, so that the load measures hashing them
    elif step == "load":
        res = load_recordset(src, store, pii_key=b"bench")
        out["rows"] = res.counts
    elif step == "scan":
        out.update(scan(store))
    elif step == "copy-postgres":
        from jiceng.analytics.engines import copy_to_postgres

        copy_to_postgres(store, PG_DSN, f"bench_{size}")
    elif step.startswith("compute-"):
        engine, _, n = step.split("-", 1)[1].partition("@")
        periods = [parse_period(p) for p in PERIODS[int(n or 1)]]
        runner = None
        if engine == "spark":
            from jiceng.analytics.engines import SparkRunner, export_parquet, spark_session

            t = time.perf_counter()
            export_parquet(store)
            out["export_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            spark_session()
            out["session_s"] = round(time.perf_counter() - t, 2)
            t0 = time.perf_counter()
            runner = SparkRunner(store)
        elif engine == "postgres":
            from jiceng.analytics.engines import PostgresRunner

            runner = PostgresRunner(PG_DSN, f"bench_{size}")
        values = compute_indicators(store, periods, engine="duckdb", runner=runner)
        out["seconds"] = round(time.perf_counter() - t0, 2)
        if runner is not None:
            runner.close()
        out["values"] = len(values)
        out["periods"] = len(periods)
        root = [v for v in values if v.org_code == "990000000000" and v.period == str(YEAR)]
        out["province"] = {v.indicator: v.value for v in root}
        values_file(data, size, step).write_bytes(pickle.dumps(values))
    out.setdefault("seconds", round(time.perf_counter() - t0, 2))
    # CPU seconds of this process, every thread (Spark's JVM and PostgreSQL's server excluded):
    # on a shared machine they move less with the load than the wall seconds.
    out["cpu_s"] = round(time.process_time() - cpu0, 2)
    out["load_average_after"] = os.getloadavg()
    return out


def current_store(store: Path) -> bool:
    """Whether ``store`` exists and was loaded in this version's store format."""
    from jiceng.analytics.engines import check_store_format

    try:
        check_store_format(store)
    except Exception:
        return False
    return True


def differences(data: Path, size: int, step: str, reference: str, year_only: bool = False) -> list:
    """The values of ``step`` that differ from those of ``reference`` (all, or the year's)."""
    import pickle

    def keyed(s: str) -> dict:
        vals = pickle.loads(values_file(data, size, s).read_bytes())
        return {
            (v.org_code, v.period, v.indicator): (v.numerator, v.denominator, v.value)
            for v in vals
            if not year_only or v.period == str(YEAR)
        }

    got, want = keyed(step), keyed(reference)
    keys = sorted(set(got) | set(want))
    return [(k, got.get(k), want.get(k)) for k in keys if got.get(k) != want.get(k)]


def measure(step: str, size: int, data: Path) -> dict:
    """Start the step in a child process; add its wall time and peak memory."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--work", step, "--size", str(size), "--data", str(data)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "wall_s": round(wall, 2)}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = round(wall, 2)
    out["peak_mib"] = round(peak_kib / 1024, 1)
    return out


def measure_in_fresh_process(step: str, size: int, data: Path) -> dict:
    """Each measurement in its own measuring process, so RUSAGE_CHILDREN is this step only."""
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", step, "--size", str(size), "--data", str(data)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_average": os.getloadavg(),
    }


def _load(r: dict) -> str:
    before, after = r.get("load_average_before"), r.get("load_average_after")
    return f"{before[0]:.1f}→{after[0]:.1f}" if before and after else ""


def table(results: dict) -> str:
    lines = [
        f"{'residents':>11} {'rows':>11} {'step':<20} {'seconds':>8} {'rows/s':>11} "
        f"{'CPU s':>8} {'peak MiB':>9} {'load avg':>10} {'equal':>6}"
    ]
    for size, steps in results["sizes"].items():
        total = (
            steps.get("generate", {}).get("total_rows")
            or sum(steps.get("load", {}).get("rows", {}).values())
            or steps.get("scan", {}).get("rows_scanned", 0)
        )
        for step, r in steps.items():
            if "error" in r:
                lines.append(f"{size:>11} {total:>11} {step:<20} {'failed':>8}")
                continue
            if r.get("reused"):
                lines.append(f"{size:>11} {total:>11} {step:<20} {'reused':>8}")
                continue
            secs = r.get("seconds", 0)
            rate = f"{total / secs:,.0f}" if secs and step != "generate" else ""
            equal = {True: "yes", False: "NO"}.get(r.get("equal_to_duckdb"), "")
            lines.append(
                f"{size:>11} {total:>11} {step:<20} {secs:>8.2f} {rate:>11} "
                f"{r.get('cpu_s', 0):>8.2f} {r.get('peak_mib', 0):>9.0f} {_load(r):>10} {equal:>6}"
            )
    return "\n".join(lines)


LABELS = {
    "generate": "generate",
    "load": "load (DuckDB)",
    "scan": "plain scan (floor)",
    "copy-postgres": "COPY into PostgreSQL",
    "compute-duckdb": "compute, DuckDB",
    "compute-spark": "compute, Spark",
    "compute-postgres": "compute, PostgreSQL",
}


def label(step: str) -> str:
    base, _, n = step.partition("@")
    text = LABELS.get(base, base)
    return f"{text}, {n} period{'s' if n != '1' else ''}" if n else text


def markdown(results: dict) -> str:
    """The results as the Markdown table of docs/benchmarks.md."""
    lines = [
        "| residents | rows in all tables | step | seconds | CPU seconds | rows/s | peak memory "
        "| load average |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size, steps in results["sizes"].items():
        total = (
            steps.get("generate", {}).get("total_rows")
            or sum(steps.get("load", {}).get("rows", {}).values())
            or steps.get("scan", {}).get("rows_scanned", 0)
        )
        for step, r in steps.items():
            if "error" in r or r.get("reused"):
                continue
            extra = [
                f"+{r[k]:.1f} s {w}"
                for k, w in (("session_s", "session"), ("export_s", "export"))
                if k in r
            ]
            if "equal_to_duckdb" in r:
                same = (
                    "its year equal to the year alone"
                    if step.startswith("compute-duckdb")
                    else "values equal to DuckDB's"
                )
                extra.append(same if r["equal_to_duckdb"] else "DIFFERENT")
            name = label(step) + (f" ({', '.join(extra)})" if extra else "")
            secs = r.get("seconds", 0)
            rate = f"{total / secs:,.0f}" if secs and step != "generate" else ""
            peak = f"{r.get('peak_mib', 0):,.0f} MiB" + (
                " (driver)" if step == "compute-spark" else ""
            )
            lines.append(
                f"| {int(size):,} | {total:,} | {name} | {secs:.2f} | {r.get('cpu_s', '')} | {rate} "
                f"| {peak} | {_load(r)} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--engines", default="duckdb,spark,postgres")
    ap.add_argument("--data", default=str(HERE / "out" / "data"))
    ap.add_argument("--out", default=str(HERE / "out" / "results.json"))
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep record sets generated by an earlier run (and their generate figures)",
    )
    ap.add_argument(
        "--reuse-store",
        action="store_true",
        help="keep a store loaded by an earlier run when it has this version's format "
        "(its load figures are then the earlier run's, or none)",
    )
    ap.add_argument("--periods", default="1,17", help="period counts: 1 (the year), 17 (+Q, +M)")
    ap.add_argument("--spark-max", type=int, default=100_000, help="largest size run on Spark")
    ap.add_argument(
        "--postgres-max", type=int, default=1_000_000, help="largest size run on PostgreSQL"
    )
    ap.add_argument("--report", action="store_true", help="print results.json as a Markdown table")
    ap.add_argument("--work")
    ap.add_argument("--measure")
    ap.add_argument("--size", type=int)
    args = ap.parse_args()
    data = Path(args.data)
    if args.report:
        print(markdown(json.loads(Path(args.out).read_text())))
        return
    if args.work:
        print(json.dumps(work(args.work, args.size, data)))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.size, data)))
        return
    data.mkdir(parents=True, exist_ok=True)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    out_path = Path(args.out)
    results = {
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sizes": {},
    }
    if out_path.exists():
        try:
            old = json.loads(out_path.read_text())
            results["sizes"].update(old.get("sizes", {}))
        except (OSError, ValueError):
            pass
    counts = [int(n) for n in args.periods.split(",")]
    unequal = []
    for size in [int(s) for s in args.sizes.split(",")]:
        old_steps = results["sizes"].get(str(size), {})
        steps: dict = dict(old_steps)  # steps not run again keep their earlier figures
        results["sizes"][str(size)] = steps
        plan = ["generate", "load", "scan"]
        others = [e for e in engines if e != "duckdb"]
        if "postgres" in others and size <= args.postgres_max:
            plan.append("copy-postgres")
        for n in counts:
            plan.append(f"compute-duckdb@{n}")  # the reference of every other engine
            for e in others:
                if e == "postgres" and size > args.postgres_max:
                    continue
                if e == "spark" and size > args.spark_max:
                    continue
                plan.append(f"compute-{e}@{n}")
        for step in plan:
            if step == "generate" and args.reuse and (data / f"rs-{size}").exists():
                steps[step] = old_steps.get(step) or {"reused": True}
                continue
            if step == "load" and args.reuse_store and current_store(data / f"rs-{size}.duckdb"):
                steps[step] = old_steps.get(step) or {"reused": True}
                continue
            print(f"[{time.strftime('%H:%M:%S')}] {size:,} {step} ...", file=sys.stderr, flush=True)
            r = measure_in_fresh_process(step, size, data)
            if step == "generate" and "rows" in r:
                r["total_rows"] = sum(r["rows"].values())
            engine, _, n = step.partition("@")
            if step.startswith("compute-") and "error" not in r:
                ref = f"compute-duckdb@{n}"
                checks = [(ref, False)] if engine != "compute-duckdb" else []
                if (
                    engine == "compute-duckdb"
                    and n != "1"
                    and values_file(data, size, "compute-duckdb@1").exists()
                ):
                    checks.append(("compute-duckdb@1", True))  # the year, alone or among 17
                for other, year_only in checks:
                    diff = differences(data, size, step, other, year_only)
                    r["equal_to_duckdb"] = r.get("equal_to_duckdb", True) and not diff
                    if diff:
                        unequal.append((size, step, other, len(diff), diff[:5]))
            steps[step] = r
            print(
                f"    {json.dumps({k: v for k, v in r.items() if k not in ('province', 'rows')})[:400]}",
                file=sys.stderr,
                flush=True,
            )
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(table(results))
    print(f"load average at the end: {os.getloadavg()}")
    if unequal:
        for size, step, other, n, first in unequal:
            print(f"{size:,} {step}: {n} values differ from {other}, e.g. {first}", file=sys.stderr)
        raise SystemExit("values differ between engines (see above)")


if __name__ == "__main__":
    main()
