"""API tokens: created on a page or through the API, shown once, stored hashed, revocable."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jiceng.accounts import actions
from jiceng.accounts.models import ApiToken, hash_token
from jiceng.core.models import AuditEvent

TOKEN = re.compile(r"jc_[A-Za-z0-9_-]{20,100}")


def _me(raw: str):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_token_page_shows_the_raw_token_once_and_stores_only_its_hash(personas, client_for):
    client = client_for(personas.clerk)
    response = client.post("/account/tokens/", {"name": "上报脚本"}, follow=True)
    assert response.redirect_chain == [("/account/tokens/", 302)]
    assert response["Cache-Control"] == "no-store"
    raw = TOKEN.search(response.content.decode()).group(0)
    token = ApiToken.objects.get(user=personas.clerk)
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.name, token.prefix, token.token_hash}
    again = client.get("/account/tokens/").content.decode()
    assert raw not in again
    assert "上报脚本" in again


def test_a_new_token_authenticates_as_its_owner(personas):
    _token, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    response = _me(raw)
    assert response.status_code == 200
    assert response.json()["username"] == "clerk_ta1"


def test_a_revoked_token_gets_401(personas, client_for):
    token, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    client = client_for(personas.clerk)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert _me(raw).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(personas, client_for):
    token, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    client = client_for(personas.county_admin)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert _me(raw).status_code == 200


def test_a_token_without_a_name_is_refused(personas, client_for):
    response = client_for(personas.clerk).post("/account/tokens/", {"name": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_token_audit_rows_hold_neither_the_token_nor_its_hash(personas):
    token, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    actions.do_revoke_token(personas.clerk, token)
    events = AuditEvent.objects.filter(object_type="accounts.apitoken", object_id=str(token.pk))
    assert [e.action for e in events.order_by("id")] == [
        "accounts.create_token",
        "accounts.revoke_token",
    ]
    for event in events:
        assert raw not in str(event.after) and token.token_hash not in str(event.after)
        assert event.node_path == personas.tree.TA1.path


def test_nobody_creates_a_token_for_someone_else(personas):
    from jiceng.core.errors import UserError

    with pytest.raises(UserError):
        actions.do_create_token(personas.province_admin, personas.clerk, "t")


class TestTheTokenApi:
    def test_it_creates_lists_and_revokes_a_token(self, personas):
        _t, bootstrap = actions.do_create_token(personas.analyst, personas.analyst, "boot")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {bootstrap}"}
        session = Client()
        session.force_login(personas.analyst)
        created = session.post(
            "/api/v1/tokens", {"name": "nightly"}, content_type="application/json"
        )
        client = Client()
        assert created.status_code == 201
        body = created.json()
        assert TOKEN.fullmatch(body["token"])
        assert body["prefix"] == body["token"][:10]
        listed = client.get("/api/v1/tokens", **auth).json()["items"]
        assert {t["name"] for t in listed} == {"boot", "nightly"}
        assert all("token" not in t for t in listed)
        assert _me(body["token"]).status_code == 200
        deleted = client.delete(f"/api/v1/tokens/{body['id']}", **auth)
        assert deleted.status_code == 204
        assert _me(body["token"]).status_code == 401
        assert _me(bootstrap).status_code == 200

    def test_it_answers_404_for_a_token_of_another_user(self, personas):
        other, _raw = actions.do_create_token(personas.clerk, personas.clerk, "other")
        _t, mine = actions.do_create_token(personas.analyst, personas.analyst, "mine")
        response = Client().delete(
            f"/api/v1/tokens/{other.pk}", HTTP_AUTHORIZATION=f"Bearer {mine}"
        )
        assert response.status_code == 404
        other.refresh_from_db()
        assert not other.revoked

    def test_it_refuses_an_empty_name_with_the_field(self, personas):
        session = Client()
        session.force_login(personas.analyst)
        response = session.post("/api/v1/tokens", {"name": ""}, content_type="application/json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "name"

    def test_it_needs_authentication(self, db):
        assert Client().get("/api/v1/tokens").status_code == 401


def test_the_token_page_says_how_to_send_a_token(personas, client_for):
    html = client_for(personas.clerk).get("/account/tokens/").content.decode()
    assert "请求头中发送“Authorization: Bearer jc_…”" in html
