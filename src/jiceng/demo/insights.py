"""Demo stage "insights": a saved visualizer view on the province's published dashboard.

Once for the region (on the first county it runs for): the province's administrator saves
a shared view — hypertension standard management by county, the five years up to last
year, as bars — pins it and publishes the dashboard to everyone in the province. Everyone
then finds it on the dashboard, opened on their own region.
"""

from __future__ import annotations

import random

from jiceng.demo.region import Region
from jiceng.insights.actions import do_pin, do_publish_dashboard, do_save_view
from jiceng.insights.models import SavedView
from jiceng.insights.request import validate

NAME = "各县高血压患者规范管理率"


def populate(region: Region, rng: random.Random) -> None:
    admin = region.users.get("province_admin")
    if admin is None or admin.node is None:
        return
    if SavedView.objects.filter(owner=admin, name=NAME).exists():
        return
    req = validate(
        {
            "measures": ["ind:htn_std_mgmt"],
            "root": admin.node.code,
            "level": "county",
            "period_type": "year",
            "year": region.years[0],
            "chart": "bar",
            "sort": "value",
        }
    )
    view = do_save_view(admin, NAME, req, shared=True)
    do_pin(admin, NAME, view=view)
    do_publish_dashboard(admin)
