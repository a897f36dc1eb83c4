"""Demo stage "records": a synthetic record set for a county, loaded and computed.

About 100,000 residents live in the county's village clinics and community stations
(the residence nodes); the record set covers last year and this year up to yesterday
(``region.today``). It is loaded like an upload (``indicators.tasks.run_load``) and
computed for the periods of ``periods``: last year and its first three quarters
(year-to-date), this year's finished quarters and its last finished month. Its rates are
those of the seeds' counties (``analytics.synthetic``). A few targets are set on the
county (and one township) for both years, so that some indicators miss them.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

from django.conf import settings

from jiceng.demo.region import Region
from jiceng.indicators import actions, tasks
from jiceng.indicators.models import RecordSet
from jiceng.orgs.models import GRASSROOTS_KINDS, Node

RESIDENTS = 100_000
# (indicator, threshold in percent): county targets for both years, some of which are missed.
COUNTY_TARGETS = [
    ("hr_coverage", 90),
    ("ehr_standardized", 85),
    ("elderly_mgmt", 90),
    ("htn_std_mgmt", 90),
    ("t2d_std_mgmt", 90),
    ("fd_sign_rate", 75),
    ("fd_key_sign_rate", 90),
]


def periods(today: dt.date) -> list[str]:
    """The periods the demo computes, every one finished before ``today``: last year, its
    first three quarters, this year's finished quarters and its last finished month."""
    last = today.year - 1
    out = [f"{last}Q1", f"{last}Q2", f"{last}Q3", str(last)]
    out += [f"{today.year}Q{q}" for q in range(1, (today.month - 1) // 3 + 1)]
    month = today.month - 1
    if month and month % 3:
        out.append(f"{today.year}-{month:02d}")
    return out


def residence_tree(county: Node) -> list:
    """The county's tree without leaves where nobody lives (county hospital, commission)."""
    from jiceng.analytics import OrgRow

    nodes = list(Node.objects.subtree(county).select_related("parent").order_by("path"))
    has_children = {n.parent_id for n in nodes}
    rows = []
    for n in nodes:
        if n.pk != county.pk and n.pk not in has_children and n.kind not in GRASSROOTS_KINDS:
            continue
        parent = n.parent.code if n.pk != county.pk else None
        rows.append(OrgRow(n.code, n.name, parent, n.kind))
    return rows


def populate(region: Region, rng: random.Random, residents: int | None = None) -> None:
    """Generate, load and compute the county's record set (``residents``, default
    ``RESIDENTS``) and set its targets."""
    from jiceng.analytics import generate_recordset

    county = region.county
    first, year = region.years
    out = Path(settings.JICENG_ANALYTICS_DIR) / "demo" / f"{county.code}-{region.seed}"
    if out.exists():
        shutil.rmtree(out)
    generate_recordset(
        out,
        residence_tree(county),
        list(region.years),
        seed=rng.randrange(2**31),
        fmt="parquet",
        residents=residents or RESIDENTS,
        until=region.today - dt.timedelta(days=1),
    )
    admin = region.users.get("admin")
    rs = actions.do_register_upload(
        admin,
        name=f"{county.name}居民健康档案 {first}—{year}（演示）",
        node=county,
        source=str(out),
    )
    tasks.run_load(rs.pk, str(out))
    rs.refresh_from_db()
    if rs.status != RecordSet.Status.READY:
        raise RuntimeError(f"demo record set did not load: {rs.message} {rs.problems[:3]}")
    result = tasks.run_compute(rs.pk, periods(region.today))
    if result.get("status") != "computed":
        raise RuntimeError(f"demo record set did not compute: {result}")
    for y in region.years:
        for code, pct in COUNTY_TARGETS:
            actions.do_set_target(
                admin, indicator=code, node=county, year=y, threshold_percent=pct, note="县级目标"
            )
    townships = [n for n in region.institutions if n.kind == "township_hc"]
    if townships:
        actions.do_set_target(
            admin,
            indicator="htn_std_mgmt",
            node=townships[0],
            year=year,
            threshold_percent=95,
            note="乡镇卫生院自定目标",
        )
