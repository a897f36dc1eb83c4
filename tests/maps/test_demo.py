"""The demo stage "maps": nested synthetic boundaries and a location for every institution."""

from __future__ import annotations

import random

import pytest
from shapely.geometry import shape

from jiceng.maps.models import Boundary
from jiceng.orgs.models import GRASSROOTS_KINDS, Node

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def region():
    from jiceng.demo import maps, region

    r = region.build(seed=7, scale="county", townships=2)
    maps.populate(r, random.Random("7:maps"))
    return r


def _outline(node):
    return shape(Boundary.objects.get(node=node, current=True).geometry)


def test_each_outline_lies_inside_its_parents_and_each_institution_inside_its_area(region):
    county = region.county
    assert _outline(county).buffer(1e-4).contains(_outline(county))  # valid and non-empty
    assert _outline(county.parent).buffer(1e-4).contains(_outline(county))
    assert _outline(region.province).buffer(1e-4).contains(_outline(county.parent))
    areas = Node.objects.filter(parent=county, kind__in=["township_hc", "community_hc"])
    assert areas.count() >= 4  # 2 townships + 2–3 community centres
    for area in areas:
        outline = _outline(area)
        assert _outline(county).buffer(1e-4).contains(outline)
        for child in Node.objects.filter(parent=area):
            assert outline.buffer(1e-4).contains(_outline(child))
    for inst in Node.objects.subtree(county).filter(kind__in=[k.value for k in GRASSROOTS_KINDS]):
        assert inst.longitude is not None and inst.latitude is not None, inst.code


def test_a_second_county_leaves_the_province_and_city_outlines_as_they_were(region):
    from jiceng.demo import maps
    from jiceng.demo import region as demo_region

    before = {n: _outline(n).wkt for n in (region.province, region.city)}
    rng = random.Random("grow")
    county = demo_region._build_county(rng, region.city, 1, region, [])
    maps.populate(region.for_county(county), random.Random("7:maps:2"))
    assert {n: _outline(n).wkt for n in (region.province, region.city)} == before
    assert not _outline(county).intersection(_outline(region.county)).area > 1e-9
