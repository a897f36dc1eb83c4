"""The indicators API: definitions, values, region table, targets, record sets; scope."""

from __future__ import annotations

import pytest

from jiceng.indicators.models import Target

from .conftest import make_record_set

pytestmark = pytest.mark.django_db

BASE = "/api/v1/indicators"


def test_definitions_list_every_indicator_with_its_chinese_name(personas, client_for):
    r = client_for(personas.analyst).get(f"{BASE}/definitions")
    assert r.status_code == 200
    names = {d["code"]: d["name"] for d in r.json()}
    assert names["htn_std_mgmt"] == "高血压患者规范管理率"
    assert len(names) >= 14


def test_values_carry_numerator_denominator_value_target_and_met(personas, values, client_for):
    t = personas.tree
    Target.objects.create(indicator="htn_std_mgmt", node=t.A, year=2025, threshold="0.65")
    r = client_for(personas.clerk).get(f"{BASE}/values/{t.TA1.code}?period=2025")
    assert r.status_code == 200
    body = r.json()
    assert body["period"] == "2025" and body["previous_period"] == "2024"
    row = next(v for v in body["values"] if v["indicator"] == "htn_std_mgmt")
    assert row["numerator"] == 60 and row["denominator"] == 100
    assert row["value"] == pytest.approx(0.6)
    assert row["change_pp"] == pytest.approx(10.0)
    assert row["target"] == pytest.approx(0.65) and row["met"] is False


def test_values_outside_the_callers_sight_are_404(personas, values, client_for):
    t = personas.tree
    r = client_for(personas.county_reviewer_b).get(f"{BASE}/values/{t.TA1.code}?period=2025")
    assert r.status_code == 404
    r = client_for(personas.clerk).get(f"{BASE}/table/{t.A.code}?period=2025")
    assert r.status_code == 404


def test_a_bad_period_is_a_422_naming_the_field(personas, values, client_for):
    r = client_for(personas.analyst).get(f"{BASE}/values/{personas.tree.A.code}?period=20x5")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "period"


def test_the_region_table_sorts_like_the_page(personas, values, client_for):
    t = personas.tree
    r = client_for(personas.city_reviewer).get(
        f"{BASE}/table/{t.A.code}?period=2025&level=village&sort=-htn_std_mgmt"
    )
    assert r.status_code == 200
    body = r.json()
    assert [row["node"] for row in body["items"]] == [t.VA3.code, t.VA1.code, t.VA2.code]
    assert body["count"] == 3
    assert body["total"]["node"] == t.A.code
    url = f"{BASE}/table/{t.A.code}?period=2025&level=village&sort=-htn_std_mgmt&page_size=2"
    second = client_for(personas.city_reviewer).get(url + "&page=2").json()
    assert [row["node"] for row in second["items"]] == [t.VA2.code]
    assert second["count"] == 3 and second["total"]["node"] == t.A.code


def test_an_administrator_sets_and_deletes_a_target(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    r = client.post(
        f"{BASE}/targets",
        {"indicator": "htn_std_mgmt", "node": t.A.code, "year": 2025, "threshold_percent": 60},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["threshold"] == pytest.approx(0.6)
    listed = client.get(f"{BASE}/targets?year=2025").json()["items"]
    assert [x["indicator"] for x in listed] == ["htn_std_mgmt"]
    r = client.delete(f"{BASE}/targets/{listed[0]['id']}")
    assert r.status_code == 204
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    "who, node, status",
    [
        ("county_admin", "A", 201),
        ("county_admin", "TA1", 201),
        ("county_admin", "B", 404),
        ("province_admin", "B", 201),
        ("county_reviewer", "A", 403),
        ("analyst", "A", 403),
        ("clerk", "TA1", 403),
    ],
)
def test_only_administrators_of_the_region_may_set_targets(personas, client_for, who, node, status):
    code = getattr(personas.tree, node).code
    r = client_for(getattr(personas, who)).post(
        f"{BASE}/targets",
        {"indicator": "fd_sign_rate", "node": code, "year": 2025, "threshold_percent": 70},
        content_type="application/json",
    )
    assert r.status_code == status


def test_a_target_above_100_percent_or_of_an_unknown_indicator_is_refused(personas, client_for):
    client = client_for(personas.county_admin)
    r = client.post(
        f"{BASE}/targets",
        {"indicator": "nope", "node": personas.tree.A.code, "year": 2025, "threshold_percent": 120},
        content_type="application/json",
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"indicator", "threshold"}
    assert not Target.objects.exists()


def test_record_sets_are_listed_for_administrators_of_their_region(personas, client_for):
    t = personas.tree
    make_record_set(name="甲县", node=t.A)
    make_record_set(name="乙县", node=t.B)
    listed = client_for(personas.county_admin).get(f"{BASE}/recordsets").json()
    names = [x["name"] for x in listed["items"]]
    assert names == ["甲县"]
    names = [
        x["name"]
        for x in client_for(personas.province_admin).get(f"{BASE}/recordsets").json()["items"]
    ]
    assert sorted(names) == ["乙县", "甲县"]
    assert client_for(personas.analyst).get(f"{BASE}/recordsets").json() == {
        "items": [],
        "count": 0,
    }
