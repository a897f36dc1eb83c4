"""Aggregate reporting at province scale: import, aggregate, reporting rate, rule analysis, form.

    python benchmarks/aggregates.py [--units 2000] [--months 24] [--keep DIR] [--import-only]
    DATABASE_URL=postgres://... python benchmarks/aggregates.py

Builds, in a fresh database (SQLite in a temporary folder, or the PostgreSQL of
``DATABASE_URL``, whose tables are dropped and migrated first), a province of ``--units``
township health centres (10 cities × 10 counties × units / 100) and a monthly data set of 60
values per form (40 summed elements, 5 elements with 2 options, 5 averages, 3 stocks, 2
percentages; 6 indicators, 8 rules). Then it times, printing wall and CPU seconds (the
machine may be shared), the process's peak resident memory so far, and rows/s:

1. the bulk import of every unit's values for ``--months`` months (the county import's path,
   ``aggregates.batch.save_rows``, one county's rows at a time; only ``save_rows`` is
   timed, not making the rows); then every form is marked completed;
2. the whole-province aggregate: every node, the last full year, every element, option and
   indicator (``aggregates.queries.province_aggregate``);
3. the reporting-rate summary of the province for that year (``queries.reporting``);
4. the validation rule analysis of the province for that year (``queries.violations``);
5. a form page (the entry form of one unit and month, through the Django test client).

On PostgreSQL served from this machine, the import's line also gives the CPU seconds of
the database backend (from ``/proc``). ``--import-only`` stops after the import.

Targets (issue 11): import ≤ 60 s, aggregate ≤ 2 s, reporting rate and analysis ≤ 5 s each,
form ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

CITIES, COUNTIES = 10, 10


def definition() -> str:
    """The benchmark's data set: 60 values per form."""
    lines = [
        "code: BENCH",
        'version: "1"',
        "name: 基准测试月报",
        "period_type: monthly",
        "institution_kinds: [township_hc]",
        "sections:",
        "  - name: 服务量",
        "    elements:",
    ]
    for i in range(40):
        lines.append(
            f"      - {{code: S{i:02d}, name: 服务{i}, value_type: non_negative_integer, "
            "aggregation: sum}"
        )
    for i in range(5):
        lines.append(
            f"      - {{code: O{i}, name: 分类{i}, value_type: non_negative_integer, "
            "aggregation: sum, options: [male, female]}"
        )
    for i in range(5):
        lines.append(
            f"      - {{code: A{i}, name: 平均{i}, value_type: number, aggregation: average}}"
        )
    for i in range(3):
        lines.append(
            f"      - {{code: L{i}, name: 期末{i}, value_type: non_negative_integer, "
            "aggregation: last}"
        )
    for i in range(2):
        lines.append(
            f"      - {{code: P{i}, name: 比例{i}, value_type: percentage, aggregation: average}}"
        )
    lines.append("indicators:")
    for i in range(6):
        lines.append(
            f'  - {{code: R{i}, name: 比率{i}, numerator: "#{{S{i:02d}}}", '
            f'denominator: "#{{S{i + 10:02d}}}", factor: 100, target: ">= 50"}}'
        )
    lines.append("validation_rules:")
    for i in range(8):
        lines.append(
            f'  - {{code: V{i}, name: 规则{i}, left: "#{{S{i:02d}}}", operator: "<=", '
            f'right: "#{{S{i + 20:02d}}} * 3", importance: medium}}'
        )
    return "\n".join(lines) + "\n"


