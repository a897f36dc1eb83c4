"""Publishing (issue 8, defect 7): the page says what is missing, by the level each
institution waits at; publishing asks to confirm; an incomplete list is refused whole.
And the cycle page lists each catalog and the sub-navigation once (defect 8)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.assessments.models import Publication, Stage, Submission

from .conftest import all_grades, open_cycle, submit

pytestmark = pytest.mark.django_db


def page_of(client, region, year=2025) -> str:
    r = client.get(f"/evaluation/publication/?region={region.code}&year={year}")
    assert r.status_code == 200
    return r.content.decode()


def take_all_through_county(cyc):
    from jiceng.assessments import actions as A

    for sub in Submission.objects.filter(cycle=cyc.cycle):
        sub = A.do_save_grades(None, sub, "self", all_grades("A"), version=sub.version)
        sub = A.do_submit(None, sub, version=sub.version)
        basic = all_grades("B", **{"2_1_1": "D"})  # recommended not reached: no re-check
        sub = A.do_save_grades(None, sub, "county", basic, version=sub.version)
        A.do_pass_county(None, sub, version=sub.version)


def test_the_page_lists_the_institutions_without_a_verdict_by_level_and_offers_no_publish(
    cyc, client_for
):
    submit(cyc.p, cyc.sub)
    page = page_of(client_for(cyc.p.county_admin), cyc.t.A)
    assert 'data-testid="publish-blocked"' in page
    n = Submission.objects.filter(cycle=cyc.cycle).count()
    assert f"尚有 {n} 家机构没有最终评定结果" in page
    assert "等待县级评价：1 家机构" in page and f"等待自评：{n - 1} 家机构" in page
    assert cyc.t.TA1.name in page and cyc.t.TA2.name in page
    assert 'action="/evaluation/publication/publish/"' not in page


def test_publishing_asks_to_confirm_and_then_publishes_every_institution(cyc, client_for):
    take_all_through_county(cyc)
    client = client_for(cyc.p.county_admin)
    page = page_of(client, cyc.t.A)
    assert 'data-testid="publish-blocked"' not in page
    assert 'action="/evaluation/publication/publish/"' in page
    post = {"region": cyc.t.A.code, "year": "2025", "note": "县卫健委公示"}
    r = client.post("/evaluation/publication/publish/", post)
    assert r.status_code == 200
    confirm = r.content.decode()
    assert 'data-testid="publish-confirm"' in confirm and 'name="confirmed" value="1"' in confirm
    assert "县卫健委公示" in confirm  # the note is carried to the confirmation
    assert not Publication.objects.exists()
    r = client.post("/evaluation/publication/publish/", {**post, "confirmed": "1"}, follow=True)
    n = Submission.objects.filter(cycle=cyc.cycle).count()
    assert f"名单已公示，共 {n} 家机构" in r.content.decode()
    assert Publication.objects.get().note == "县卫健委公示"
    assert set(Submission.objects.values_list("stage", flat=True)) == {Stage.PUBLISHED}


def test_a_confirmed_publish_with_a_missing_verdict_publishes_nothing(cyc, client_for):
    take_all_through_county(cyc)
    from jiceng.assessments import actions as A

    sub = Submission.objects.get(pk=cyc.sub.pk)
    A.do_reopen(cyc.p.county_admin, sub, "county", "复查", version=sub.version)
    client = client_for(cyc.p.county_admin)
    r = client.post(
        "/evaluation/publication/publish/",
        {"region": cyc.t.A.code, "year": "2025", "confirmed": "1"},
        follow=True,
    )
    assert "尚有 1 家机构没有最终评定结果" in r.content.decode()
    assert not Publication.objects.exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_publication_and_cycle_pages_cost_the_same_queries_for_a_small_and_a_large_county(
    cyc, client_for
):
    other = open_cycle(cyc.t.B)  # county B has 2 institutions, county A 7
    client = client_for(cyc.p.province_admin)
    client.get("/evaluation/")  # the first request after logging in saves the session
    small = _queries(client, f"/evaluation/publication/?region={cyc.t.B.code}&year=2025")
    large = _queries(client, f"/evaluation/publication/?region={cyc.t.A.code}&year=2025")
    assert small == large
    small = _queries(client, f"/evaluation/cycles/{other.pk}/")
    large = _queries(client, f"/evaluation/cycles/{cyc.cycle.pk}/")
    assert small == large


def test_the_cycle_page_names_each_catalog_and_shows_the_sub_navigation_once(cyc, client_for):
    page = (
        client_for(cyc.p.county_admin).get(f"/evaluation/cycles/{cyc.cycle.pk}/").content.decode()
    )
    assert page.count('data-testid="evaluation-subnav"') == 1
    assert page.count("测试标准") == 1
    assert page.count(">进度看板<") == 1 and page.count(">公示名单<") == 1
    assert "乡镇卫生院" in page.split('data-testid="cycle-catalogs"')[1].split("</dd>")[0]
    assert f"/evaluation/progress/?region={cyc.t.A.code}&amp;year=2025" in page
