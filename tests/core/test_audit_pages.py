"""The audit trail pages: administrators only, scoped to their subtree, filterable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiceng.core import audit
from jiceng.core.models import AuditEvent
from jiceng.core.views import AUDIT_PAGE_SIZE, diff_rows
from jiceng.orgs.actions import do_update_node


def _ids(response) -> set[str]:
    return {e.object_id for e in response.context["page"].object_list}


@pytest.mark.parametrize(
    "who", ["clerk", "county_reviewer", "city_reviewer", "province_reviewer", "analyst"]
)
def test_non_admins_get_403(personas, client_for, who):
    client = client_for(getattr(personas, who))
    assert client.get("/audit/").status_code == 403
    node = personas.tree.TA1
    assert client.get(f"/audit/orgs.node/{node.pk}/").status_code == 403


def test_a_county_admin_sees_only_events_of_their_county(personas, client_for):
    t = personas.tree
    response = client_for(personas.county_admin).get("/audit/", {"type": "orgs.node"})
    ids = _ids(response)
    assert {str(t.A.pk), str(t.TA1.pk), str(t.VA3.pk)} <= ids
    assert not ids & {str(t.B.pk), str(t.TB1.pk), str(t.C.pk), str(t.P.pk)}


def test_the_province_admin_sees_both_counties(personas, client_for):
    t = personas.tree
    ids = _ids(client_for(personas.province_admin).get("/audit/", {"type": "orgs.node"}))
    assert {str(t.A.pk), str(t.B.pk), str(t.TB1.pk)} <= ids


def test_filters_by_object_actor_action_and_date(personas, client_for):
    t = personas.tree
    admin = personas.county_admin
    do_update_node(admin, t.TA1, name="甲一镇中心卫生院")
    client = client_for(admin)
    by_actor = client.get("/audit/", {"actor": admin.pk}).context["page"].object_list
    assert [(e.action, e.object_id) for e in by_actor] == [("orgs.update_node", str(t.TA1.pk))]
    by_object = client.get("/audit/", {"type": "orgs.node", "id": str(t.TA1.pk)})
    assert {e.action for e in by_object.context["page"].object_list} == {
        "orgs.create_node",
        "orgs.update_node",
    }
    by_action = client.get("/audit/", {"action": "orgs.update_node"}).context["page"]
    assert by_action.paginator.count == 1
    today = timezone.localdate()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert client.get("/audit/", {"date_from": tomorrow}).context["page"].paginator.count == 0
    in_range = client.get("/audit/", {"date_from": today.isoformat(), "date_to": tomorrow})
    assert in_range.context["page"].paginator.count > 0


def test_a_reversed_date_range_is_an_error_not_an_empty_success(personas, client_for):
    response = client_for(personas.county_admin).get(
        "/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "起始日期晚于截止日期" in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_the_trail_of_one_object_shows_what_changed(personas, client_for):
    t = personas.tree
    do_update_node(personas.county_admin, t.TA1, name="甲一镇中心卫生院")
    response = client_for(personas.county_admin).get(f"/audit/orgs.node/{t.TA1.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲一镇卫生院" in html and "甲一镇中心卫生院" in html
    update = next(
        e for e in response.context["entries"] if e["event"].action.endswith("update_node")
    )
    assert [r["field"] for r in update["rows"]] == ["name"]
    assert update["hidden"] > 0
    full = client_for(personas.county_admin).get(f"/audit/orgs.node/{t.TA1.pk}/", {"all": "1"})
    update = next(e for e in full.context["entries"] if e["event"].action.endswith("update_node"))
    assert len(update["rows"]) > 1 and update["hidden"] == 0


def test_the_trail_of_an_object_outside_the_subtree_is_404(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    assert client.get(f"/audit/orgs.node/{t.TB1.pk}/").status_code == 404
    assert client.get("/audit/orgs.node/999999/").status_code == 404


def test_the_trail_is_paginated(personas, client_for):
    t = personas.tree
    for n in range(AUDIT_PAGE_SIZE + 5):
        audit.record(personas.county_admin, "orgs.update_node", t.TA1, reason=f"r{n}")
    client = client_for(personas.county_admin)
    first = client.get("/audit/", {"action": "orgs.update_node"}).context["page"]
    assert len(first.object_list) == AUDIT_PAGE_SIZE and first.has_next()
    second = client.get("/audit/", {"action": "orgs.update_node", "page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "action=orgs.update_node&amp;page=1" in second.content.decode()


def test_user_management_events_appear_in_the_trail(personas, client_for):
    from jiceng.accounts.actions import do_deactivate_user

    do_deactivate_user(personas.county_admin, personas.analyst, reason="调离")
    client = client_for(personas.county_admin)
    response = client.get(f"/audit/accounts.user/{personas.analyst.pk}/")
    entry = response.context["entries"][0]
    assert entry["event"].reason == "调离"
    assert [(r["field"], r["before"], r["after"]) for r in entry["rows"]] == [
        ("is_active", True, False)
    ]
    other = client_for(personas.province_admin).get("/audit/", {"type": "accounts.user"})
    assert str(personas.analyst.pk) in _ids(other)
    assert AuditEvent.objects.filter(action="accounts.update_user").count() == 1


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        (None, {"a": 1}, ["a"]),
        ({"a": 1}, None, ["a"]),
        ({"a": 1, "b": 2}, {"a": 1, "b": 3}, ["b"]),
        ({"a": None}, {}, ["a"]),
        ({}, {}, []),
    ],
)
def test_diff_rows_mark_exactly_the_changed_fields(before, after, changed):
    assert [r["field"] for r in diff_rows(before, after) if r["changed"]] == changed


def test_values_read_as_words_not_python(db):
    from django.utils import translation

    from jiceng.core.views import display_value

    with translation.override("zh-hans"):
        assert [display_value(v) for v in (True, False, None, "", 0, {"a": "乙"})] == [
            "是",
            "否",
            "—",
            "—",
            "0",
            "a：乙",
        ]


def test_the_history_of_a_user_without_audit_rows_is_an_empty_page(personas, client_for):
    client = client_for(personas.county_admin)
    response = client.get(f"/audit/accounts.user/{personas.clerk.pk}/")
    assert response.status_code == 200
    assert "该对象还没有任何操作记录" in response.content.decode()
    assert client.get("/audit/accounts.user/999999/").status_code == 404
    assert client.get("/audit/nosuch.thing/1/").status_code == 404
