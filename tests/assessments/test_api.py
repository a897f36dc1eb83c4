"""The evaluation API: scope (404/403), bad input (422), optimistic locking (409)."""

from __future__ import annotations

import json

import pytest

from jiceng.assessments import actions as A
from jiceng.assessments.models import Stage, Submission

from .conftest import CODES, all_grades, county_pass, fresh, submit

pytestmark = pytest.mark.django_db

BASE = "/api/v1/evaluation"


def put(client, path, data):
    return client.put(path, json.dumps(data), content_type="application/json")


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def test_the_clerk_saves_grades_and_reads_them_back_with_the_version(cyc, client_for):
    c = client_for(cyc.p.clerk)
    r = put(
        c,
        f"{BASE}/submissions/{cyc.sub.pk}/grades",
        {"level": "self", "version": 1, "grades": {"1.1.1": "A"}, "remarks": {"1.1.1": "好"}},
    )
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2
    got = c.get(f"{BASE}/submissions/{cyc.sub.pk}/grades?level=self").json()
    assert got["grades"] == [{"item_code": "1.1.1", "grade": "A", "remark": "好"}]
    assert got["missing"][0] == "1.1.2"


def test_a_stale_version_is_a_409_and_nothing_changes(cyc, client_for):
    c = client_for(cyc.p.clerk)
    put(
        c,
        f"{BASE}/submissions/{cyc.sub.pk}/grades",
        {"level": "self", "version": 1, "grades": {"1.1.1": "A"}},
    )
    r = put(
        c,
        f"{BASE}/submissions/{cyc.sub.pk}/grades",
        {"level": "self", "version": 1, "grades": {"1.1.1": "D"}},
    )
    assert r.status_code == 409
    assert r.json()["detail"]
    assert fresh(cyc.sub).grades_at("self") == {"1.1.1": "A"}


