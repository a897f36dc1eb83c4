"""The page cache (jiceng.core.pagecache): parts of pages kept per region, and every write
that changes them seen at once on the next view."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.core import audit, pagecache
from jiceng.rectification.actions import do_open_entry


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    """The cache is off in other tests (tests/conftest.py); here it is on, and empty: a
    rolled-back database numbers its rows from the same values again."""
    from django.core.cache import cache

    settings.JICENG_PAGE_CACHE_SECONDS = 600
    cache.clear()


def _n(path: str, kinds=pagecache.KINDS) -> int:
    """The number of writes counted for ``path`` (the version without its time stamp)."""
    return int(pagecache.version(path, kinds).split(".")[0])


def _home_html(client) -> str:
    return "".join(p["html"] for p in client.get("/").context["panels"])


def _open(personas, institution, text):
    return do_open_entry(
        personas.city_reviewer,
        institution,
        description=text,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )


def test_a_write_is_seen_at_once_on_the_next_home_view(personas, client_for):
    t = personas.tree
    _open(personas, t.TA1, "第一条问题")
    client = client_for(personas.county_admin)
    before = _home_html(client)
    assert _home_html(client) == before  # served again from the cache
    n = _n(t.A.path)
    _open(personas, t.VA1, "第二条问题")
    assert _n(t.A.path) == n + 1
    after = _home_html(client)
    assert after != before


def test_the_second_view_of_the_home_page_reads_its_panels_from_the_cache(personas, client_for):
    _open(personas, personas.tree.TA1, "一条问题")
    client = client_for(personas.county_admin)
    with CaptureQueriesContext(connection) as first:
        client.get("/")
    with CaptureQueriesContext(connection) as second:
        client.get("/")
    assert len(second) < len(first) - 3, (len(first), len(second))


def test_a_write_in_another_county_leaves_the_cached_region_alone(personas):
    t = personas.tree
    start_a, start_c = pagecache.version(t.A.path), _n(t.C.path)
    _open(personas, t.TB1, "乙县的问题")  # county B, sibling of A
    assert pagecache.version(t.A.path) == start_a
    assert _n(t.C.path) == start_c + 1  # the city above sees it
    assert _n(t.TB1.path) > 0


def test_a_write_above_a_region_counts_for_it(personas):
    t = personas.tree
    start = _n(t.VA1.path)
    audit.record(None, "test.city_write", t.C)  # e.g. a cycle opened for the city
    assert _n(t.VA1.path) == start + 1
    audit.record(None, "test.global_write", personas.province_admin, node_path="/")
    assert _n(t.VA1.path) == start + 2


def test_a_draft_grade_leaves_what_does_not_show_grades_cached(personas):
    t = personas.tree
    data_only = pagecache.version(t.A.path, (pagecache.DATA,))
    everything = pagecache.version(t.A.path)
    audit.record(personas.clerk, "assessments.save_draft_grade.self", t.TA1)
    assert pagecache.version(t.A.path, (pagecache.DATA,)) == data_only  # e.g. the progress board
    assert pagecache.version(t.A.path) != everything
    ledger = pagecache.version(t.A.path, (pagecache.DATA, pagecache.LEDGER))
    _open(personas, t.TA1, "一条问题")
    assert pagecache.version(t.A.path, (pagecache.DATA, pagecache.LEDGER)) != ledger


def test_a_version_does_not_come_back_when_the_data_is_emptied(personas):
    from jiceng.core.models import DataVersion

    t = personas.tree
    DataVersion.objects.all().delete()
    audit.record(None, "test.write", t.TA1)
    before = pagecache.version(t.A.path)
    DataVersion.objects.all().delete()  # e.g. demo --reset, or a restored backup
    audit.record(None, "test.write", t.TA1)
    assert _n(t.A.path) == 1 and pagecache.version(t.A.path) != before


def test_the_ledger_summary_shows_a_new_entry_at_once(personas, client_for):
    t = personas.tree
    _open(personas, t.TA1, "一条问题")
    client = client_for(personas.county_admin)

    def page() -> str:  # without the CSRF token, which is masked anew on every answer
        html = client.get("/rectification/summary/").content.decode()
        return re.sub(r"[A-Za-z0-9]{64}", "", html)

    first = page()
    assert page() == first
    _open(personas, t.VA1, "第二条问题")
    assert page() != first


def test_a_download_is_no_write(personas):
    t = personas.tree
    start = pagecache.version(t.A.path)
    audit.record_download(personas.county_admin, "ledger_export", t.A)
    assert pagecache.version(t.A.path) == start


def test_each_user_gets_their_own_panels_from_the_cache(personas, client_for):
    t = personas.tree
    _open(personas, t.TA1, "一条问题")
    admin_html = _home_html(client_for(personas.county_admin))
    clerk_html = _home_html(client_for(personas.clerk))
    assert admin_html != clerk_html
    assert 'data-panel="admin"' not in clerk_html


def test_the_cache_can_be_turned_off(personas, rf, settings):
    request = rf.get("/")
    request.user = personas.county_admin
    calls = []

    def compute():
        calls.append(1)
        return "html"

    for _ in range(2):
        assert pagecache.cached(request, "test", personas.tree.A.path, compute) == "html"
    assert len(calls) == 1
    settings.JICENG_PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        assert pagecache.cached(request, "test", personas.tree.A.path, compute) == "html"
    assert len(calls) == 3


def test_a_part_with_a_csrf_token_is_never_kept(personas, rf):
    request = rf.get("/")
    request.user = personas.county_admin
    calls = []

    def compute():
        calls.append(1)
        return '<input name="csrfmiddlewaretoken" value="x">'

    for _ in range(2):
        pagecache.cached(request, "form", personas.tree.A.path, compute)
    assert len(calls) == 2
