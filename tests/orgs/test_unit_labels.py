"""Every region or unit drop-down names a unit with its parent chain (issue 8, 8).

At province scale several counties share a name; a list of bare names (清河县 three times)
cannot tell them apart. Two cities of the test province each get a county named 甲县.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from jiceng.orgs import labels

pytestmark = pytest.mark.django_db

PAGES = [
    ("/rectification/", "province_admin"),
    ("/rectification/visits/new/", "province_reviewer"),
    ("/rectification/new/", "province_reviewer"),
    ("/evaluation/cycles/new/", "province_admin"),
    ("/evaluation/progress/", "province_admin"),
    ("/evaluation/publication/", "province_admin"),
    ("/standards/upload/", "province_admin"),
    ("/users/new/", "province_admin"),
    ("/indicators/recordsets/", "province_admin"),
    ("/indicators/targets/", "province_admin"),
]


@pytest.fixture
def twin(tree):
    from jiceng.orgs.actions import do_create_node

    city = do_create_node(None, code="330200000000", name="第二市", kind="city", parent=tree.P)
    county = do_create_node(None, code="330201000000", name="甲县", kind="county", parent=city)
    do_create_node(
        None, code="330201100000", name="甲一镇卫生院", kind="township_hc", parent=county
    )
    return county


def option_lists(html: str) -> list[list[str]]:
    """The option texts of every <select> and <datalist> on the page."""
    out = []
    for m in re.finditer(r"<(select|datalist)\b.*?</\1>", html, re.S):
        texts = re.findall(r"<option[^>]*>([^<]*)</option>", m[0])
        out.append([t.strip() for t in texts])
    return out


def test_chain_labels_leave_out_the_users_region_and_cost_one_query(
    tree, twin, django_assert_num_queries
):
    with django_assert_num_queries(1):
        got = labels.chain_labels([tree.A, twin, tree.TA1, tree.P], top=tree.P)
    assert got[tree.A.pk] == "测试市 / 甲县"
    assert got[twin.pk] == "第二市 / 甲县"
    assert got[tree.TA1.pk] == "测试市 / 甲县 / 甲一镇卫生院"
    assert got[tree.P.pk] == "测试省"
    assert labels.chain_labels([tree.TA1], top=tree.A)[tree.TA1.pk] == "甲一镇卫生院"


@pytest.mark.parametrize(("url", "persona"), PAGES)
def test_no_drop_down_lists_two_units_under_the_same_name(personas, twin, client_for, url, persona):
    client = client_for(getattr(personas, persona))
    r = client.get(url)
    assert r.status_code == 200, url
    lists = [o for o in option_lists(r.content.decode()) if any("甲县" in t for t in o)]
    assert lists, f"{url}: no unit drop-down found"
    for options in lists:
        twice = [t for t, n in Counter(options).items() if n > 1]
        assert not twice, (url, twice)
        for city in ("测试市", "第二市"):  # the county itself, or a unit inside it
            assert any(t.startswith(f"{city} / 甲县") for t in options), (url, city, options)


@pytest.mark.parametrize(("url", "persona"), PAGES)
def test_the_drop_down_pages_cost_the_same_queries_however_big_the_tree(
    personas, twin, client_for, url, persona
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiceng.orgs.actions import do_create_node

    client = client_for(getattr(personas, persona))

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(2, 6):
        county = do_create_node(
            None, code=f"33020{n}000000", name="甲县", kind="county", parent=twin.parent
        )
        do_create_node(
            None, code=f"33020{n}100000", name=f"镇{n}", kind="township_hc", parent=county
        )
    assert count() == before
