"""Benchmark satisfaction surveys: import a phone-survey file of many responses, then compute
every rate at every node and quarter of a year.

    python benchmarks/surveys.py [--responses 1000000] [--institutions 2000]
    DATABASE_URL=postgresql://... python benchmarks/surveys.py     # the same on PostgreSQL

A synthetic province (10 cities, each with counties of 20 institutions, ``--institutions`` in
all) is written into a fresh database (SQLite in a temporary directory unless DATABASE_URL
is set; migrations are not timed), the sample outpatient questionnaire is loaded, and a CSV
of ``--responses`` rows spread over the four quarters of 2025 is generated in memory (timed
apart). Then, each timed on its own:

- import: ``do_import_responses`` on the whole file for the year (read, check every row,
  hash telephone numbers, insert, update the tallies, audit) — one transaction;
- every rate: ``queries.all_rates`` for the province, every node and every quarter;
- the appraisal's call: ``satisfaction_rates`` of every institution for the year (one
  query), and ``satisfaction_rate`` one unit at a time for a sample of 100.

Prints wall and CPU seconds, rows/s and the process's peak memory after each step, and
the load average.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_cpu = [0.0]


def _start() -> float:
    _cpu[0] = time.process_time()
    return time.perf_counter()


def _report(step: str, seconds: float, rows: int | None = None) -> None:
    """Wall seconds, this process's CPU seconds (on a busy machine the wall time includes
    waiting for a core; with PostgreSQL the server's work is not in the CPU figure)."""
    cpu = time.process_time() - _cpu[0]
    rate = f"{rows / seconds:,.0f} rows/s" if rows else ""
    print(
        f"{step:<36} {seconds:8.2f} s wall {cpu:8.2f} s cpu {rate:>16}  "
        f"peak {_peak_mb():,.0f} MB  load {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def _setup(tmp: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    os.environ["JICENG_VAR_DIR"] = str(tmp)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _tree(institutions: int):
    """Province → 10 cities → counties → 20 institutions each; written in bulk."""
    from jiceng.orgs.models import Node

    def level(parents, per, kind, prefix):
        made = []
        for p in parents:
            for _i in range(per):
                made.append(
                    Node(
                        code=f"{p.code[:2]}{prefix}{len(made):07d}",
                        name=f"{kind}{len(made)}",
                        kind=kind,
                        parent=p,
                    )
                )
        made = Node.objects.bulk_create(made)
        for n in made:
            n.path = n.compute_path()
            n.depth = n.path.count("/") - 2
        Node.objects.bulk_update(made, ["path", "depth"], batch_size=1000)
        return made

    province = Node.objects.create(code="330000000000", name="基准省", kind="province")
    province.path = province.compute_path()
    province.depth = 0
    province.save(update_fields=["path", "depth"])
    cities = level([province], 10, "city", "C")
    counties_per_city = max(1, institutions // 20 // 10)
    counties = level(cities, counties_per_city, "county", "X")
    insts = level(counties, 20, "township_hc", "I")
    return province, insts


def _file(codes: list[str], n: int, seed: int = 2025) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["机构编码", "调查日期", "电话号码", "姓名", "Q1", "Q2", "Q3", "Q4", "Q5", "Q9"])
    days = [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    answers = "1111111122223345"
    comments = ["", "", "", "", "", "", "", "", "", "希望周末也能开门诊。"]
    for i in range(n):
        w.writerow(
            [
                rng.choice(codes),
                rng.choice(days),
                f"13{i:09d}",
                "",
                *(rng.choice(answers) for _q in range(5)),
                rng.choice(comments),
            ]
        )
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiceng-surveys-bench-") as tmp:
        _setup(Path(tmp))
        from django.db import connection

        from jiceng.surveys import satisfaction_rate, satisfaction_rates
        from jiceng.surveys.actions import do_import_responses, do_load_questionnaire
        from jiceng.surveys.queries import all_rates
        from jiceng.surveys.questionnaire import (
            load_questionnaire_file,
            sample_questionnaire_paths,
        )

        print(
            f"database: {connection.vendor}; responses: {args.responses:,}; "
            f"cores: {os.cpu_count()}; load before: {os.getloadavg()}"
        )
        province, insts = _tree(args.institutions)
        path = next(p for p in sample_questionnaire_paths() if p.stem == "outpatient")
        q = do_load_questionnaire(
            None,
            load_questionnaire_file(path),
            path.read_text(encoding="utf-8"),
            path.name,
            owner=province,
        )
        t = _start()
        data = _file([n.code for n in insts], args.responses)
        _report(f"generate CSV ({len(data) / 1e6:.0f} MB)", time.perf_counter() - t, args.responses)

        t = _start()
        batch = do_import_responses(None, q, "2025", data, "bench.csv")
        _report("import (one transaction)", time.perf_counter() - t, batch.responses)
        del data

        t = _start()
        rates = all_rates(province, "outpatient", 2025)
        seconds = time.perf_counter() - t
        nodes = len({k[0] for k in rates})
        _report(f"every rate: {nodes} nodes × 4 q", seconds)
        total = sum(rates[(province.path, f"2025Q{i}")][1] for i in range(1, 5))
        assert total == args.responses, (total, args.responses)

        t = _start()
        many = satisfaction_rates(insts, "outpatient", "2025")
        _report(f"satisfaction_rates({len(insts)} units)", time.perf_counter() - t)
        sample = insts[:: max(1, len(insts) // 100)]
        t = _start()
        for n in sample:
            assert satisfaction_rate(n, "outpatient", "2025") == many[n.pk]
        _report(f"satisfaction_rate × {len(sample)} (one each)", time.perf_counter() - t)
        print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