def test_grades_for_items_not_in_the_catalog_are_a_422_naming_them(cyc, client_for):
    c = client_for(cyc.p.clerk)
    r = put(
        c,
        f"{BASE}/submissions/{cyc.sub.pk}/grades",
        {"level": "self", "version": 1, "grades": {"1.1.1": "A", "7.7.7": "A"}},
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["7.7.7"]
    assert fresh(cyc.sub).version == 1


def test_submitting_with_missing_items_is_a_422_listing_them(cyc, client_for):
    c = client_for(cyc.p.clerk)
    r = post(c, f"{BASE}/submissions/{cyc.sub.pk}/submit", {"version": 1})
    assert r.status_code == 422
    body = r.json()
    assert body["detail"] == "尚有 8 个条款未评分。"  # the summary; one error per item below
    assert {e["field"] for e in body["errors"]} == set(CODES)
    assert any("2.1.3" in e["message"] for e in body["errors"])


@pytest.mark.parametrize(
    "persona,status",
    [("clerk", 403), ("county_reviewer_b", 404), ("city_reviewer", 403), ("county_reviewer", 200)],
)
def test_passing_a_county_review_through_the_api_by_role(cyc, client_for, persona, status):
    sub = submit(cyc.p, cyc.sub)
    sub = A.do_save_grades(
        cyc.p.county_reviewer, sub, "county", all_grades("B", **{"2_1_1": "D"}), version=sub.version
    )
    r = post(
        client_for(getattr(cyc.p, persona)),
        f"{BASE}/submissions/{sub.pk}/pass",
        {"version": sub.version},
    )
    assert r.status_code == status
    assert fresh(sub).stage == (Stage.COUNTY_PASSED if status == 200 else Stage.SUBMITTED)


def test_the_verdict_endpoint_gives_the_reasons(cyc, client_for):
    sub = county_pass(cyc.p, submit(cyc.p, cyc.sub), all_grades("B", **{"2_1_1": "D"}))
    r = client_for(cyc.p.analyst).get(f"{BASE}/submissions/{sub.pk}/verdict")
    data = r.json()
    assert data["verdict"] == "basic"
    assert data["tiers"]["recommended"]["failed_core"] == ["2.1.1"]
    assert data["next_tier_gap"] == ["2.1.1"]


def test_publication_through_the_api_counts_by_county_and_type(cyc, client_for):
    for sub in Submission.objects.filter(cycle=cyc.cycle):
        sub = A.do_save_grades(None, sub, "self", all_grades("A"), version=sub.version)
        sub = A.do_submit(None, sub, version=sub.version)
        grades = (
            all_grades("B", **{"2_1_1": "D"})
            if sub.institution.kind != "village_clinic"
            else all_grades("D")
        )
        sub = A.do_save_grades(None, sub, "county", grades, version=sub.version)
        A.do_pass_county(None, sub, version=sub.version)
    c = client_for(cyc.p.county_admin)
    r = post(c, f"{BASE}/publications", {"region": cyc.t.A.code, "year": 2025})
    assert r.status_code == 201, r.content
    data = c.get(f"{BASE}/publications?region={cyc.t.A.code}&year=2025").json()
    assert data["total"] == 7 and data["count"] == 7 and len(data["items"]) == 7
    assert r.json()["items"] == data["items"]
    page = c.get(f"{BASE}/publications?region={cyc.t.A.code}&year=2025&page_size=5&page=2")
    assert page.json()["items"] == data["items"][5:] and page.json()["total"] == 7
    # 3 village clinics fail, 4 others (2 township, 1 community centre, 1 station) basic
    counts = {h["verdict"]: (h["count"], h["percent"]) for h in data["headline"]}
    assert counts == {"recommended": (0, 0.0), "basic": (4, 57.1), "none": (3, 42.9)}
    kinds = {row["name"]: row["counts"] for row in data["by_kind"]}
    assert kinds["村卫生室"] == [0, 0, 3]
    assert data["by_county"] == [
        {"name": "甲县", "total": 7, "counts": [0, 4, 3], "percents": [0.0, 57.1, 42.9]}
    ]
    history = c.get(f"{BASE}/institutions/{cyc.t.TA1.code}/verdicts").json()
    assert history["count"] == 1
    record_id = history["items"][0]["id"]
    r = post(
        client_for(cyc.p.city_reviewer),
        f"{BASE}/verdicts/{record_id}/lookback",
        {"outcome": "withdraw", "reason": "回头看不达标"},
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_another_county_cannot_read_or_publish_county_a(cyc, client_for):
    c = client_for(cyc.p.county_reviewer_b)
    assert c.get(f"{BASE}/submissions/{cyc.sub.pk}").status_code == 404
    assert c.get(f"{BASE}/publications?region={cyc.t.A.code}&year=2025").status_code == 404
    assert (
        post(c, f"{BASE}/publications", {"region": cyc.t.A.code, "year": 2025}).status_code == 404
    )
    assert c.get(f"{BASE}/cycles").json() == {"items": [], "count": 0}


def test_an_analyst_may_read_but_not_publish(cyc, client_for):
    c = client_for(cyc.p.analyst)
    assert c.get(f"{BASE}/cycles").status_code == 200
    assert (
        post(c, f"{BASE}/publications", {"region": cyc.t.A.code, "year": 2025}).status_code == 403
    )
    board = c.get(f"{BASE}/progress?region={cyc.t.A.code}&year=2025").json()
    assert board["rows"][0]["total"] == 7
    assert board["count"] == len(board["items"]) == 7  # the self deadline has passed
    url = f"{BASE}/progress?region={cyc.t.A.code}&year=2025&page_size=4&page=2"
    assert c.get(url).json()["items"] == board["items"][4:]
    assert c.get(f"{BASE}/consistency?region={cyc.t.A.code}&year=2025").status_code == 200


def test_the_evaluation_endpoints_are_in_the_openapi_schema(client_for, personas):
    r = client_for(personas.analyst).get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/evaluation/submissions/{pk}/grades" in paths
    assert "409" in paths["/api/v1/evaluation/submissions/{pk}/grades"]["put"]["responses"]


def _counted(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        r = client.get(url)
    assert r.status_code == 200, r.content
    return len(queries), r.json()


def test_cycles_and_their_submissions_are_paged_in_queries_that_do_not_grow(cyc, client_for):
    from .conftest import open_cycle

    county_pass(cyc.p, submit(cyc.p, cyc.sub))  # a reviewer to show
    small = open_cycle(cyc.t.B)
    c = client_for(cyc.p.city_reviewer)
    _counted(c, f"{BASE}/cycles")
    few, body_b = _counted(c, f"{BASE}/cycles/{small.pk}/submissions")
    many, body_a = _counted(c, f"{BASE}/cycles/{cyc.cycle.pk}/submissions")
    assert (body_b["count"], body_a["count"]) == (2, 7)
    assert many == few
    first = c.get(f"{BASE}/cycles/{cyc.cycle.pk}/submissions?page_size=3&page=3").json()
    assert first == {"items": body_a["items"][6:], "count": 7}
    one, cycles = _counted(c, f"{BASE}/cycles")
    open_cycle(cyc.t.A, year=2026)
    two, more = _counted(c, f"{BASE}/cycles")
    assert (cycles["count"], more["count"]) == (2, 3) and one == two
    assert more["items"][0]["year"] == 2026 and more["items"][0]["catalogs"]


def test_an_institutions_verdicts_are_paged(cyc, client_for):
    c = client_for(cyc.p.city_reviewer)
    empty = c.get(f"{BASE}/institutions/{cyc.t.TA1.code}/verdicts?page_size=5").json()
    assert empty == {"items": [], "count": 0}
    r = c.get(f"{BASE}/institutions/{cyc.t.TA1.code}/verdicts?page_size=1001")
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("page_size")
