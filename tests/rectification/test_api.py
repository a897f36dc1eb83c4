"""The ledger API at /api/v1/rectification/: list, detail, open, report, verify, visits."""

from __future__ import annotations

import datetime as dt

import pytest

from jiceng.rectification.actions import do_open_entry
from jiceng.rectification.models import LedgerEntry, Status

from .conftest import EXE, PDF, upload

pytestmark = pytest.mark.django_db


def make_token(user) -> str:
    from jiceng.accounts.models import ApiToken, hash_token

    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name="t", prefix=raw[:8], token_hash=hash_token(raw))
    return raw


@pytest.fixture
def api(client):
    def for_user(user):
        headers = {"Authorization": f"Bearer {make_token(user)}"}

        def call(method, path, **kwargs):
            if "json" in kwargs:
                kwargs["data"] = kwargs.pop("json")
                kwargs["content_type"] = "application/json"
            fn = getattr(client, method.lower())
            return fn(f"/api/v1/rectification{path}", headers=headers, **kwargs)

        return call

    return for_user


@pytest.fixture
def two(personas, today):
    t = personas.tree
    a = do_open_entry(
        personas.county_reviewer,
        t.TA1,
        description="问题甲",
        responsible="王",
        deadline=today - dt.timedelta(days=2),
        opened_on=today - dt.timedelta(days=10),
    )
    b = do_open_entry(
        personas.county_reviewer_b, t.TB1, description="问题乙", responsible="赵", deadline=today
    )
    return a, b


def test_the_list_is_limited_to_the_callers_subtree_and_filters(personas, two, api):
    a, b = two
    r = api(personas.county_reviewer)("get", "/entries")
    assert r.status_code == 200
    body = r.json()
    assert [e["id"] for e in body["items"]] == [a.pk]
    assert body["items"][0]["overdue"] is True and body["items"][0]["days_overdue"] == 2
    city = api(personas.city_reviewer)
    assert city("get", "/entries").json()["count"] == 2
    assert [e["id"] for e in city("get", "/entries?overdue=true").json()["items"]] == [a.pk]
    assert city("get", f"/entries?region={personas.tree.B.code}").json()["items"][0]["id"] == b.pk
    assert city("get", "/entries?status=closed").json()["count"] == 0


def test_an_entry_outside_the_subtree_is_404_and_a_region_outside_too(personas, two, api):
    a, b = two
    call = api(personas.county_reviewer)
    assert call("get", f"/entries/{b.pk}").status_code == 404
    assert call("get", f"/entries?region={personas.tree.B.code}").status_code == 404
    assert call("get", f"/entries/{a.pk}").json()["history"][0]["kind"] == "opened"


def test_the_whole_flow_through_the_api(personas, two, api):
    a, _b = two
    r = api(personas.clerk)(
        "post",
        f"/entries/{a.pk}/report-fixed",
        data={"measures": "已整改", "files": [upload("a.pdf", PDF)]},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "reported_fixed"
    assert r.json()["evidence"][0]["kind"] == "pdf"
    reviewer = api(personas.county_reviewer)
    r = reviewer("post", f"/entries/{a.pk}/send-back", json={"reason": "材料不全"})
    assert r.json()["status"] == "open"
    api(personas.clerk)("post", f"/entries/{a.pk}/report-fixed", data={"measures": "补充"})
    r = reviewer("post", f"/entries/{a.pk}/verify-close", json={"note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["verified_by"] == personas.county_reviewer.username


def test_bad_input_is_422_with_the_field_and_changes_nothing(personas, two, api):
    a, _b = two
    r = api(personas.clerk)(
        "post",
        f"/entries/{a.pk}/report-fixed",
        data={"measures": "x", "files": [upload("evil.exe", EXE)]},
    )
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["file"] == "evil.exe" and err["field"] == "evidence"
    assert "不接受" in err["message"]
    a.refresh_from_db()
    assert a.status == Status.OPEN
    r = api(personas.county_reviewer)(
        "post", f"/entries/{a.pk}/extend", json={"deadline": a.deadline.isoformat(), "reason": ""}
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"deadline", "reason"}


def test_actions_the_caller_may_not_take_are_403(personas, two, api):
    a, _b = two
    assert (
        api(personas.analyst)("post", f"/entries/{a.pk}/verify-close", json={}).status_code == 403
    )
    r = api(personas.county_reviewer)(
        "post", f"/entries/{a.pk}/report-fixed", data={"measures": "x"}
    )
    assert r.status_code == 403
    r = api(personas.clerk)(
        "post",
        "/entries",
        json={"institution": personas.tree.TA1.code, "description": "x", "deadline": "2030-01-01"},
    )
    assert r.status_code == 403
    r = api(personas.county_reviewer_b)(
        "post",
        "/entries",
        json={"institution": personas.tree.TA1.code, "description": "x", "deadline": "2030-01-01"},
    )
    assert r.status_code == 404


def test_a_visit_is_recorded_through_the_api_and_listed(personas, api, today):
    t = personas.tree
    call = api(personas.county_reviewer)
    r = call(
        "post",
        "/visits",
        json={
            "node": t.A.code,
            "visited_on": today.isoformat(),
            "team": "督导组",
            "findings": [
                {"institution": t.TA1.code, "description": "问题一", "deadline": today.isoformat()},
                {"institution": t.CA1.code, "description": "问题二", "deadline": today.isoformat()},
            ],
        },
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["entries"]) == 2
    listed = call("get", "/visits").json()
    assert [v["id"] for v in listed["items"]] == [r.json()["id"]] and listed["count"] == 1
    assert listed["items"][0]["entries"] == r.json()["entries"]
    assert api(personas.county_reviewer_b)("get", f"/visits/{r.json()['id']}").status_code == 404


def test_a_visit_naming_an_unknown_institution_is_refused_whole(personas, api, today):
    t = personas.tree
    r = api(personas.county_reviewer)(
        "post",
        "/visits",
        json={
            "node": t.A.code,
            "visited_on": today.isoformat(),
            "team": "督导组",
            "findings": [
                {"institution": t.TA1.code, "description": "问题一", "deadline": today.isoformat()},
                {"institution": t.TB1.code, "description": "问题二", "deadline": today.isoformat()},
            ],
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["row"] == 2
    assert not LedgerEntry.objects.exists()


def test_counts_by_county_and_source(personas, two, api):
    body = api(personas.city_reviewer)("get", "/counts").json()
    by_county = {r["key"]: r for r in body["by_county"]}
    assert by_county[personas.tree.A.code]["overdue"] == 1
    assert by_county[personas.tree.B.code]["open"] == 1
    other = [r for r in body["by_source"] if r["key"] == "other"][0]
    assert other["total"] == 2 and other["name"] == "其他"


def test_evidence_is_removed_through_the_api_only_by_the_institution(personas, two, api):
    from jiceng.rectification.actions import do_report_fixed, do_send_back

    a, _b = two
    do_report_fixed(personas.clerk, a, measures="m", files=[upload("a.pdf", PDF)])
    do_send_back(personas.county_reviewer, a, reason="重传")
    ev = a.evidence.get()
    path = f"/entries/{a.pk}/evidence/{ev.pk}"
    assert api(personas.county_reviewer)("delete", path).status_code == 403
    assert api(personas.county_reviewer_b)("delete", path).status_code == 404
    assert api(personas.clerk)("delete", path).status_code == 204
    assert not a.evidence.exists()
