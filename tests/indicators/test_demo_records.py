"""The demo stage "records": a realistic record set for the demo county, computed."""

from __future__ import annotations

import datetime as dt
import random
import statistics

import pytest

from jiceng.demo import records
from jiceng.demo import region as demo_region
from jiceng.indicators import queries
from jiceng.indicators.models import IndicatorValue, RecordSet, Target

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


TODAY = dt.date(2026, 12, 2)
# The seeds' county rates for a full year, in percent (docs/demo.md).
SEED_RANGES = {
    "fd_sign_rate": (71, 74),
    "fd_key_sign_rate": (92, 98),
    "htn_std_mgmt": (91, 95),
    "t2d_std_mgmt": (91, 95),
    "elderly_mgmt": (87, 91),
}


def test_the_demo_county_gets_values_for_every_period_and_some_missed_targets(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path
    region = demo_region.build(seed=2025, today=TODAY)
    records.populate(region, random.Random("2025:records"))
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.READY
    # the demo's source on disk holds no identity numbers
    import pyarrow.parquet as pq

    from jiceng.core.pii import looks_like_id_number

    for f in sorted(tmp_path.rglob("*.parquet")):
        table = pq.read_table(f)
        assert "id_number" not in table.column_names, f
        for name in table.column_names:
            if str(table.schema.field(name).type) == "string":
                assert not any(looks_like_id_number(v) for v in table[name].to_pylist()[:5000])
    assert 90_000 <= rs.row_counts["residents"] <= 110_000
    periods = set(IndicatorValue.objects.values_list("period", flat=True))
    assert periods == set(records.periods(TODAY))
    county = queries.node_indicators(region.county, "2025")
    assert all(r.value is not None for r in county.rows)
    assert all(0 < r.value < 1 for r in county.rows)  # nothing is 0% or 100%
    assert any(r.met is False for r in county.rows)
    # every persona of the county or above sees a value in every group of the national
    # specification (a village of 1,500 may truly have no TB case in a year)
    groups = {d.group for d in queries.definitions()}
    checked = []
    for name, user in region.users.items():
        node = user.node
        if node is None or node.kind not in ("province", "city", "county"):
            continue
        rows = queries.node_indicators(node, "2025").rows
        shown = {r.group for r in rows if r.value is not None}
        assert shown == groups, (name, node.name, groups - shown)
        checked.append(name)
    assert len(checked) >= 3, checked  # the county's, the city's and the province's people
    # the county hospital is no place of residence: it has no values
    hospital = region.county.children.get(kind="county_hospital")
    assert not IndicatorValue.objects.filter(node=hospital).exists()
    # every village clinic and station of the county has values
    villages = region.county.descendants().filter(kind__in=["village_clinic", "community_station"])
    with_values = IndicatorValue.objects.filter(node__in=villages, period="2025")
    assert with_values.values("node").distinct().count() == villages.count()
    for year in (2025, 2026):
        assert Target.objects.filter(node=region.county, year=year).count() == len(
            records.COUNTY_TARGETS
        )
    # the county's rates are the seeds' rates; its villages differ by several points
    rates = {r.code: r.value * 100 for r in county.rows}
    for code, (low, high) in SEED_RANGES.items():
        assert low <= rates[code] <= high, (code, rates[code])
        village = [
            float(v) * 100
            for v in with_values.filter(indicator=code).values_list("value", flat=True)
        ]
        assert statistics.pstdev(village) >= 2, (code, village)
        assert max(village) - min(village) >= 6, (code, village)
