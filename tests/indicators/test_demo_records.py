"""The demo stage "records": a realistic record set for the demo county, computed."""

from __future__ import annotations

import random

import pytest

from jiceng.demo import records
from jiceng.demo import region as demo_region
from jiceng.indicators import queries
from jiceng.indicators.models import IndicatorValue, RecordSet, Target

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_demo_county_gets_values_for_every_period_and_some_missed_targets(settings, tmp_path):
    settings.JICENG_ANALYTICS_DIR = tmp_path
    region = demo_region.build(seed=2025)
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
    assert periods == set(records.PERIODS)
    county = queries.node_indicators(region.county, "2025")
    assert all(r.value is not None for r in county.rows)
    assert all(0 < r.value < 1 for r in county.rows)  # nothing is 0% or 100%
    assert any(r.met is False for r in county.rows)
    # the county hospital is no place of residence: it has no values
    hospital = region.county.children.get(kind="county_hospital")
    assert not IndicatorValue.objects.filter(node=hospital).exists()
    # every village clinic and station of the county has values
    villages = region.county.descendants().filter(kind__in=["village_clinic", "community_station"])
    with_values = IndicatorValue.objects.filter(node__in=villages, period="2025")
    assert with_values.values("node").distinct().count() == villages.count()
    assert Target.objects.filter(node=region.county, year=2025).count() == len(
        records.COUNTY_TARGETS
    )
