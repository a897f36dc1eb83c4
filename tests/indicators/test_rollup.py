"""Above the regions that loaded record sets: summed figures with their coverage (issue 8, 2).

County A loaded a record set, county B did not. The city and the province have no record
set of their own, so their figures are the sums of the numerators and denominators of the
regions below them (never an average of rates), and the page says how many counties that
covers and which lack data. The default period is the latest one with data, not this year.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.indicators import queries

from .conftest import make_record_set, put

pytestmark = pytest.mark.django_db


def node_url(node, period=None):
    u = reverse("indicators:node", args=[node.code])
    return f"{u}?period={period}" if period else u


def test_city_and_province_users_see_the_sum_of_the_counties_and_the_coverage(
    personas, values, client_for
):
    t = personas.tree
    for user, node in ((personas.city_reviewer, t.C), (personas.province_reviewer, t.P)):
        r = client_for(user).get(node_url(node))  # no period: the latest one with data
        assert r.status_code == 200
        html = r.content.decode()
        assert "还没有指标数据" not in html
        assert 'data-period="2025"' in html
        assert "70.00%" in html  # county A's 105 / 150
        assert "2 个县（区）中 1 个有数据" in html
        assert "乙县" in html  # listed among those without data


def test_the_sum_is_of_numerators_and_denominators_never_an_average_of_rates(personas, values):
    t = personas.tree
    rs_b = make_record_set(name="乙县记录集", node=t.B)
    put(rs_b, t.B, "2025", "htn_std_mgmt", 30, 50)  # 60%; A is 105 / 150 = 70%
    data = queries.node_indicators(t.C, "2025")
    row = next(r for r in data.rows if r.code == "htn_std_mgmt")
    assert (row.numerator, row.denominator) == (135, 200)
    assert row.value == pytest.approx(0.675)  # not (70 + 60) / 2
    assert data.coverage.total == 2 and not data.coverage.missing
    # the previous year is summed the same way (only A has 2024)
    assert row.previous == pytest.approx(90 / 150)


def test_a_countys_values_for_another_region_never_reach_the_sum(personas, values):
    t = personas.tree
    rogue = make_record_set(name="乙县越界", node=t.B)
    put(rogue, t.A, "2025", "htn_std_mgmt", 1000, 1000)  # values of A held by B's set
    row = next(r for r in queries.node_indicators(t.C, "2025").rows if r.code == "htn_std_mgmt")
    assert (row.numerator, row.denominator) == (105, 150)


def test_a_record_set_of_the_city_itself_still_wins_over_the_sum(personas, values):
    t = personas.tree
    city = make_record_set(name="市记录集", node=t.C)
    put(city, t.C, "2025", "htn_std_mgmt", 1, 4)
    data = queries.node_indicators(t.C, "2025")
    row = next(r for r in data.rows if r.code == "htn_std_mgmt")
    assert row.value == pytest.approx(0.25)
    assert data.coverage is None


def test_the_region_table_and_its_export_show_the_summed_total(personas, values, client_for):
    t = personas.tree
    client = client_for(personas.province_reviewer)
    html = client.get(reverse("indicators:table", args=[t.C.code])).content.decode()
    assert "70.00%" in html and "2 个县（区）中 1 个有数据" in html
    r = client.get(reverse("indicators:table_export", args=[t.P.code]) + "?level=county")
    ws = load_workbook(__import__("io").BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(r for r in rows if r[0] == t.P.code)
    assert 105 in total and 150 in total
    assert rows[-1][0].startswith("下级地区汇总：2 个县（区）中 1 个有数据。没有数据：")
    assert "乙县" in rows[-1][0]


def test_the_api_gives_the_summed_figures_and_the_coverage(personas, values, client_for):
    t = personas.tree
    body = client_for(personas.city_reviewer).get(f"/api/v1/indicators/values/{t.C.code}").json()
    assert body["period"] == "2025"
    v = next(x for x in body["values"] if x["indicator"] == "htn_std_mgmt")
    assert (v["numerator"], v["denominator"]) == (105, 150)
    assert body["coverage"]["with_data"] == [t.A.code]
    assert body["coverage"]["without_data"] == [t.B.code]


def _count_pages(client, urls) -> list[int]:
    out = []
    for u in urls:
        client.get(u)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(u).status_code == 200
        out.append(len(ctx.captured_queries))
    return out


def test_the_summed_pages_cost_the_same_queries_however_many_counties(personas, values, client_for):
    from jiceng.orgs.actions import do_create_node

    t = personas.tree
    client = client_for(personas.province_reviewer)
    urls = [
        node_url(t.P),
        node_url(t.C, "2025"),
        reverse("indicators:table", args=[t.P.code]) + "?level=county",
        reverse("indicators:table_export", args=[t.C.code]),
        f"/api/v1/indicators/values/{t.P.code}",
        f"/api/v1/indicators/table/{t.P.code}?level=county",
    ]
    before = _count_pages(client, urls)
    for n in range(3, 8):
        county = do_create_node(
            None, code=f"33010{n}000000", name=f"县{n}", kind="county", parent=t.C
        )
        do_create_node(
            None, code=f"33010{n}100000", name=f"镇{n}", kind="township_hc", parent=county
        )
        if n % 2:
            rs = make_record_set(name=f"县{n}记录集", node=county)
            put(rs, county, "2025", "htn_std_mgmt", 5, 10)
    assert _count_pages(client, urls) == before
