"""The scope matrix of every ledger page and API endpoint: role × own/other county × action.

Outside the user's sight → 404; visible but not allowed → 403; allowed → done.
County A holds the entries ``a`` (open, TA1), ``r`` (reported fixed, TA1, with evidence)
and the visit ``va`` (to county A, finding at TA1); county B holds ``b`` (open, TB1).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiceng.rectification.actions import (
    FindingInput,
    do_open_entry,
    do_record_visit,
    do_report_fixed,
)

from .conftest import PDF, upload

pytestmark = pytest.mark.django_db

# who: sees county A's ledger, sees county B's ledger
SEES = {
    "clerk": (True, False),
    "village_clerk": (False, False),
    "county_reviewer": (True, False),
    "county_reviewer_b": (False, True),
    "city_reviewer": (True, True),
    "province_reviewer": (True, True),
    "analyst": (True, False),
    "county_admin": (True, False),
    "province_admin": (True, True),
}
# who: report a, close r, send back r, extend a, open an entry at TA1, record a visit to A
ACTS = {
    "clerk": (200, 403, 403, 403, 403, 404),
    "village_clerk": (404, 404, 404, 404, 404, 404),
    "county_reviewer": (403, 200, 200, 200, 201, 201),
    "county_reviewer_b": (404, 404, 404, 404, 404, 404),
    "city_reviewer": (403, 200, 200, 200, 201, 201),
    "province_reviewer": (403, 200, 200, 200, 201, 201),
    "analyst": (403, 403, 403, 403, 403, 403),
    "county_admin": (403, 403, 403, 403, 403, 403),
    "province_admin": (403, 403, 403, 403, 403, 403),
}
PAGE = {200: 302, 201: 302, 403: 403, 404: 404}  # a page redirects where the API answers
# The forms "open an entry" and "record a visit" are pages of their own: a user who may
# not supervise anywhere gets 403; a reviewer of county B finds TA1 / county A missing
# from the form's choices (400, nothing saved).
FORM_PAGES = {
    "clerk": 403,
    "village_clerk": 403,
    "county_reviewer": 302,
    "county_reviewer_b": 400,
    "city_reviewer": 302,
    "province_reviewer": 302,
    "analyst": 403,
    "county_admin": 403,
    "province_admin": 403,
}


@pytest.fixture
def world(personas, today):
    t = personas.tree
    rev, rev_b = personas.county_reviewer, personas.county_reviewer_b
    later = today + dt.timedelta(days=20)
    w = {
        "a": do_open_entry(rev, t.TA1, description="甲", responsible="r", deadline=later),
        "r": do_open_entry(rev, t.TA1, description="乙", responsible="r", deadline=later),
        "b": do_open_entry(rev_b, t.TB1, description="丙", responsible="r", deadline=later),
    }
    do_report_fixed(personas.clerk, w["r"], measures="m", files=[upload("证明.pdf", PDF)])
    w["ev"] = w["r"].evidence.get()
    w["va"] = do_record_visit(
        rev, t.A, visited_on=today, team="督导组", findings=[FindingInput(t.TA1, "问题", later)]
    )
    w["vb"] = do_record_visit(
        rev_b, t.B, visited_on=today, team="督导组", findings=[FindingInput(t.TB1, "问题", later)]
    )
    return w


def token_headers(user) -> dict:
    from jiceng.accounts.models import ApiToken, hash_token

    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:8], token_hash=hash_token(raw))
    return {"Authorization": f"Bearer {raw}"}


def ok(seen: bool) -> int:
    return 200 if seen else 404


@pytest.mark.parametrize("who", list(SEES))
def test_reading_pages_and_endpoints(who, personas, world, client_for):
    sees_a, sees_b = SEES[who]
    c = client_for(getattr(personas, who))
    for name in ("ledger", "export", "summary", "visits", "visit_new", "entry_new"):
        status = c.get(reverse(f"rectification:{name}")).status_code
        if name in ("visit_new", "entry_new"):
            assert status in (200, 403), name
        else:
            assert status == 200, name
    checks = [
        (reverse("rectification:entry", args=[world["a"].pk]), sees_a),
        (reverse("rectification:entry", args=[world["b"].pk]), sees_b),
        (reverse("rectification:evidence", args=[world["ev"].pk]), sees_a),
        (reverse("rectification:visit", args=[world["va"].pk]), sees_a),
        (reverse("rectification:visit", args=[world["vb"].pk]), sees_b),
    ]
    for url, seen in checks:
        assert c.get(url).status_code == ok(seen), url
    h = token_headers(getattr(personas, who))
    api = "/api/v1/rectification"
    for path, seen in [
        (f"/entries/{world['a'].pk}", sees_a),
        (f"/entries/{world['b'].pk}", sees_b),
        (f"/visits/{world['va'].pk}", sees_a),
        (f"/visits/{world['vb'].pk}", sees_b),
    ]:
        assert c.get(api + path, headers=h).status_code == ok(seen), path
    listed = {e["id"] for e in c.get(api + "/entries", headers=h).json()["items"]}
    assert (world["a"].pk in listed) == sees_a and (world["b"].pk in listed) == sees_b
    visits = {v["id"] for v in c.get(api + "/visits", headers=h).json()["items"]}
    assert (world["va"].pk in visits) == sees_a and (world["vb"].pk in visits) == sees_b
    assert c.get(api + "/counts", headers=h).status_code == 200


@pytest.mark.parametrize("who", list(ACTS))
def test_acting_through_the_api(who, personas, world, client, today):
    report, close, send_back, extend, open_, visit = ACTS[who]
    t = personas.tree
    h = token_headers(getattr(personas, who))
    api = "/api/v1/rectification"
    a, r = world["a"], world["r"]

    def post(path, body):
        return client.post(api + path, body, content_type="application/json", headers=h)

    got = client.post(
        f"{api}/entries/{a.pk}/report-fixed",
        {"measures": "m", "responsible": "r", "files": [upload("x.pdf", PDF)]},
        headers=h,
    ).status_code
    assert got == report, "report"
    assert post(f"/entries/{r.pk}/send-back", {"reason": "不足"}).status_code == send_back
    if send_back == 200:
        do_report_fixed(personas.clerk, r, measures="m2", files=[])
    assert post(f"/entries/{r.pk}/verify-close", {"note": ""}).status_code == close
    later = (today + dt.timedelta(days=60)).isoformat()
    got = post(
        f"/entries/{world['b' if who == 'county_reviewer_b' else 'a'].pk}/extend",
        {"deadline": later, "reason": "采购中"},
    ).status_code
    assert got == (200 if who == "county_reviewer_b" else extend), "extend"
    got = post("/entries", {"institution": t.TA1.code, "description": "x", "deadline": later})
    assert got.status_code == open_, "open"
    got = post("/visits", {"node": t.A.code, "visited_on": today.isoformat(), "team": "组"})
    assert got.status_code == visit, "visit"


@pytest.mark.parametrize("who", list(ACTS))
def test_acting_through_the_pages(who, personas, world, client_for, today):
    report, close, send_back, extend = (PAGE[x] for x in ACTS[who][:4])
    t = personas.tree
    c = client_for(getattr(personas, who))
    a, r = world["a"], world["r"]
    got = c.post(
        reverse("rectification:report_fixed", args=[a.pk]),
        {"measures": "m", "responsible": "r", "evidence": [upload("x.pdf", PDF)]},
    )
    assert got.status_code == report, "report"
    got = c.post(reverse("rectification:send_back", args=[r.pk]), {"reason": "不足"})
    assert got.status_code == send_back, "send back"
    if send_back == 302:
        do_report_fixed(personas.clerk, r, measures="m2", files=[])
    got = c.post(reverse("rectification:verify_close", args=[r.pk]), {"note": ""})
    assert got.status_code == close, "close"
    later = (today + dt.timedelta(days=60)).isoformat()
    got = c.post(
        reverse("rectification:extend_deadline", args=[a.pk]), {"deadline": later, "reason": "x"}
    )
    assert got.status_code == extend, "extend"
    got = c.post(
        reverse("rectification:entry_new"),
        {"institution": t.TA1.code, "source": "other", "description": "x", "deadline": later},
    )
    assert got.status_code == FORM_PAGES[who], "open"
    got = c.post(
        reverse("rectification:visit_new"),
        {
            "node": t.A.code,
            "visited_on": today.isoformat(),
            "kind": "supervision",
            "team": "组",
            "f-TOTAL_FORMS": "0",
            "f-INITIAL_FORMS": "0",
        },
    )
    assert got.status_code == FORM_PAGES[who], "visit"
