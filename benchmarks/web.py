"""Benchmark the web tier: 100 simulated users on the city-scale demo, side by side.

    python benchmarks/web.py [--users 100] [--seconds 60] [--servers gunicorn,runserver]
                             [--databases sqlite,postgres] [--without-cache] [--fresh]

Needs the ``bench`` extra (``pip install -e '.[bench,postgres]'``: locust and psycopg).

For each database a city-scale demo (``jiceng demo --scale city``: 6 counties, about 450
institutions) is generated once under ``benchmarks/out/web/<database>/`` and kept as a
pristine copy (``--fresh`` makes it again); every configuration starts from that copy, so
the writes of one run do not change the next. PostgreSQL comes from ``scripts/pg``
(``JICENG_PG_PORT``, default 54331) or ``JICENG_BENCH_PG`` (a server URL); the demo lives
in the database ``jiceng_webbench_demo`` and each run in a copy, ``jiceng_webbench``.

Each configuration (server × database) starts ``jiceng serve`` as a deployment does — the
production server gunicorn, or ``--dev`` Django's development server — without the task
worker, and runs locust headless with ``--users`` users (see ``web_users.py``: institution
staff, county, city and province reviewers, administrators and analysts, 1–3 s think time,
13 pages, draft grades and ledger deadlines written). The measured window opens when every
user has signed in and lasts ``--seconds``. Printed: one table with requests/s, p50/p95/p99
and errors per configuration, with the machine and the load average before and after each;
written: ``benchmarks/out/web/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "web"
PY = sys.executable
DEMO_DB = "jiceng_webbench_demo"
RUN_DB = "jiceng_webbench"
PASSWORD = "Demo@2025"  # every demo login's password (docs/demo.md)


# --- the manifest: accounts and objects the simulated users work on ----------------------------


def write_manifest(path: Path) -> None:
    """Runs inside Django (``web.py --manifest PATH``): pick the objects, create the accounts.

    Institution staff get one account per institution whose self-assessment of the open
    cycle is still a draft (or returned), so that two simulated users never save the same
    form; their password hash is the demo clerk's.
    """
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    django.setup()
    from jiceng.accounts.models import Role, User
    from jiceng.assessments.models import Cycle, Stage, Submission
    from jiceng.orgs.models import Kind, Node
    from jiceng.rectification.models import LedgerEntry, Status
    from jiceng.standards.actions import spec_of

    clerk = User.objects.get(username="clerk")
    reviewer = User.objects.get(username="county_reviewer")
    cycle = Cycle.objects.filter(closed=False).order_by("-year", "pk").first()
    drafts = (
        Submission.objects.filter(cycle__year=cycle.year, stage__in=[Stage.DRAFT, Stage.RETURNED])
        .select_related("institution", "catalog")
        .order_by("institution__path")
    )
    staff = []
    for i, sub in enumerate(drafts[:60]):
        spec = spec_of(sub.catalog)
        user, _ = User.objects.update_or_create(
            username=f"bench_staff_{i:02d}",
            defaults={
                "role": Role.INSTITUTION_STAFF,
                "node": sub.institution,
                "institution": sub.institution,
                "password": clerk.password,
                "is_active": True,
            },
        )
        staff.append(
            {
                "username": user.username,
                "submission": sub.pk,
                "institution": sub.institution.code,
                "items": sorted(spec.item_map)[:40],
                "grades": [g.grade for g in spec.scale if g.grade != "NA"],
            }
        )
    county = reviewer.node
    entries = (
        LedgerEntry.objects.filter(institution__path__startswith=county.path)
        .exclude(status=Status.CLOSED)
        .exclude(institution=reviewer.institution)
        .order_by("pk")
        .values_list("pk", "deadline")
    )
    review = Submission.objects.filter(
        cycle__year=cycle.year, institution__path__startswith=county.path
    ).exclude(stage__in=[Stage.DRAFT, Stage.RETURNED])
    if reviewer.institution_id:
        review = review.exclude(institution=reviewer.institution)
    regions = Node.objects.filter(kind__in=[Kind.CITY, Kind.COUNTY]).order_by("path")
    regions_of = {}
    for name in ("admin", "analyst", "province_admin", "city_reviewer", "province_reviewer"):
        node = User.objects.get(username=name).node
        regions_of[name] = [r.code for r in regions if r.path.startswith(node.path)]
    manifest = {
        "password": PASSWORD,
        "cycle": cycle.pk,
        "accounts": {
            "county_reviewer": ["county_reviewer", "county_reviewer2"],
            "admin": ["admin", "analyst", "province_admin"],
            "higher_reviewer": ["city_reviewer", "province_reviewer"],
        },
        "staff": staff,
        "entries": [{"pk": pk, "deadline": d.isoformat()} for pk, d in entries[:40]],
        "review_submissions": list(review.order_by("pk").values_list("pk", flat=True)[:40]),
        "regions_of": regions_of,
    }
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))


# --- databases ---------------------------------------------------------------------------------


def jiceng(env: dict, *args: str, log: Path | None = None) -> None:
    out = open(log, "a") if log else None
    try:
        subprocess.run([PY, "-m", "jiceng", *args], env=env, check=True, stdout=out, stderr=out)
    finally:
        if out:
            out.close()


def base_env(var: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JICENG_BENCH")}
    env.update(
        JICENG_VAR_DIR=str(var),
        PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""),
        JICENG_LOG_LEVEL="ERROR",
        JICENG_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def postgres_server() -> str:
    """The PostgreSQL server URL (no database): JICENG_BENCH_PG, else scripts/pg's."""
    if url := os.environ.get("JICENG_BENCH_PG"):
        return url.rsplit("/", 1)[0]
    env = {**os.environ, "JICENG_PG_PORT": os.environ.get("JICENG_PG_PORT", "54331")}
    url = subprocess.run(
        [str(ROOT / "scripts" / "pg"), "start"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return url.rsplit("/", 1)[0]


def pg_admin(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def pg_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


class Database:
    """One database with the demo: generated once, restored before every configuration."""

    def __init__(self, name: str, fresh: bool):
        self.name = name
        self.var = OUT / name
        self.manifest = self.var / "manifest.json"
        self.server = postgres_server() if name == "postgres" else None
        self.fresh = fresh

    def url(self, db: str) -> str | None:
        return f"{self.server}/{db}" if self.server else None

    def env(self) -> dict:
        return base_env(self.var, self.url(RUN_DB))

    def ready(self) -> bool:
        if not self.manifest.exists():
            return False
        if self.server:
            return bool(pg_exists(self.server, DEMO_DB))
        return (self.var / "pristine.sqlite3").exists()

    def prepare(self) -> None:
        if self.ready() and not self.fresh:
            return
        log = self.var / "demo.log"
        print(f"==> {self.name}: generating the city-scale demo (several minutes; log: {log})")
        shutil.rmtree(self.var, ignore_errors=True)
        self.var.mkdir(parents=True)
        env = base_env(self.var, self.url(DEMO_DB))
        if self.server:
            pg_admin(self.server, f"DROP DATABASE IF EXISTS {DEMO_DB} WITH (FORCE)")
            pg_admin(self.server, f"CREATE DATABASE {DEMO_DB}")
        t = time.perf_counter()
        jiceng(env, "migrate", "-v0", log=log)
        jiceng(env, "demo", "--scale", "city", log=log)
        subprocess.run([PY, __file__, "--manifest", str(self.manifest)], env=env, check=True)
        if not self.server:
            import sqlite3

            with sqlite3.connect(self.var / "jiceng.sqlite3") as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy(self.var / "jiceng.sqlite3", self.var / "pristine.sqlite3")
        print(f"    done in {time.perf_counter() - t:.0f} s")

    def restore(self) -> None:
        """Put the pristine demo back: what one configuration wrote is gone for the next, and
        so is what it cached (each configuration starts cold)."""
        shutil.rmtree(self.var / "cache", ignore_errors=True)
        if self.server:
            pg_admin(
                self.server,
                f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)",
                f"CREATE DATABASE {RUN_DB} TEMPLATE {DEMO_DB}",
            )
            return
        for suffix in ("-wal", "-shm"):
            (self.var / f"jiceng.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.copy(self.var / "pristine.sqlite3", self.var / "jiceng.sqlite3")


# --- one configuration ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summarize(samples: list, seconds: float) -> dict:
    times = [s[2] for s in samples]
    errors = [s for s in samples if s[4]]
    by_name: dict[str, list] = {}
    for s in samples:
        by_name.setdefault(s[1], []).append(s)
    return {
        "requests": len(samples),
        "rps": len(samples) / seconds,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "mean": statistics.fmean(times) if times else float("nan"),
        "errors": len(errors),
        "error_examples": sorted({f"{s[1]}: {s[4]}" for s in errors})[:10],
        "writes": sum(1 for s in samples if s[1].startswith("WRITE")),
        "pages": {
            name: {
                "n": len(rows),
                "p50": percentile([r[2] for r in rows], 50),
                "p95": percentile([r[2] for r in rows], 95),
                "errors": sum(1 for r in rows if r[4]),
            }
            for name, rows in sorted(by_name.items())
        },
    }


def run_config(server: str, db: Database, args, page_cache: bool = True) -> dict:
    db.restore()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = db.env()
    if not page_cache:
        env["JICENG_PAGE_CACHE_SECONDS"] = "0"
    if args.workers:
        env["JICENG_WORKERS"] = str(args.workers)
    if args.threads:
        env["JICENG_THREADS"] = str(args.threads)
    argv = [PY, "-m", "jiceng", "serve", f"127.0.0.1:{port}", "--no-worker"]
    if server == "runserver":
        argv.append("--dev")
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    name = f"{server}-{db.name}" + ("" if page_cache else "-nocache")
    with open(logs / f"{name}.log", "w") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, process)
        load_before = os.getloadavg()
        result_file = OUT / f"samples-{name}.json"
        result_file.unlink(missing_ok=True)
        locust_env = {
            **env,
            "JICENG_BENCH_MANIFEST": str(db.manifest),
            "JICENG_BENCH_USERS": str(args.users),
            "JICENG_BENCH_SECONDS": str(args.seconds),
            "JICENG_BENCH_OUT": str(result_file),
        }
        print(f"==> {name}: {args.users} users for {args.seconds} s (load {load_before[0]:.2f})")
        subprocess.run(
            [
                PY, "-m", "locust", "-f", str(HERE / "web_users.py"), "--headless",
                "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
                "--run-time", f"{int(args.seconds + 600)}s", "--host", url,
                "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0",
            ],
            env=locust_env,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / f"locust-{name}.log", "w"),
        )  # fmt: skip
        load_after = os.getloadavg()
        if not result_file.exists():
            raise RuntimeError(f"locust wrote no results (see {logs / f'locust-{name}.log'})")
        data = json.loads(result_file.read_text())
        figures = summarize(data["samples"], data["seconds"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    return {
        "server": server if page_cache else f"{server}, page cache off",
        "database": db.name,
        "workers": env.get("JICENG_WORKERS", "4") if server == "gunicorn" else "1 (threads)",
        "threads": env.get("JICENG_THREADS", "4") if server == "gunicorn" else "",
        "users": args.users,
        "seconds": args.seconds,
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(data["wall_start"])),
        "load_before": load_before,
        "load_after": load_after,
        **figures,
    }


# --- machine and report -------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(line for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem_gib = int(mem.split()[1]) / 1024 / 1024
    except (OSError, StopIteration):
        mem_gib = 0
    import django
    import locust

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "locust": locust.__version__,
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


def report(results: list[dict], info: dict) -> str:
    lines = [
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory_gib']} GiB; "
        f"Python {info['python']}, Django {info['django']}, locust {info['locust']}",
        f"At start: {info['uptime']}",
        "",
        "| server | database | workers × threads | users | req/s | p50 ms | p95 ms | p99 ms "
        "| errors / requests | writes | load avg before → after | started |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['server']} | {r['database']} | failed: {r['error']} |")
            continue
        wt = f"{r['workers']} × {r['threads']}" if r["threads"] else r["workers"]
        lines.append(
            f"| {r['server']} | {r['database']} | {wt} | {r['users']} | {r['rps']:.1f} "
            f"| {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['errors']} / {r['requests']} "
            f"| {r['writes']} | {r['load_before'][0]:.2f} → {r['load_after'][0]:.2f} "
            f"| {r['started']} |"
        )
    lines.append("")
    for r in results:
        if "error" in r:
            continue
        lines.append(f"{r['server']} / {r['database']}, per page (n, p50, p95 ms, errors):")
        lines.append(
            "  "
            + "; ".join(
                f"{name} {p['n']}, {p['p50']:.0f}, {p['p95']:.0f}"
                + (f", {p['errors']}!" if p["errors"] else "")
                for name, p in r["pages"].items()
            )
        )
        for example in r["error_examples"]:
            lines.append(f"  error: {example}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--servers", default="gunicorn,runserver")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads a worker (default: serve's)")
    parser.add_argument("--fresh", action="store_true", help="generate the demos again")
    parser.add_argument(
        "--without-cache",
        action="store_true",
        help="also run gunicorn with the page cache off (JICENG_PAGE_CACHE_SECONDS=0)",
    )
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.manifest:
        sys.path.insert(0, str(ROOT / "src"))
        write_manifest(Path(args.manifest))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    databases = [Database(name, args.fresh) for name in args.databases.split(",")]
    for db in databases:
        db.prepare()
    info = machine()
    results = []
    configs = [(server, db, True) for server in args.servers.split(",") for db in databases]
    if args.without_cache:
        configs += [("gunicorn", db, False) for db in databases]
    for server, db, page_cache in configs:
        try:
            results.append(run_config(server, db, args, page_cache))
        except Exception as exc:  # noqa: BLE001 - report it in the table, go on
            results.append({"server": server, "database": db.name, "error": str(exc)})
    text = report(results, info)
    print()
    print(text)
    (OUT / "results.json").write_text(
        json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=1)
    )


if __name__ == "__main__":
    main()
