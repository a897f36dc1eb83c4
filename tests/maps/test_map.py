"""The thematic map: the data behind it (page and API alike), its classes, drill-down links,
and scope (404 for a unit out of sight, never data)."""

from __future__ import annotations

import json
import re

from jiceng.maps.queries import MapParams

from .helpers import import_tree_boundaries


def _values(t):
    """County A loaded a record set: TA1 60/100 = 60 %, TA2 45/100 = 45 % for 2025;
    the city's figures are then the sum over A: A's own value 105/200 = 52.5 %."""
    from indicators.conftest import make_record_set, put

    rs = make_record_set(node=t.A)
    put(rs, t.A, "2025", "htn_std_mgmt", 105, 200)
    put(rs, t.TA1, "2025", "htn_std_mgmt", 60, 100)
    put(rs, t.TA2, "2025", "htn_std_mgmt", 45, 100)
    return rs


def _page_data(response) -> dict:
    found = re.search(
        r'<script id="map-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(found.group(1))


def test_the_map_of_a_county_shows_its_units_with_their_values_and_boundaries(personas, client_for):
    t = personas.tree
    import_tree_boundaries(t)
    _values(t)
    client = client_for(personas.county_admin)
    url = f"/maps/?node={t.A.code}&level=children&period=2025&indicator=ind:htn_std_mgmt"
    data = _page_data(client.get(url))
    regions = {r["code"]: r for r in data["regions"]}
    # children of A: TA1, TA2, CA1 (and county hospital none in this tree)
    assert set(regions) == {t.TA1.code, t.TA2.code, t.CA1.code}
    assert regions[t.TA1.code]["value"] == 60.0 and regions[t.TA2.code]["value"] == 45.0
    assert regions[t.CA1.code]["value"] is None and regions[t.CA1.code]["class"] is None
    # two values, 5 quantile classes: edges 45, then xs[ceil(i*2/5)] = xs[1] = 60 for i = 1..2
    # (merged), so two classes: [45, 60) and [60, 60]
    assert [(c["from"], c["to"]) for c in data["classes"]] == [(45.0, 60.0), (60.0, 60.0)]
    assert (regions[t.TA2.code]["class"], regions[t.TA1.code]["class"]) == (0, 1)
    assert {f["properties"]["name"] for f in data["geojson"]["features"]} == {
        t.TA1.code,
        t.TA2.code,
    }
    assert regions[t.CA1.code]["has_boundary"] is False
    # TA1 was imported as 120–121°E × 30–31°N: its inner point lies inside
    lon, lat = regions[t.TA1.code]["centre"]
    assert 120 < lon < 121 and 30 < lat < 31


def test_the_api_answers_the_data_the_page_draws(personas, client_for):
    t = personas.tree
    import_tree_boundaries(t)
    _values(t)
    client = client_for(personas.city_reviewer)
    query = "level=county&period=2025&indicator=ind:htn_std_mgmt&method=equal&classes=3"
    page = _page_data(client.get(f"/maps/?node={t.C.code}&{query}"))
    api = client.get(f"/api/v1/maps/{t.C.code}?{query}").json()
    assert page == api
    regions = {r["code"]: r for r in api["regions"]}
    # county A's own record set: 105/200 = 52.5 %; B has none
    assert regions[t.A.code]["value"] == 52.5 and regions[t.B.code]["value"] is None
    assert api["method"] == "equal" and len(api["classes"]) == 1  # one value: one class


def test_a_click_target_of_each_region_is_the_map_of_its_children_with_the_same_choices(
    personas, client_for
):
    t = personas.tree
    import_tree_boundaries(t)
    _values(t)
    client = client_for(personas.city_reviewer)
    data = _page_data(client.get(f"/maps/?node={t.C.code}&period=2025&method=equal&classes=4"))
    a = next(r for r in data["regions"] if r["code"] == t.A.code)
    assert (
        a["url"]
        == MapParams(
            node=t.A.code,
            level="children",
            period="2025",
            indicator=data["indicator"]["key"],
            method="equal",
            classes=4,
        ).url()
    )
    drilled = client.get(a["url"])
    assert drilled.status_code == 200 and _page_data(drilled)["node"]["code"] == t.A.code
    # the table's link goes to the same place (the page works without the canvas)
    assert a["url"].replace("&", "&amp;") in client.get(data["url"]).content.decode()


def test_a_unit_out_of_sight_is_404_and_its_data_never_shown(personas, client_for):
    t = personas.tree
    import_tree_boundaries(t)
    _values(t)
    client = client_for(personas.county_admin)  # sees A and below
    for url in (f"/maps/?node={t.B.code}", f"/maps/?node={t.C.code}", f"/api/v1/maps/{t.C.code}"):
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.content.decode()
        assert t.B.name not in body and t.TB1.name not in body and "52.5" not in body


def test_without_a_node_the_map_starts_at_the_users_own_unit(personas, client_for):
    t = personas.tree
    data = _page_data(client_for(personas.clerk).get("/maps/"))
    assert data["node"]["code"] == t.TA1.code
    assert {r["code"] for r in data["regions"]} == {t.VA1.code, t.VA2.code}


def test_bad_choices_are_named_in_chinese_and_the_defaults_used(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    response = client.get(
        f"/maps/?node={t.A.code}&level=moon&indicator=nope&method=x&period=2025Q9"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "未知的层级 moon" in page and "未知的指标 nope" in page and "未知的分级方法 x" in page
    assert "季度只能是 Q1 至 Q4" in page
    data = _page_data(response)
    assert data["level"] == "children" and data["method"] == "quantile"


def test_a_data_set_figure_is_mapped_from_the_aggregated_values(personas, client_for):
    from datetime import UTC, datetime

    from aggregates.helpers import load_sample

    from jiceng.aggregates import actions

    t = personas.tree
    import_tree_boundaries(t)
    sat = load_sample("satisfaction", t.P)
    # 2025 = Q1 + Q2 summed: TA1 surveyed 10 + 20 = 30; TA2 7; TB1 (county B) 5
    for unit, period, n in ((t.TA1, "2025Q1", 10), (t.TA1, "2025Q2", 20), (t.TA2, "2025Q1", 7)):
        actions.do_save_values(None, sat, unit, period, {"OUT_SURVEYED": str(n)})
    actions.do_save_values(None, sat, t.TB1, "2025Q1", {"OUT_SURVEYED": "5"})
    actions.do_complete(None, sat, t.TB1, "2025Q1", at=datetime(2025, 4, 2, tzinfo=UTC))
    client = client_for(personas.province_admin)
    key = "ds:SATISFACTION:OUT_SURVEYED"
    data = client.get(f"/api/v1/maps/{t.C.code}?level=county&period=2025&indicator={key}").json()
    values = {r["code"]: r["value"] for r in data["regions"]}
    # county A = 30 + 7 = 37; county B = 5
    assert values == {t.A.code: 37.0, t.B.code: 5.0}
    assert data["indicator"] == {"key": key, "name": "门诊调查人数", "unit": ""}


def test_institutions_with_a_location_are_points_classed_among_themselves(personas, client_for):
    from decimal import Decimal

    from jiceng.orgs.models import Node

    t = personas.tree
    _values(t)
    Node.objects.filter(pk=t.TA1.pk).update(longitude=Decimal("120.5"), latitude=Decimal("30.5"))
    Node.objects.filter(pk=t.TA2.pk).update(longitude=Decimal("120.5"), latitude=Decimal("31.5"))
    Node.objects.filter(pk=t.TB1.pk).update(longitude=Decimal("121.5"), latitude=Decimal("30.5"))
    client = client_for(personas.county_admin)
    data = client.get(f"/api/v1/maps/{t.A.code}?period=2025&indicator=ind:htn_std_mgmt").json()
    points = {p["code"]: p for p in data["points"]}
    assert set(points) == {t.TA1.code, t.TA2.code}  # TB1 is in county B: out of sight
    assert (points[t.TA1.code]["lon"], points[t.TA1.code]["lat"]) == (120.5, 30.5)
    assert (points[t.TA2.code]["class"], points[t.TA1.code]["class"]) == (0, 1)
    # a click on a point drills into the region holding it (TA1 is itself a region here)
    regions = {r["code"]: r for r in data["regions"]}
    assert points[t.TA1.code]["region"] == t.TA1.code
    assert points[t.TA1.code]["url"] == regions[t.TA1.code]["url"]
    city = client_for(personas.province_admin).get(f"/api/v1/maps/{t.C.code}").json()
    assert {p["code"]: p["region"] for p in city["points"]} == {
        t.TA1.code: t.A.code,
        t.TA2.code: t.A.code,
        t.TB1.code: t.B.code,
    }


def test_a_units_page_links_to_the_map_of_the_units_below_it(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    assert f'href="/maps/?node={t.A.code}"' in client.get(f"/orgs/{t.A.code}/").content.decode()
    assert "/maps/?node=" not in client.get(f"/orgs/{t.VA1.code}/").content.decode()  # no units
