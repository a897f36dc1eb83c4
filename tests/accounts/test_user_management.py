"""User management by administrators: pages, actions, scope and audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from jiceng.accounts import actions
from jiceng.accounts.models import User
from jiceng.core.errors import ValidationFailed
from jiceng.core.models import AuditEvent

NEW_PASSWORD = "Quite-long-pass-2026"


def _create_form(node_code, **extra):
    data = {
        "username": "new_clerk",
        "display_name": "王小明",
        "email": "",
        "role": "institution_staff",
        "node": node_code,
        "institution": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(extra)
    return data


def test_a_county_admin_creates_a_user_in_their_county(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    response = client.post("/users/new/", _create_form(t.TA1.code))
    assert response.status_code == 302
    user = User.objects.get(username="new_clerk")
    assert (user.role, user.node, user.display_name) == ("institution_staff", t.TA1, "王小明")
    assert user.check_password(NEW_PASSWORD)


def test_creating_a_user_writes_an_audit_row_without_the_password(personas, client_for):
    t = personas.tree
    client_for(personas.county_admin).post("/users/new/", _create_form(t.TA1.code))
    user = User.objects.get(username="new_clerk")
    event = AuditEvent.objects.get(action="accounts.create_user", object_id=str(user.pk))
    assert event.actor == personas.county_admin
    assert event.node_path == t.TA1.path
    assert "password" not in event.after
    assert user.password not in str(event.after)
    assert event.after["node_id"] == t.TA1.pk


def test_a_county_admin_cannot_create_a_user_in_the_other_county(personas, client_for):
    t = personas.tree
    response = client_for(personas.county_admin).post("/users/new/", _create_form(t.TB1.code))
    assert response.status_code == 200
    assert not User.objects.filter(username="new_clerk").exists()
    assert t.TB1.code in response.content.decode()  # named in the error message
    assert t.TB1.name not in response.content.decode()  # but not revealed
    assert "您的管辖范围" in response.content.decode() or "in your area" in (
        response.content.decode()
    )


def test_the_error_for_an_outside_node_is_the_same_as_for_a_missing_one(personas, client_for):
    t = personas.tree
    client = client_for(personas.county_admin)
    outside = client.post("/users/new/", _create_form(t.TB1.code)).context["form"]
    missing = client.post("/users/new/", _create_form("999999999999")).context["form"]
    assert outside.errors["node"][0].replace(t.TB1.code, "X") == missing.errors["node"][0].replace(
        "999999999999", "X"
    )


def test_a_county_admin_cannot_give_an_institution_outside_the_county(personas, client_for):
    t = personas.tree
    form = _create_form(t.A.code, role="county_reviewer", institution=t.TB1.code)
    response = client_for(personas.county_admin).post("/users/new/", form)
    assert response.status_code == 200
    assert "institution" in response.context["form"].errors
    assert not User.objects.filter(username="new_clerk").exists()


def test_the_create_action_refuses_an_actor_outside_the_node(personas):
    t = personas.tree
    with pytest.raises(Http404):
        actions.do_create_user(
            personas.county_admin, username="x1", role="analyst", node=t.B, password=None
        )
    with pytest.raises(PermissionDenied):
        actions.do_create_user(
            personas.county_reviewer, username="x2", role="analyst", node=t.A, password=None
        )
    assert not User.objects.filter(username__in=["x1", "x2"]).exists()
    assert not AuditEvent.objects.filter(action="accounts.create_user").exists()


def test_the_create_action_lists_every_problem_at_once(personas):
    t = personas.tree
    with pytest.raises(ValidationFailed) as exc:
        actions.do_create_user(
            personas.county_admin,
            username="clerk_ta1",
            role="boss",
            node=t.A,
            institution=t.A,
            password="123",
        )
    fields = {p.field for p in exc.value.problems}
    assert {"username", "role", "institution", "password"} <= fields


def test_institution_staff_must_sit_at_an_institution(personas):
    with pytest.raises(ValidationFailed) as exc:
        actions.do_create_user(
            None, username="x3", role="institution_staff", node=personas.tree.A, password=None
        )
    assert [p.field for p in exc.value.problems] == ["node"]


def test_the_user_list_shows_only_users_at_or_below_the_admins_node(personas, client_for):
    response = client_for(personas.county_admin).get("/users/")
    names = {u.username for u in response.context["page"].object_list}
    assert names == {"clerk_ta1", "clerk_va1", "reviewer_a", "analyst_a", "admin_a"}


def test_the_province_admin_sees_every_user_and_can_filter_by_role_and_node(personas, client_for):
    client = client_for(personas.province_admin)
    everyone = client.get("/users/").context["page"].paginator.count
    assert everyone == User.objects.count()
    reviewers = client.get("/users/", {"role": "county_reviewer"}).context["page"]
    assert {u.username for u in reviewers} == {"reviewer_a", "reviewer_b"}
    in_b = client.get("/users/", {"node": personas.tree.B.code}).context["page"]
    assert {u.username for u in in_b} == {"reviewer_b"}


@pytest.mark.parametrize(
    "who", ["clerk", "county_reviewer", "city_reviewer", "province_reviewer", "analyst"]
)
def test_non_admins_may_not_open_user_management(personas, client_for, who):
    client = client_for(getattr(personas, who))
    assert client.get("/users/").status_code == 403
    assert client.get("/users/new/").status_code == 403
    assert client.get(f"/users/{personas.clerk.pk}/").status_code == 403


def test_a_county_admin_gets_404_for_a_user_of_the_other_county(personas, client_for):
    client = client_for(personas.county_admin)
    other = personas.county_reviewer_b
    assert client.get(f"/users/{other.pk}/").status_code == 404
    assert client.post(f"/users/{other.pk}/deactivate/").status_code == 404
    assert client.get(f"/users/{other.pk}/password/").status_code == 404
    other.refresh_from_db()
    assert other.is_active


def test_an_admin_edits_a_user_and_the_audit_row_has_before_and_after(personas, client_for):
    t = personas.tree
    target = personas.analyst
    response = client_for(personas.county_admin).post(
        f"/users/{target.pk}/",
        {"display_name": "李分析", "email": "", "role": "analyst", "node": t.TA2.code},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.node, target.display_name) == (t.TA2, "李分析")
    event = AuditEvent.objects.get(action="accounts.update_user", object_id=str(target.pk))
    assert event.before["node_id"] == t.A.pk
    assert event.after["node_id"] == t.TA2.pk
    assert event.node_path == t.TA2.path


def test_an_admin_cannot_move_a_user_out_of_their_scope(personas, client_for):
    t = personas.tree
    target = personas.analyst
    response = client_for(personas.county_admin).post(
        f"/users/{target.pk}/", {"display_name": "", "role": "analyst", "node": t.B.code}
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.node == t.A


def test_a_deactivated_user_can_no_longer_log_in(personas, client_for):
    from django.test import Client

    target = personas.analyst
    target.set_password(NEW_PASSWORD)
    target.save()
    assert Client().login(username=target.username, password=NEW_PASSWORD)
    response = client_for(personas.county_admin).post(f"/users/{target.pk}/deactivate/")
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert not Client().login(username=target.username, password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.update_user", object_id=str(target.pk))
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)


def test_an_admin_cannot_deactivate_themself(personas, client_for):
    admin = personas.county_admin
    client_for(admin).post(f"/users/{admin.pk}/deactivate/")
    admin.refresh_from_db()
    assert admin.is_active


def test_a_deactivated_user_can_be_reactivated(personas, client_for):
    target = personas.analyst
    client = client_for(personas.county_admin)
    client.post(f"/users/{target.pk}/deactivate/")
    client.post(f"/users/{target.pk}/activate/")
    target.refresh_from_db()
    assert target.is_active


def test_an_admin_resets_a_password_and_the_audit_row_does_not_hold_it(personas, client_for):
    from django.test import Client

    target = personas.clerk
    response = client_for(personas.county_admin).post(
        f"/users/{target.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert Client().login(username=target.username, password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.reset_password", object_id=str(target.pk))
    target.refresh_from_db()
    assert NEW_PASSWORD not in str(event.after) and target.password not in str(event.after)
    assert event.before is None


def test_a_weak_password_is_refused_with_the_reason(personas, client_for):
    target = personas.clerk
    response = client_for(personas.county_admin).post(
        f"/users/{target.pk}/password/", {"password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not AuditEvent.objects.filter(action="accounts.reset_password").exists()


def test_the_user_pages_are_in_chinese(personas, client_for):
    client = client_for(personas.county_admin)
    assert "新建用户" in client.get("/users/").content.decode()
    assert "初始密码" in client.get("/users/new/").content.decode()
