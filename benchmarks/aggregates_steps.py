"""Re-time the aggregate steps on a province that ``benchmarks/aggregates.py`` built.

    python benchmarks/aggregates.py --units 500 --keep /tmp/agg     # build once (SQLite)
    python benchmarks/aggregates_steps.py --keep /tmp/agg [--profile]
    DATABASE_URL=postgres://... python benchmarks/aggregates_steps.py   # after a PG build

Times, on the data already there, the whole-province aggregate, the rule analysis and the
province's values page, each in CPU seconds of this process plus, on PostgreSQL, of the
database server's backend (read from ``/proc``, so the server must run on this machine), and
wall seconds. Run it with ``PYTHONPATH`` pointing at an older ``src`` to get the "before" of
a change in the same sitting. ``--profile`` prints the top of ``cProfile`` for each step.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
if "jiceng" not in sys.modules and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def server_cpu(connection) -> float:
    """CPU seconds the PostgreSQL backend of ``connection`` has used (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="the SQLite folder benchmarks/aggregates.py kept")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["JICENG_VAR_DIR"] = args.keep
    os.environ.setdefault("JICENG_PAGE_CACHE_SECONDS", "0")
    os.environ.setdefault("JICENG_DB_CONN_MAX_AGE", "600")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings

    import jiceng

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain}, ALLOWED_HOSTS=["*"]
    ).enable()
    from jiceng.accounts.models import User
    from jiceng.aggregates import queries
    from jiceng.aggregates.models import DataSetVersion
    from jiceng.datasets import Period
    from jiceng.orgs.models import Node

    version = DataSetVersion.objects.get(code="BENCH")
    province = Node.objects.get(code="990000000000")
    units = Node.objects.filter(kind="township_hc").count()
    year = Period(2025 * 12, 12)
    admin = User.objects.filter(username="bench_admin").first() or User.objects.create_user(
        "bench_admin", password="x", role="admin", node=province
    )
    client = Client()
    client.force_login(admin)
    url = f"/data/values/{province.code}/?dataset={version.pk}&period={year.label}"
    client.get(url)  # warm: the session, templates, the parsed definition
    load = os.getloadavg()
    print(
        f"{connection.vendor}; {units} units; code {Path(jiceng.__file__).parent}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'step':<36}{'wall s':>8}{'cpu s':>8}{'db cpu s':>10}{'total cpu':>10}")
    steps = [
        (
            "aggregate, every node, 2025",
            lambda: queries.province_aggregate(version, province, year),
        ),
        ("rule analysis, province, 2025", lambda: queries.violations(version, province, year)),
        ("values page, province, 2025", lambda: client.get(url)),
    ]
    for name, run in steps:
        for _ in range(args.repeat):
            profile = cProfile.Profile() if args.profile else None
            db, cpu, wall = server_cpu(connection), time.process_time(), time.perf_counter()
            if profile:
                profile.enable()
            result = run()
            if profile:
                profile.disable()
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            db = server_cpu(connection) - db
            if hasattr(result, "status_code"):
                assert result.status_code == 200, result.status_code
            print(f"{name:<36}{wall:>8.2f}{cpu:>8.2f}{db:>10.2f}{cpu + db:>10.2f}", flush=True)
            if profile:
                pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(25)


if __name__ == "__main__":
    main()
