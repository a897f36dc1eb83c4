"""The platform's appraisal of a province: 2,000 institutions × 40 items, from the database.

    python benchmarks/appraisal_web.py [--units 2000] [--keep DIR]

Builds a throwaway SQLite database (in a temporary JICENG_VAR_DIR unless ``--keep``): a
province with 50 counties and 2,000 township centres (residents on each), a scheme of 40 items
(30 manual, the ledger's closed rate and overdue count, bad-practice points, 7 satisfaction
items that have no data yet and are exempt) with a score_population fund, 60,000 manual
values, 4,000 ledger entries and 1,000 bad-practice records. Then it times what the pages do:
``results.compute`` (gathering every source for every unit, then the core's scoring, ranks,
grades and funds), freezing and thawing the results (publication), and the province
administrator's ranking page and funds page. Prints wall time, CPU time, values/s and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

ITEMS = 40


def scheme_text() -> str:
    lines = [
        "code: BENCH",
        'version: "1"',
        "title: 基准考核",
        "year: 2025",
        "unit_kinds: [township_hc]",
        "peer_group: parent",
        "grades: [{label: 优秀, min: 90}, {label: 良好, min: 80}, {label: 合格, min: 60}, {label: 不合格}]",
        "fund: {pool: 50000000, rule: score_population}",
        "modules:",
        "  - code: M",
        "    name: 模块",
        "    items:",
    ]
    for i in range(30):
        lines.append(
            f"      - {{code: 'M{i}', name: 现场{i}, points: 2, source: manual, rule: manual}}"
        )
    lines += [
        "      - {code: L1, name: 销号率, points: 10, source: ledger_closed_rate, rule: {linear: {floor: 50, target: 95}}}",
        "      - {code: L2, name: 逾期, points: 10, source: ledger_overdue, rule: {deduct: {per: 2}}}",
        "      - {code: B1, name: 记分, points: 10, source: bad_practice, rule: {deduct: {per: 1}}}",
    ]
    kinds = ("outpatient", "inpatient", "contracted", "public_health")  # survey kinds
    for i in range(ITEMS - 33):
        lines.append(
            f"      - {{code: 'S{i}', name: 满意{i}, points: 3, "
            f"source: 'satisfaction:{kinds[i % len(kinds)]}', "
            "rule: {linear: {floor: 80, target: 95}}, missing: exempt}"
        )
    return "\n".join(lines) + "\n"


def build(units: int, rng: random.Random):
    from jiceng.appraisal import actions, engine
    from jiceng.appraisal.models import BadPractice, ManualValue
    from jiceng.orgs.actions import do_create_node
    from jiceng.orgs.models import NodeYear
    from jiceng.rectification.models import LedgerEntry, Status

    province = do_create_node(
        None, code="990000000000", name="基准省", kind="province", parent=None
    )
    counties = [
        do_create_node(
            None, code=f"99{c + 1:04d}000000", name=f"县{c}", kind="county", parent=province
        )
        for c in range(50)
    ]
    insts = []
    for n in range(units):
        county = counties[n % 50]
        insts.append(
            do_create_node(
                None,
                code=f"98{n % 50:04d}{n:06d}",
                name=f"卫生院{n}",
                kind="township_hc",
                parent=county,
            )
        )
    NodeYear.objects.bulk_create(
        NodeYear(node=i, year=2025, permanent_residents=rng.randint(8000, 60000)) for i in insts
    )
    scheme, text, name = engine.read_scheme(scheme_text().encode(), "bench.yaml")
    version = actions.do_load_scheme(None, scheme, text, name, owner=province)
    appraisal = actions.do_open_appraisal(None, version, province, 2025)
    ManualValue.objects.bulk_create(
        ManualValue(
            appraisal=appraisal,
            unit=i,
            item=f"M{k}",
            value=rng.choice([1, 1.5, 2]),
            reason="现场核查",
            evidence="记录",
        )  # fmt: skip
        for i in insts
        for k in range(30)
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            institution=i,
            description="问题",
            opened_on=dt.date(2025, 3, 1),
            deadline=dt.date(2025, rng.randint(4, 12), 1),
            status=rng.choice([Status.OPEN, Status.CLOSED, Status.CLOSED]),
        )  # fmt: skip
        for i in insts
        for _ in range(2)
    )
    BadPractice.objects.bulk_create(
        BadPractice(
            institution=rng.choice(insts),
            date=dt.date(2025, 5, 1),
            rule="规定",
            points=rng.choice([1, 2, 3]),
            evidence="证据",
        )  # fmt: skip
        for _ in range(units // 2)
    )
    return appraisal


def timed(label: str, fn, values: int | None = None):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rate = f"{values / wall:,.0f} values/s" if values else ""
    print(f"{label:<44} wall {wall:6.2f} s   CPU {cpu:6.2f} s   {rate}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--keep", default="")
    args = parser.parse_args()
    os.environ["JICENG_VAR_DIR"] = args.keep or tempfile.mkdtemp(prefix="appraisal-bench-")
    os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings

    from jiceng.accounts.models import User
    from jiceng.appraisal import results

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": plain}, ALLOWED_HOSTS=["*"]
    ).enable()
    call_command("migrate", verbosity=0)
    rng = random.Random(12)
    appraisal = timed("build the database (not a target)", lambda: build(args.units, rng))
    values = args.units * ITEMS
    table = timed(
        "compute: gather + score + rank + fund (1)", lambda: results.compute(appraisal), values
    )
    table = timed(
        "compute: gather + score + rank + fund (2)", lambda: results.compute(appraisal), values
    )
    total = table.total_amount
    assert str(total) == "50000000.00", total
    frozen = timed("freeze (publication)", lambda: results.freeze(table))
    timed("thaw (a published page's read)", lambda: results.thaw(frozen))
    admin = User.objects.create_user("bench_admin", role="admin", node=appraisal.region)
    client = Client()
    client.force_login(admin)
    ranking = f"/appraisal/{appraisal.pk}/?sort=score"
    for label, path in (
        ("GET ranking (computes the draft)", ranking),
        ("GET ranking again (page cache)", ranking + "&page=2"),
        ("GET funds (page cache)", f"/appraisal/{appraisal.pk}/funds/"),
    ):
        response = timed(label, lambda p=path: client.get(p))
        assert response.status_code == 200, response.status_code
    from jiceng.appraisal import actions

    actions.do_review(None, appraisal)
    appraisal = timed(
        "publish (compute once more, freeze)", lambda: actions.do_publish(None, appraisal)
    )
    response = timed("GET ranking of the published appraisal", lambda: client.get(ranking))
    assert response.status_code == 200, response.status_code
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"units {args.units}, items {ITEMS}, fund adds up to {total}; max RSS {peak:.0f} MiB")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
