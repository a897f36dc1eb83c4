"""Home dashboards by role: every chart from data the role sees, each with its table."""

from __future__ import annotations

import pytest

from jiceng.insights import dashboards


def test_a_commission_sees_its_townships_against_the_target_worst_first(figures):
    data = dashboards.for_user(figures.county_admin)
    chart = next(c for c in data["charts"] if c["id"] == "targets")
    t = figures.tree
    # A's level below is "township" (level 4 kinds): TA1 60%, TA2 90%, CA1 no value
    assert chart["data"]["categories"] == [t.TA1.name, t.TA2.name]
    assert chart["data"]["series"][0]["data"] == [60.0, 90.0]
    assert chart["target"] == 65.0
    assert "m=ind%3Ahtn_std_mgmt" in chart["table_url"]


def test_ledger_ageing_splits_entries_not_closed_by_age_and_deadline(figures):
    import datetime as dt

    t = figures.tree
    chart = dashboards.ledger_ageing(figures.city_reviewer, t.C, today=dt.date(2025, 6, 30))
    # e1 found 02-10 (140 days, overdue since 03-31), e3 found 05-01 (60 days, within)
    assert chart["data"]["series"][0]["data"] == [0, 1, 0, 0]  # within the deadline
    assert chart["data"]["series"][1]["data"] == [0, 0, 1, 0]  # overdue
    assert chart["table_url"].startswith("/rectification/")


def test_a_county_reviewer_of_another_county_sees_none_of_it(figures):
    data = dashboards.for_user(figures.county_reviewer_b)
    assert all(c["id"] != "targets" for c in data["charts"])
    ageing = next((c for c in data["charts"] if c["id"] == "ageing"), None)
    if ageing:  # only e3 (TB1) is in B
        assert sum(sum(s["data"]) for s in ageing["data"]["series"]) == 1


def test_an_institution_sees_its_rate_its_target_and_the_peers_median(figures):
    data = dashboards.for_user(figures.clerk)  # TA1; peers: township centres of A = TA2
    assert data["kind"] == "institution"
    chart = data["charts"][0]
    own, peers, target = chart["data"]["series"]
    assert (own["name"], own["data"]) == (figures.tree.TA1.name, [60.0])
    assert (peers["name"], peers["data"]) == ("同类机构中位数", [90.0])  # TA2 alone: 45/50
    assert (target["name"], target["data"]) == ("目标", [65.0])
    todos = {str(t["label"]): t["n"] for t in data["todos"]}
    assert todos["未整改问题"] == 1  # e1


def test_the_appraisal_hook_adds_its_ranking(figures, monkeypatch):
    monkeypatch.setattr(dashboards, "_RANKINGS", [])
    dashboards.register_ranking(lambda user, region: {
        "title": "考核排名", "rows": [("甲一镇卫生院", 92.5)], "table_url": "/"})
    data = dashboards.for_user(figures.county_admin)
    assert any(c["title"] == "考核排名" for c in data["charts"])


@pytest.mark.parametrize("persona", ["county_admin", "clerk", "province_reviewer"])
def test_the_home_page_shows_the_dashboard_with_links_to_its_tables(figures, client_for, persona):
    page = client_for(getattr(figures, persona)).get("/").content.decode()
    assert 'data-panel="dashboard"' in page
    assert "data-table-link" in page


def test_the_full_dashboard_lets_a_commission_choose_the_indicator_against_its_target(
    figures, client_for
):
    from decimal import Decimal

    from jiceng.indicators.models import RecordSet, Target

    from .conftest import put

    t = figures.tree
    rs = RecordSet.objects.get(node=t.A)
    put(rs, t.TA1, "2025", "fd_sign_rate", 30, 100)
    put(rs, t.TA2, "2025", "fd_sign_rate", 20, 100)
    Target.objects.create(indicator="fd_sign_rate", node=t.A, year=2025,
                          threshold=Decimal("0.25"))
    data = dashboards.for_user(figures.county_admin, "fd_sign_rate")
    chart = next(c for c in data["charts"] if c["id"] == "targets")
    assert chart["chosen"] == "fd_sign_rate"
    assert chart["data"]["categories"] == [t.TA2.name, t.TA1.name]  # 20% before 30%
    page = client_for(figures.county_admin).get("/insights/?ind=fd_sign_rate").content.decode()
    assert '<option value="fd_sign_rate" selected>' in page
