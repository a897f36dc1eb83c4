"""Token rules: only a password login mints tokens; a password change or deactivation
revokes them; tokens may expire."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from jiceng.accounts import actions
from jiceng.accounts.models import ApiToken

PASSWORD = "Jiceng-test-2025"


def _me(raw: str):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_cannot_mint_another_token(personas):
    _t, raw = actions.do_create_token(personas.analyst, personas.analyst, "boot")
    response = Client().post(
        "/api/v1/tokens",
        {"name": "child"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403
    assert "密码登录" in response.json()["detail"]
    assert ApiToken.objects.filter(user=personas.analyst).count() == 1


def test_a_session_login_creates_a_token_through_the_api(personas):
    client = Client()
    client.force_login(personas.analyst)
    response = client.post("/api/v1/tokens", {"name": "nightly"}, content_type="application/json")
    assert response.status_code == 201
    assert _me(response.json()["token"]).status_code == 200


def test_an_administrators_password_reset_revokes_the_users_tokens(personas):
    _t, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    assert _me(raw).status_code == 200
    actions.do_reset_password(personas.county_admin, personas.clerk, "Another-long-pass-77")
    assert _me(raw).status_code == 401
    assert not ApiToken.objects.filter(user=personas.clerk, revoked=False).exists()


def test_changing_ones_own_password_revokes_ones_tokens(personas, client_for):
    _t, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    response = client_for(personas.clerk).post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xq7-long-enough-2025",
            "new_password2": "Xq7-long-enough-2025",
        },
    )
    assert response.status_code == 302
    assert _me(raw).status_code == 401


def test_deactivating_a_user_revokes_their_tokens_for_good(personas):
    _t, raw = actions.do_create_token(personas.clerk, personas.clerk, "t")
    actions.do_deactivate_user(personas.county_admin, personas.clerk)
    actions.do_activate_user(personas.county_admin, personas.clerk)
    assert _me(raw).status_code == 401


def test_an_expired_token_gets_401_with_the_reason(personas):
    token, raw = actions.do_create_token(
        personas.clerk, personas.clerk, "t", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert _me(raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    response = _me(raw)
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_the_token_page_creates_a_token_valid_for_some_days_and_shows_its_expiry(
    personas, client_for
):
    client = client_for(personas.clerk)
    client.post("/account/tokens/", {"name": "月报", "days": "30"})
    token = ApiToken.objects.get(user=personas.clerk)
    left = token.expires_at - timezone.now()
    assert dt.timedelta(days=29) < left <= dt.timedelta(days=30)
    html = client.get("/account/tokens/").content.decode()
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in html


def test_the_token_page_accepts_a_last_valid_date(personas, client_for):
    day = timezone.localdate() + dt.timedelta(days=10)
    client_for(personas.clerk).post(
        "/account/tokens/", {"name": "月报", "expires_on": day.isoformat()}
    )
    token = ApiToken.objects.get(user=personas.clerk)
    assert timezone.localtime(token.expires_at).date() == day + dt.timedelta(days=1)


def test_the_token_page_refuses_an_expiry_in_the_past(personas, client_for):
    day = timezone.localdate() - dt.timedelta(days=1)
    response = client_for(personas.clerk).post(
        "/account/tokens/", {"name": "月报", "expires_on": day.isoformat()}
    )
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_the_api_creates_a_token_with_days_or_a_date_but_not_both(personas):
    client = Client()
    client.force_login(personas.analyst)
    days = client.post(
        "/api/v1/tokens", {"name": "a", "expires_in_days": 7}, content_type="application/json"
    )
    assert days.status_code == 201
    assert days.json()["expires_at"] is not None and not days.json()["expired"]
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    on = client.post(
        "/api/v1/tokens", {"name": "b", "expires_on": day}, content_type="application/json"
    )
    assert on.status_code == 201
    both = client.post(
        "/api/v1/tokens",
        {"name": "c", "expires_in_days": 7, "expires_on": day},
        content_type="application/json",
    )
    assert both.status_code == 422
    listed = client.get("/api/v1/tokens").json()["items"]
    assert {t["name"]: bool(t["expires_at"]) for t in listed} == {"a": True, "b": True}
