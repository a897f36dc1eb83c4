"""Benchmark the indicator engine: load and compute on synthetic record sets.

    python benchmarks/run.py [--sizes 100000,1000000,10000000] [--engines duckdb,spark,postgres]

For each size (residents) a synthetic record set is generated as Parquet over a synthetic
tree (about one village per 1,500 residents), then each step runs in its own process:
loading into DuckDB, and computing all indicators for one year on every level with each
engine. A small measuring process starts each step and reads
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it ends, so the peak memory is the step's
own. PostgreSQL runs only for the 1,000,000 set (tables copied in with COPY).
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


def work(step: str, size: int, data: Path) -> dict:
    """Run one step in this process; return its figures."""
    from jiceng.analytics import (
        compute_indicators,
        generate_recordset,
        load_recordset,
        parse_period,
    )
    from jiceng.analytics.synthetic import synthetic_tree

    src, store = data / f"rs-{size}", data / f"rs-{size}.duckdb"
    out: dict = {}
    t0 = time.perf_counter()
    if step == "generate":
        out["rows"] = generate_recordset(
            src, synthetic_tree(size), [YEAR], seed=size, residents=size, id_numbers=True
        )  # made-up ID numbers, so that the load measures hashing them
    elif step == "load":
        res = load_recordset(src, store, pii_key=b"bench")
        out["rows"] = res.counts
    elif step.startswith("compute-"):
        engine = step.split("-", 1)[1]
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
            from jiceng.analytics.engines import PostgresRunner, copy_to_postgres

            t = time.perf_counter()
            copy_to_postgres(store, PG_DSN, f"bench_{size}")
            out["copy_s"] = round(time.perf_counter() - t, 2)
            t0 = time.perf_counter()
            runner = PostgresRunner(PG_DSN, f"bench_{size}")
        values = compute_indicators(
            store, [parse_period(str(YEAR))], engine="duckdb", runner=runner
        )
        if runner is not None:
            runner.close()
        out["values"] = len(values)
        root = [v for v in values if v.org_code == "990000000000"]
        out["province"] = {v.indicator: v.value for v in root}
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


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


def table(results: dict) -> str:
    lines = [
        f"{'residents':>11} {'rows':>11} {'step':<16} {'seconds':>8} {'rows/s':>11} {'peak MiB':>9}"
    ]
    for size, steps in results["sizes"].items():
        total = steps.get("generate", {}).get("total_rows", 0)
        for step, r in steps.items():
            if "error" in r:
                lines.append(f"{size:>11} {total:>11} {step:<16} {'failed':>8}")
                continue
            secs = r.get("seconds", 0)
            rate = f"{total / secs:,.0f}" if secs and step != "generate" else ""
            lines.append(
                f"{size:>11} {total:>11} {step:<16} {secs:>8.2f} {rate:>11} {r.get('peak_mib', 0):>9.0f}"
            )
    return "\n".join(lines)


LABELS = {
    "generate": "generate",
    "load": "load (DuckDB)",
    "compute-duckdb": "compute, DuckDB",
    "compute-spark": "compute, Spark",
    "compute-postgres": "compute, PostgreSQL",
}


def markdown(results: dict) -> str:
    """The results as the Markdown table of docs/benchmarks.md."""
    lines = [
        "| residents | rows in all tables | step | seconds | rows/s | peak memory |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for size, steps in results["sizes"].items():
        total = steps.get("generate", {}).get("total_rows", 0)
        for step, r in steps.items():
            if "error" in r:
                continue
            extra = [
                f"+{r[k]:.1f} s {w}"
                for k, w in (("session_s", "session"), ("export_s", "export"), ("copy_s", "COPY"))
                if k in r
            ]
            label = LABELS.get(step, step) + (f" ({', '.join(extra)})" if extra else "")
            secs = r.get("seconds", 0)
            rate = f"{total / secs:,.0f}" if secs and step != "generate" else ""
            peak = f"{r.get('peak_mib', 0):,.0f} MiB" + (
                " (driver)" if step == "compute-spark" else ""
            )
            lines.append(f"| {int(size):,} | {total:,} | {label} | {secs:.2f} | {rate} | {peak} |")
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
    ap.add_argument("--spark-max", type=int, default=1_000_000, help="largest size run on Spark")
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
    for size in [int(s) for s in args.sizes.split(",")]:
        old_steps = results["sizes"].get(str(size), {})
        steps: dict = dict(old_steps)  # steps not run again keep their earlier figures
        results["sizes"][str(size)] = steps
        plan = ["generate", "load"]
        for e in engines:
            if e == "postgres" and size != 1_000_000:
                continue
            if e == "spark" and size > args.spark_max:
                continue
            plan.append(f"compute-{e}")
        for step in plan:
            if (
                step == "generate"
                and args.reuse
                and (data / f"rs-{size}").exists()
                and "generate" in old_steps
            ):
                steps[step] = old_steps[step]
                continue
            print(f"[{time.strftime('%H:%M:%S')}] {size:,} {step} ...", file=sys.stderr, flush=True)
            r = measure_in_fresh_process(step, size, data)
            if step == "generate" and "rows" in r:
                r["total_rows"] = sum(r["rows"].values())
            steps[step] = r
            print(
                f"    {json.dumps({k: v for k, v in r.items() if k not in ('province', 'rows')})[:400]}",
                file=sys.stderr,
                flush=True,
            )
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
