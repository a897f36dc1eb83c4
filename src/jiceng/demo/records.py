"""Demo stage "records": a synthetic record set for the demo county, loaded and computed.

About 100,000 residents live in the county's village clinics and community stations
(the residence nodes); the record set covers 2024 and 2025. It is loaded like an upload
(``indicators.tasks.run_load``), computed for 2024 and 2025 and their first three quarters (year-to-date), and a few targets
are set on the county (and one township) so that some indicators miss them.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from django.conf import settings

from jiceng.demo.region import Region
from jiceng.indicators import actions, tasks
from jiceng.indicators.models import RecordSet
from jiceng.orgs.models import GRASSROOTS_KINDS, Node

RESIDENTS = 100_000
YEARS = [2024, 2025]
PERIODS = ["2024Q1", "2024Q2", "2024Q3", "2024", "2025Q1", "2025Q2", "2025Q3", "2025"]
# (indicator, threshold in percent): county targets for 2025, some of which are missed.
COUNTY_TARGETS = [
    ("hr_coverage", 90),
    ("ehr_standardized", 85),
    ("elderly_mgmt", 70),
    ("htn_std_mgmt", 60),
    ("t2d_std_mgmt", 60),
    ("fd_sign_rate", 40),
    ("fd_key_sign_rate", 75),
]


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


def populate(region: Region, rng: random.Random) -> None:
    from jiceng.analytics import generate_recordset

    county = region.county
    out = Path(settings.JICENG_ANALYTICS_DIR) / "demo" / f"{county.code}-{region.seed}"
    if out.exists():
        shutil.rmtree(out)
    generate_recordset(
        out,
        residence_tree(county),
        YEARS,
        seed=rng.randrange(2**31),
        fmt="parquet",
        residents=RESIDENTS,
    )
    admin = region.users.get("admin")
    rs = actions.do_register_upload(
        admin, name=f"{county.name}居民健康档案 2024—2025（演示）", node=county, source=str(out)
    )
    tasks.run_load(rs.pk, str(out))
    rs.refresh_from_db()
    if rs.status != RecordSet.Status.READY:
        raise RuntimeError(f"demo record set did not load: {rs.message} {rs.problems[:3]}")
    result = tasks.run_compute(rs.pk, PERIODS)
    if result.get("status") != "computed":
        raise RuntimeError(f"demo record set did not compute: {result}")
    for code, pct in COUNTY_TARGETS:
        actions.do_set_target(
            admin, indicator=code, node=county, year=2025, threshold_percent=pct, note="县级目标"
        )
    townships = [n for n in region.institutions if n.kind == "township_hc"]
    if townships:
        actions.do_set_target(
            admin,
            indicator="htn_std_mgmt",
            node=townships[0],
            year=2025,
            threshold_percent=65,
            note="乡镇卫生院自定目标",
        )