def value_row(rnd: random.Random, unit: int, month: int) -> dict[str, str]:
    out = {}
    for i in range(40):
        out[f"S{i:02d}"] = str(rnd.randint(0, 200))
    for i in range(5):
        out[f"O{i}.male"] = str(rnd.randint(0, 50))
        out[f"O{i}.female"] = str(rnd.randint(0, 50))
    for i in range(5):
        out[f"A{i}"] = f"{rnd.randint(0, 1000) / 10}"
    for i in range(3):
        out[f"L{i}"] = str(20 + unit % 7 + month // 12)
    for i in range(2):
        out[f"P{i}"] = f"{rnd.randint(500, 1000) / 10}"
    return out


class Timer:
    def __init__(self, name: str, rows: int | None = None):
        self.name, self.rows = name, rows

    def __enter__(self):
        self.start = time.perf_counter()
        self.cpu = time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        cpu = time.process_time() - self.cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
        rate = f"{self.rows / self.seconds:>12,.0f}" if self.rows else f"{'':>12}"
        print(f"{self.name:<34}{self.seconds:>9.2f}{cpu:>9.2f}{peak:>10.0f}{rate}", flush=True)


def _node(**fields):
    """A division, its path set from its parent's (as ``orgs.actions`` does)."""
    from jiceng.orgs.models import Node

    node = Node.objects.create(**fields)
    node.path = node.compute_path()
    node.depth = node.path.count("/") - 2
    node.save(update_fields=["path", "depth"])
    return node


def build_tree(units: int):
    from jiceng.orgs.models import Node

    province = _node(code="990000000000", name="基准省", kind="province")
    counties = []
    for c in range(CITIES):
        city = _node(
            code=f"99{c + 1:02d}00000000", name=f"基准市{c + 1}", kind="city", parent=province
        )
        for k in range(COUNTIES):
            counties.append(
                _node(
                    code=f"99{c + 1:02d}{k + 1:02d}000000",
                    name=f"基准县{c + 1}-{k + 1}",
                    kind="county",
                    parent=city,
                )
            )
    per_county = units // len(counties)
    made = []
    for county in counties:
        for u in range(per_county):
            node = Node(
                code=f"{county.code[:6]}{u + 1:03d}000",
                name=f"{county.name}第{u + 1}卫生院",
                kind="township_hc",
                parent=county,
            )
            node.path = ""
            made.append(node)
    Node.objects.bulk_create(made, batch_size=1000)  # paths need the ids: set below
    fixed = []
    by_pk = {n.pk: n for n in Node.objects.exclude(kind="township_hc")}
    for node in Node.objects.filter(kind="township_hc"):
        parent = by_pk[node.parent_id]
        node.path = f"{parent.path}{node.pk:010d}/"
        node.depth = node.path.count("/") - 2
        fixed.append(node)
    Node.objects.bulk_update(fixed, ["path", "depth"], batch_size=1000)
    return province, counties


def _server_cpu(connection) -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs here."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (pid,) = cur.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--keep", default=None, help="SQLite folder to keep (default: temporary)")
    parser.add_argument("--import-only", action="store_true", help="stop after the import")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        folder = args.keep or tempfile.mkdtemp(prefix="jiceng-bench-agg-")
        os.environ["JICENG_VAR_DIR"] = folder
    os.environ.setdefault("JICENG_PAGE_CACHE_SECONDS", "0")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain}, ALLOWED_HOSTS=["*"]
    ).enable()

    from datetime import UTC, datetime

    from jiceng.accounts.models import User
    from jiceng.aggregates import queries
    from jiceng.aggregates.actions import do_load_dataset
    from jiceng.aggregates.batch import Row, save_rows
    from jiceng.aggregates.models import DataValue, Report
    from jiceng.datasets import Period, parse_dataset
    from jiceng.orgs.models import Node

    load = os.getloadavg()
    print(
        f"{connection.vendor}; {args.units} units × {args.months} months × 60 values; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores"
    )
    province, counties = build_tree(args.units)
    text = definition()
    version = do_load_dataset(None, parse_dataset(text, "bench.yaml"), text, "bench.yaml", province)
    first = 2024 * 12  # January 2024
    months = [Period(first + m, 1) for m in range(args.months)]
    units = list(Node.objects.filter(kind="township_hc").order_by("path"))
    by_county: dict[int, list] = {}
    for u in units:
        by_county.setdefault(u.parent_id, []).append(u)
    rnd = random.Random(11)
    total = args.units * args.months * 60
    print(f"{'step':<34}{'seconds':>9}{'cpu s':>9}{'peak MB':>10}{'rows/s':>12}", flush=True)
    wall = cpu = 0.0
    server = _server_cpu(connection)
    from tqdm import tqdm

    for county in tqdm(counties, desc="import", unit="county", leave=False):
        # one county's file at a time; only save_rows is timed
        rows, n = [], 0
        for u in by_county.get(county.pk, []):
            for m, p in enumerate(months):
                for key, value in value_row(rnd, u.pk, m).items():
                    element, _sep, option = key.partition(".")
                    n += 1
                    rows.append(Row(n, u.code, p.label, element, option, value))
        start, cpu_start = time.perf_counter(), time.process_time()
        save_rows(None, "BENCH", rows)
        wall += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'import (save_rows, by county)':<34}{wall:>9.2f}{cpu:>9.2f}{peak:>10.0f}"
        f"{total / wall:>12,.0f}",
        flush=True,
    )
    if server is not None:
        print(f"{'  database backend CPU s':<34}{'':>9}{_server_cpu(connection) - server:>9.2f}")
    print(f"load average after the import: {'  '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.import_only:
        return
    at = datetime(2026, 1, 5, tzinfo=UTC)
    Report.objects.filter(dataset=version).update(completed_at=at)
    assert DataValue.objects.count() == total, DataValue.objects.count()
    year = Period(2025 * 12, 12) if args.months >= 24 else Period(2024 * 12, 12)
    with Timer(f"aggregate, every node, {year.label}", args.units * 12 * 60):
        table = queries.province_aggregate(version, province, year)
    assert len(table) == Node.objects.count()
    with Timer(f"reporting rate, province, {year.label}", args.units * 12):
        queries.reporting(version, province, year)
    with Timer(f"rule analysis, province, {year.label}", args.units * 12):
        queries.violations(version, province, year)
    client = Client()
    admin = User.objects.create_user("bench_admin", password="x", role="admin", node=province)
    client.force_login(admin)
    url = f"/data/form/{version.pk}/{units[0].code}/{months[-1].label}/"
    client.get(url)
    with Timer("form page"):
        assert client.get(url).status_code == 200
    url = f"/data/values/{province.code}/?dataset={version.pk}&period={year.label}"
    client.get(url)
    with Timer(f"values page, province, {year.label}"):
        assert client.get(url).status_code == 200


if __name__ == "__main__":
    main()
