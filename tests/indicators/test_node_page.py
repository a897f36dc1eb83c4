"""The node page: figures, change against the previous period, targets, scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.indicators import queries
from jiceng.indicators.actions import do_set_target

from .conftest import make_record_set, put

pytestmark = pytest.mark.django_db


def url(node, period=None):
    u = reverse("indicators:node", args=[node.code])
    return f"{u}?period={period}" if period else u


def test_it_shows_numerator_denominator_and_rate_with_two_decimals(personas, values, client_for):
    t = personas.tree
    r = client_for(personas.county_reviewer).get(url(t.A, "2025"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "高血压患者规范管理率" in html
    assert "70.00%" in html  # 105 / 150
    assert "105" in html and "150" in html


def test_it_shows_the_change_against_the_previous_year_in_points(personas, values, client_for):
    t = personas.tree
    data = queries.node_indicators(t.TA1, "2025")
    row = next(r for r in data.rows if r.code == "htn_std_mgmt")
    assert row.value == pytest.approx(0.6)
    assert row.previous == pytest.approx(0.5)
    assert row.change_pp == pytest.approx(10.0)
    html = client_for(personas.clerk).get(url(t.TA1, "2025")).content.decode()
    assert "+10.00" in html


def test_a_quarter_compares_with_the_same_quarter_a_year_before(personas, values):
    t = personas.tree
    assert queries.previous_period("2025Q2") == "2024Q2"
    assert queries.previous_period("2025-07") == "2024-07"
    row = next(r for r in queries.node_indicators(t.TA1, "2025Q2").rows if r.code == "htn_std_mgmt")
    assert row.change_pp == pytest.approx(-5.0)


def test_an_undefined_rate_is_blank_not_zero(personas, client_for, tree):
    rs = make_record_set(node=tree.A)
    put(rs, tree.VA1, "2025", "t2d_mgmt_rate", 0, 0)
    data = queries.node_indicators(tree.VA1, "2025")
    row = next(r for r in data.rows if r.code == "t2d_mgmt_rate")
    assert row.value is None
    html = client_for(personas.county_admin).get(url(tree.VA1, "2025")).content.decode()
    assert "0.00%" not in html


def test_it_uses_the_latest_ready_record_set(personas, values, tree):
    newer = make_record_set(name="较新", node=tree.A)
    put(newer, tree.TA1, "2025", "htn_std_mgmt", 80, 100)
    failed = make_record_set(name="失败", node=tree.A, status="failed")
    put(failed, tree.TA1, "2025", "htn_std_mgmt", 1, 100)
    row = next(
        r for r in queries.node_indicators(tree.TA1, "2025").rows if r.code == "htn_std_mgmt"
    )
    assert row.value == pytest.approx(0.8)


def test_it_marks_met_and_missed_targets(personas, values, client_for, tree):
    do_set_target(None, indicator="htn_std_mgmt", node=tree.A, year=2025, threshold_percent=65)
    data = queries.node_indicators(tree.A, "2025")
    row = next(r for r in data.rows if r.code == "htn_std_mgmt")
    assert row.met is True  # 70% >= 65%
    row = next(
        r for r in queries.node_indicators(tree.TA1, "2025").rows if r.code == "htn_std_mgmt"
    )
    assert row.met is False  # 60% < 65%, inherited from the county
    html = client_for(personas.clerk).get(url(tree.TA1, "2025")).content.decode()
    assert "✗" in html and "≥ 65.00%" in html


def test_a_bad_period_is_explained_in_chinese(personas, values, client_for, tree):
    r = client_for(personas.county_admin).get(url(tree.A, "2025Q7"))
    assert r.status_code == 400
    assert "季度只能是 Q1 至 Q4" in r.content.decode()


@pytest.mark.parametrize(
    "who, code, status",
    [
        ("clerk", "TA1", 200),
        ("clerk", "VA1", 200),
        ("clerk", "A", 404),
        ("clerk", "TA2", 404),
        ("village_clerk", "TA1", 404),
        ("county_reviewer", "A", 200),
        ("county_reviewer", "B", 404),
        ("county_reviewer_b", "A", 404),
        ("county_reviewer_b", "TA1", 404),
        ("analyst", "VA3", 200),
        ("city_reviewer", "A", 200),
        ("province_reviewer", "B", 200),
        ("county_admin", "B", 404),
        ("province_admin", "A", 200),
    ],
)
def test_scope_decides_who_sees_which_node(personas, values, client_for, who, code, status):
    node = getattr(personas.tree, code)
    r = client_for(getattr(personas, who)).get(url(node, "2025"))
    assert r.status_code == status


def test_anonymous_users_are_sent_to_the_login(client, values, tree):
    r = client.get(url(tree.A, "2025"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_the_page_embeds_the_trend_data_for_the_chart(personas, values, client_for, tree):
    html = client_for(personas.county_admin).get(url(tree.TA1, "2025")).content.decode()
    assert 'id="trend-data"' in html and "echarts.min.js" in html
    trend = queries.trend(tree.TA1)
    assert trend["periods"] == ["2024Q2", "2024", "2025Q2", "2025"]
    series = next(s for s in trend["series"] if s["code"] == "htn_std_mgmt")
    assert series["data"] == [25.0, 50.0, 20.0, 60.0]


def test_the_index_leads_to_the_users_own_node(personas, client_for, tree):
    r = client_for(personas.county_reviewer).get(reverse("indicators:index"))
    assert r.status_code == 302 and r["Location"].endswith(f"/indicators/node/{tree.A.code}/")


def test_the_summary_include_renders_for_another_apps_page(personas, values, tree):
    from django.template import Context, Template

    html = Template("{% load indicator_tags %}{% indicator_summary node %}").render(
        Context({"node": tree.TA1})
    )
    assert "高血压患者规范管理率" in html and "60.00%" in html and "2025" in html
    summary = queries.summary_for(tree.TA2)
    assert [r.code for r in summary["rows"]] == ["htn_std_mgmt"]


def test_values_stored_without_a_node_link_are_found_by_their_code(personas, tree):
    from jiceng.indicators.models import IndicatorValue

    rs = make_record_set(node=tree.A)
    put(rs, tree.VA2, "2025", "fd_sign_rate", 30, 60)
    IndicatorValue.objects.filter(record_set=rs).update(node=None)
    row = next(
        r for r in queries.node_indicators(tree.VA2, "2025").rows if r.code == "fd_sign_rate"
    )
    assert row.value == pytest.approx(0.5)
    assert queries.available_periods(tree.VA2) == ["2025"]


def test_the_indicators_are_grouped_as_the_national_specification(personas, values, client_for):
    from lxml import html as lxml_html

    from jiceng.analytics import registry

    t = personas.tree
    page = client_for(personas.county_reviewer).get(url(t.A, "2025")).content.decode()
    doc = lxml_html.fromstring(page)
    headings = [th.text_content().strip() for th in doc.xpath("//tr[@class='group-row']/th")]
    assert headings == list(registry().groups.values())
    # each indicator sits under its own group's heading
    group_of = {}
    current = None
    for tr in doc.xpath("//table[@id='indicators']/tbody/tr"):
        if tr.get("class") == "group-row":
            current = tr.text_content().strip()
        else:
            group_of[tr.get("data-indicator")] = current
    reg = registry()
    assert group_of == {d.code: reg.groups[d.group] for d in reg.indicators}
    api = client_for(personas.county_reviewer).get(
        f"/api/v1/indicators/values/{t.A.code}?period=2025"
    )
    assert {v["indicator"]: v["group"] for v in api.json()["values"]} == group_of
