"""The visualizer page, its exports and the API give the same figures; views are saved,
shared, opened by URL and pinned; administrators publish a dashboard below their node."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from jiceng.core.models import AuditEvent
from jiceng.insights import actions
from jiceng.insights.models import Pin, SavedView
from jiceng.insights.request import validate

VIEW = "m=ind:htn_std_mgmt&root={A}&level=children&pt=year&year=2025&chart=bar"


def _url(figures, path="/insights/visualizer/", view=VIEW):
    return path + "?" + view.format(A=figures.tree.A.code)


def test_the_page_shows_each_unit_its_rate_and_change_and_the_whole_region(figures, client_for):
    client = client_for(figures.county_admin)
    page = client.get(_url(figures)).content.decode()
    # TA1 2025: 60/100 = 60.0%, +10.0 pp against 2024 (50/100)
    assert "60.0%" in page and "+10.0" in page
    assert "90.0%" in page  # TA2 45/50
    assert "70.0%" in page  # the whole county: 105/150
    assert 'id="viz-spec"' in page  # the chart's data, drawn by charts.js


def test_csv_excel_and_api_carry_the_same_figures_as_the_page(figures, client_for):
    t = figures.tree
    client = client_for(figures.county_admin)
    body = client.get(_url(figures, "/insights/visualizer/export.csv")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    got = {(r[0], r[4]): r[5] for r in rows[1:] if r[2] == "ind:htn_std_mgmt"}
    assert float(got[(t.TA1.code, "2025")]) == pytest.approx(0.6)
    wb = load_workbook(io.BytesIO(client.get(_url(figures, "/insights/visualizer/export.xlsx"))
                                  .content))
    xrows = list(wb.active.iter_rows(values_only=True))
    xgot = {(r[0], r[4]): r[5] for r in xrows[1:]}
    assert xgot[(t.TA2.code, "2025")] == pytest.approx(0.9)
    api = client.get(_url(figures, "/api/v1/insights/data")).json()
    agot = {(r["org_code"], r["period"]): r["value"] for r in api["items"]}
    assert agot[(t.TA1.code, "2025")] == pytest.approx(0.6)
    assert agot[(t.A.code, "2025")] == pytest.approx(0.7)
    assert AuditEvent.objects.filter(action="download.visualizer_export").count() == 2


@pytest.mark.parametrize("path", ["/insights/visualizer/", "/insights/visualizer/export.csv",
                                  "/insights/visualizer/export.xlsx", "/api/v1/insights/data"])
def test_a_region_out_of_sight_is_not_found_on_page_export_and_api(figures, client_for, path):
    client = client_for(figures.county_reviewer_b)  # county B
    response = client.get(_url(figures, path))
    assert response.status_code == 404
    assert b"60.0" not in response.content and b"0.6" not in response.content


def test_a_bad_parameter_is_a_clear_message_and_no_figures(figures, client_for):
    client = client_for(figures.county_admin)
    response = client.get("/insights/visualizer/?m=ind:htn_std_mgmt&year=abc")
    assert response.status_code == 400
    assert "参数 year" in response.content.decode()
    api = client.get("/api/v1/insights/data?m=bogus")
    assert api.status_code == 400 and "参数 m" in api.content.decode()


def test_a_saved_view_opens_by_its_url_and_is_audited(figures, client_for):
    client = client_for(figures.county_admin)
    query = VIEW.format(A=figures.tree.A.code)
    response = client.post("/insights/views/save/", {"name": "高血压规范管理", "query": query})
    view = SavedView.objects.get(name="高血压规范管理")
    assert response.url == f"/insights/views/{view.pk}/"
    opened = client.get(response.url)
    assert opened.status_code == 302 and "m=ind%3Ahtn_std_mgmt" in opened.url
    assert AuditEvent.objects.filter(action="insights.save_view", object_id=str(view.pk)).exists()


def test_saving_without_a_name_changes_nothing(figures, client_for):
    client = client_for(figures.county_admin)
    client.post("/insights/views/save/", {"name": " ", "query": VIEW.format(A="x")})
    assert not SavedView.objects.exists()


def test_a_view_is_private_until_shared(figures, client_for):
    t = figures.tree
    view = actions.do_save_view(figures.county_admin, "私有", validate(
        {"measures": ["ind:htn_std_mgmt"], "root": t.A.code}))
    other = client_for(figures.analyst)  # also county A
    assert other.get(f"/insights/views/{view.pk}/").status_code == 404
    actions.do_share_view(figures.county_admin, view, True)
    assert other.get(f"/insights/views/{view.pk}/").status_code == 302
    assert client_for(figures.county_reviewer_b).get(
        f"/insights/views/{view.pk}/").status_code == 404


def test_only_views_and_maps_of_the_platform_can_be_pinned_by_url(figures):
    from jiceng.core.errors import UserError

    for bad in ["https://example.org/maps/", "/users/", "//evil/maps/"]:
        with pytest.raises(UserError):
            actions.do_pin(figures.county_admin, "x", url=bad)
    pin = actions.do_pin(figures.county_admin, "地图", url="/maps/view/?level=township")
    assert pin.target == "/maps/view/?level=township"
    assert Pin.objects.count() == 1


def test_a_published_dashboard_reaches_everyone_below_and_opens_on_their_own_region(
    figures, client_for
):
    t = figures.tree
    admin = figures.county_admin
    view = actions.do_save_view(admin, "各单位规范管理率", validate(
        {"measures": ["ind:htn_std_mgmt"], "root": t.A.code, "year": 2025}))
    actions.do_pin(admin, "", view=view)
    published = actions.do_publish_dashboard(admin)
    assert len(published) == 1 and published[0].node == t.A
    clerk = figures.clerk  # TA1, below A
    assert [p.title for p in actions.dashboard_pins(clerk)] == ["各单位规范管理率"]
    assert actions.dashboard_pins(figures.county_reviewer_b) == []  # county B
    opened = client_for(clerk).get(f"/insights/views/{view.pk}/")
    assert f"root={t.TA1.code}" in opened.url  # the clerk's own region, not A
    page = client_for(clerk).get("/insights/").content.decode()
    assert "各单位规范管理率" in page


def test_a_reviewer_may_not_publish_a_dashboard(figures):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_publish_dashboard(figures.county_reviewer)
    assert not Pin.objects.exists()


def test_a_visualizer_address_pinned_is_drawn_on_the_dashboard(figures, client_for):
    t = figures.tree
    actions.do_pin(figures.county_admin, "按地址固定", url=_url(figures))
    page = client_for(figures.county_admin).get("/insights/").content.decode()
    pin = Pin.objects.get(title="按地址固定")
    import json
    import re

    found = re.search(rf'<script id="pin-spec-{pin.pk}" type="application/json">(.*?)</script>',
                      page, re.S)
    assert found, "the pinned view's chart data is on the dashboard"
    spec = json.loads(found.group(1))
    assert spec["categories"] == [t.TA1.name, t.TA2.name, t.CA1.name]


def test_units_may_be_listed_in_one_field_separated_by_spaces_or_commas(figures, client_for):
    t = figures.tree
    client = client_for(figures.county_admin)
    page = client.get(f"/insights/visualizer/?m=ledger:open&root={t.A.code}&level=units"
                      f"&unit={t.TA1.code}, {t.VA1.code}&pt=year&year=2025").content.decode()
    assert f'data-code="{t.TA1.code}"' in page and f'data-code="{t.VA1.code}"' in page
    assert f'data-code="{t.TA2.code}"' not in page


def test_only_the_periods_of_the_targets_year_are_marked_below_target(figures, client_for):
    import re

    page = client_for(figures.county_admin).get(_url(figures)).content.decode()
    row = re.search(rf'<tr data-code="{figures.tree.TA1.code}">(.*?)</tr>', page, re.S).group(1)
    # TA1: 2024 50% and 2025 60%, target 65% for 2025: only 2025 is red
    assert re.findall(r'class="num( miss)?"', row) == ["", "", "", "", " miss"]
