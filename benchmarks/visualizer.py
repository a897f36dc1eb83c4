"""The data visualizer at province scale: one indicator × 2,000 units × 12 months.

    python benchmarks/visualizer.py [--units 2000] [--indicators 5] [--repeat 5]
    JICENG_VAR_DIR=/tmp/viz-bench python benchmarks/visualizer.py   # built once, then reused

Builds a throwaway SQLite database (a temporary JICENG_VAR_DIR; or the DATABASE_URL given):
a province, 20 counties and ``--units`` township health centres under them, a record set
owned by the province with ``--indicators`` indicators for every centre and every month of
two years (the earlier year gives the changes against last year). Then it asks the request
layer (``insights.request.run``) for one indicator × every centre × the 12 year-to-date
months, as the visualizer page, the CSV export and the API do, and prints the wall time of
each (best and median of ``--repeat``), the peak Python memory of one run and the figures
per second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

CODES = ["htn_std_mgmt", "t2d_std_mgmt", "elderly_mgmt", "fd_sign_rate", "ehr_coverage",
         "htn_mgmt_rate", "t2d_mgmt_rate", "child_mgmt", "newborn_visit", "imm_coverage"]


def build(units: int, indicators: int, year: int) -> None:
    """The province, its counties and centres, and the record set's values (in bulk)."""
    from decimal import Decimal

    from django.utils import timezone
    from tqdm import tqdm

    from jiceng.indicators.models import IndicatorValue, RecordSet
    from jiceng.orgs.actions import do_create_node

    province = do_create_node(None, code="990000000000", name="基准省", kind="province",
                              parent=None)
    counties = [
        do_create_node(None, code=f"99{c + 1:02d}01000000", name=f"基准县{c + 1}",
                       kind="county", parent=province)
        for c in range(20)
    ]
    centres = []
    for i in tqdm(range(units), desc="units", unit="unit"):
        county = counties[i % 20]
        centres.append(do_create_node(
            None, code=f"{county.code[:6]}{i // 20 + 1:03d}000", name=f"基准镇{i + 1}卫生院",
            kind="township_hc", parent=county,
        ))
    rs = RecordSet.objects.create(name="基准记录集", node=province,
                                  status=RecordSet.Status.READY, loaded_at=timezone.now())
    periods = [f"{y}-{m:02d}" for y in (year - 1, year) for m in range(1, 13)]
    batch = []
    for n, node in enumerate(tqdm(centres, desc="values", unit="unit")):
        for p_i, period in enumerate(periods):
            for code in CODES[:indicators]:
                den = 100 + (n % 50)
                num = (n * 7 + p_i * 3) % den
                batch.append(IndicatorValue(
                    record_set=rs, org_code=node.code, node=node, period=period,
                    indicator=code, numerator=Decimal(num), denominator=Decimal(den),
                    value=num / den, definition_version="bench",
                ))
        if len(batch) >= 20000:
            IndicatorValue.objects.bulk_create(batch)
            batch = []
    IndicatorValue.objects.bulk_create(batch)


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``repeat`` calls (CPU: this process only, which is
    what a busy machine distorts least)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ and "JICENG_VAR_DIR" not in os.environ:
        os.environ["JICENG_VAR_DIR"] = tempfile.mkdtemp(prefix="jiceng-viz-bench-")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    from jiceng.accounts.models import User
    from jiceng.indicators.models import IndicatorValue
    from jiceng.insights.request import run, validate

    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
        ALLOWED_HOSTS=["*"],
    ).enable()
    call_command("migrate", verbosity=0)
    year = 2025
    user = User.objects.filter(username="bench_admin").first()
    if user is None:  # a database built by an earlier run (JICENG_VAR_DIR given) is reused
        t0 = time.perf_counter()
        build(args.units, args.indicators, year)
        print(f"built: {args.units} units, {IndicatorValue.objects.count():,} stored values "
              f"in {time.perf_counter() - t0:.1f} s")
        province = User._meta.get_field("node").related_model.objects.get(code="990000000000")
        user = User.objects.create_user("bench_admin", role="admin", node=province)
    req = validate({"measures": ["ind:htn_std_mgmt"], "root": "990000000000",
                    "level": "township", "period_type": "ytd", "year": year, "chart": "line"})
    cells = args.units * 12
    run(user, req)  # warm: the definitions registry is read once per process
    tracemalloc.start()
    result = run(user, req)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(result.lines) == args.units, len(result.lines)
    client = Client()
    client.force_login(user)
    query = req.query()
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores)")
    for name, fn in [
        ("request layer (run)", lambda: run(user, req)),
        ("API /api/v1/insights/data", lambda: client.get("/api/v1/insights/data?" + query)),
        ("CSV export", lambda: client.get("/insights/visualizer/export.csv?" + query)),
        ("page (table + chart)", lambda: client.get("/insights/visualizer/?" + query)),
    ]:
        times, cpu = timed(fn, args.repeat)
        best, med = min(times), statistics.median(times)
        print(f"{name:28s} wall best {best:6.3f} s  median {med:6.3f} s  "
              f"CPU best {min(cpu):6.3f} s  {cells / min(cpu):,.0f} figures/CPU s")
    print(f"peak Python memory of one run: {peak / 2**20:.1f} MiB "
          f"(1 indicator × {args.units} units × 12 months = {cells:,} figures, "
          "plus the prior periods for the changes)")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
