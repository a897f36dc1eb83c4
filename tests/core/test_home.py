"""The home page: one registry of panels, the built-in panels per role, the navigation."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string

from jiceng.core import home, nav


def _panels(response) -> str:
    return "".join(p["html"] for p in response.context["panels"])


def test_a_clerk_sees_their_unit_and_institution_with_its_villages(personas, client_for):
    t = personas.tree
    html = _panels(client_for(personas.clerk).get("/"))
    assert 'data-panel="institution"' in html
    assert 'data-panel="unit"' not in html  # the same unit: shown once
    assert "测试省 › 测试市 › 甲县 ›" in html and t.TA1.code in html
    assert f'data-code="{t.VA1.code}"' in html and f'data-code="{t.VA2.code}"' in html
    assert 'data-panel="region"' not in html
    assert 'data-panel="admin"' not in html
    assert re.search(r">2,?100<", html)  # permanent residents of VA1 + VA2


def test_a_county_reviewer_sees_the_institutions_of_the_county_by_type(personas, client_for):
    t = personas.tree
    response = client_for(personas.county_reviewer).get("/")
    region = next(p for p in response.context["panels"] if 'data-panel="region"' in p["html"])
    html = region["html"]
    for code in (t.TA1.code, t.TA2.code, t.CA1.code):
        assert f'data-code="{code}"' in html
    assert t.TB1.code not in html and t.B.name not in html
    assert 'data-kind="township_hc"><span class="n">2<' in html
    assert 'data-kind="village_clinic"><span class="n">3<' in html
    assert 'data-kind="community_station"><span class="n">1<' in html


def test_the_city_reviewer_sees_both_counties_with_their_institution_counts(personas, client_for):
    response = client_for(personas.city_reviewer).get("/")
    html = _panels(response)
    assert "甲县" in html and "乙县" in html
    assert "机构总数" in html


@pytest.mark.parametrize("who", ["county_admin", "province_admin"])
def test_administrators_get_the_shortcuts(personas, client_for, who):
    html = _panels(client_for(getattr(personas, who)).get("/"))
    assert 'data-panel="admin"' in html
    assert 'href="/users/"' in html and 'href="/audit/"' in html and "/orgs/import/" in html
    assert "导入组织机构" in html


def test_a_user_without_a_unit_is_told_so(db, client_for):
    from jiceng.accounts.models import User

    lost = User.objects.create_user(username="lost", password="x", role="analyst")
    html = _panels(client_for(lost).get("/"))
    assert "尚未关联任何组织机构" in html


def test_the_home_page_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_app_adds_a_panel_without_touching_the_view(personas, client_for):
    def hello(request):
        if request.user.role != "analyst":
            return None
        return {"template": "core/progress.html", "percent": 42, "label": "panel-from-test"}

    home.register_panel(hello, order=1)
    try:
        seen = _panels(client_for(personas.analyst).get("/"))
        assert "panel-from-test" in seen and "42%" in seen
        client = client_for(personas.clerk)
        assert "panel-from-test" not in _panels(client.get("/"))
    finally:
        home._PANELS.pop(home.Panel(hello, 1).key)


def test_the_navigation_shows_admin_entries_only_to_administrators(personas, client_for):
    admin_nav = [i["url"] for i in client_for(personas.county_admin).get("/").context["nav_items"]]
    clerk_nav = [i["url"] for i in client_for(personas.clerk).get("/").context["nav_items"]]
    assert "/users/" in admin_nav and "/audit/" in admin_nav
    assert "/users/" not in clerk_nav and "/audit/" not in clerk_nav
    assert clerk_nav[0] == "/" and "/orgs/" in clerk_nav


def test_a_nav_entry_is_replaced_by_name_and_skipped_when_its_url_is_missing(personas):
    before = nav._ENTRIES.copy()
    try:
        nav.register("X", "no-such:page")
        nav.register("Tree (renamed)", "orgs:tree", order=10)
        items = nav.items_for(personas.clerk, "/orgs/")
        labels = [str(i["label"]) for i in items]
        assert "X" not in labels
        assert labels.count("Tree (renamed)") == 1
        assert next(i for i in items if i["url"] == "/orgs/")["active"]
    finally:
        nav._ENTRIES.clear()
        nav._ENTRIES.update(before)


def test_the_progress_component_polls_while_running_and_stops_when_done():
    running = render_to_string(
        "core/progress.html", {"percent": 30, "poll_url": "/job/1/", "label": "计算中"}
    )
    assert 'hx-get="/job/1/"' in running and "every 2s" in running
    assert 'aria-valuenow="30"' in running and 'value="30"' in running
    done = render_to_string(
        "core/progress.html", {"percent": 100, "poll_url": "/job/1/", "state": "done"}
    )
    assert "hx-get" not in done and "progress done" in done


def test_the_home_page_does_not_query_once_per_unit(personas, client_for):
    """The region panel counts every child in one query: more units, same query count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiceng.orgs.actions import do_create_node

    client = client_for(personas.city_reviewer)

    def count() -> int:
        client.get("/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(3, 7):
        county = do_create_node(
            None, code=f"33010{n}000000", name=f"县{n}", kind="county", parent=personas.tree.C
        )
        do_create_node(
            None, code=f"33010{n}100000", name=f"镇{n}", kind="township_hc", parent=county
        )
    assert count() == before
