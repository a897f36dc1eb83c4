"""Failed logins are throttled per account and per address; bad API tokens per address.
Logins, failures, lockouts and logouts are in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.accounts import actions
from jiceng.accounts.models import LoginThrottle
from jiceng.core.models import AuditEvent

PASSWORD = "Jiceng-test-2025"


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.JICENG_LOGIN_MAX_FAILURES = 5
    settings.JICENG_LOGIN_MAX_FAILURES_PER_ADDRESS = 8
    settings.JICENG_TOKEN_MAX_FAILURES_PER_ADDRESS = 6
    settings.JICENG_LOGIN_WINDOW_SECONDS = 900
    settings.JICENG_LOGIN_LOCK_SECONDS = 300
    settings.JICENG_LOGIN_MAX_LOCK_SECONDS = 86400
    settings.JICENG_TRUSTED_PROXIES = 0


def _login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _unlock_all():
    LoginThrottle.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))


def test_after_five_wrong_passwords_the_right_one_does_not_log_in(personas):
    client = Client()
    for _ in range(5):
        assert _login(client, "clerk_ta1", "wrong-password").status_code == 200
    response = _login(client, "clerk_ta1", PASSWORD)
    assert response.status_code == 200
    assert not _logged_in(client)
    html = response.content.decode()
    assert "登录已锁定" in html and "5 分钟" in html


def test_the_lock_ends_and_the_right_password_then_logs_in(personas):
    client = Client()
    for _ in range(5):
        _login(client, "clerk_ta1", "wrong-password")
    _unlock_all()
    assert _login(client, "clerk_ta1", PASSWORD).status_code == 302
    assert _logged_in(client)
    assert not LoginThrottle.objects.filter(key="account:clerk_ta1").exists()


def test_each_further_lockout_lasts_twice_as_long(personas):
    client = Client()
    for _ in range(5):
        _login(client, "clerk_ta1", "wrong-password")
    first = LoginThrottle.objects.get(key="account:clerk_ta1").locked_until - timezone.now()
    _unlock_all()
    client = Client(REMOTE_ADDR="10.9.9.9")  # the first address is near its own limit
    for _ in range(5):
        _login(client, "clerk_ta1", "wrong-password")
    second = LoginThrottle.objects.get(key="account:clerk_ta1").locked_until - timezone.now()
    assert dt.timedelta(seconds=290) < first <= dt.timedelta(seconds=300)
    assert dt.timedelta(seconds=590) < second <= dt.timedelta(seconds=600)


def test_the_username_is_throttled_whatever_its_case(personas):
    client = Client()
    for name in ["clerk_ta1", "CLERK_TA1", "Clerk_Ta1", " clerk_ta1", "clerk_TA1"]:
        _login(client, name, "wrong-password")
    assert _login(client, "clerk_ta1", PASSWORD).status_code == 200
    assert not _logged_in(client)


def test_many_accounts_tried_from_one_address_lock_that_address(personas):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for i in range(8):
        _login(client, f"nobody{i}", "wrong-password")
    assert _login(client, "analyst_a", PASSWORD).status_code == 200
    assert not _logged_in(client)
    other = Client(REMOTE_ADDR="10.1.1.2")
    assert _login(other, "analyst_a", PASSWORD).status_code == 302


def test_x_forwarded_for_is_ignored_unless_a_trusted_proxy_is_configured(personas, settings):
    for i in range(8):
        _login(Client(REMOTE_ADDR="10.0.0.9"), f"nobody{i}", "x", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}")
    assert LoginThrottle.objects.get(key="login-address:10.0.0.9").locked_until is not None
    settings.JICENG_TRUSTED_PROXIES = 1
    LoginThrottle.objects.all().delete()
    for i in range(8):
        _login(
            Client(REMOTE_ADDR="10.0.0.9"),
            f"nobody{i}",
            "x",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, 203.0.113.{i}",
        )
    assert not LoginThrottle.objects.filter(key="login-address:10.0.0.9").exists()
    assert LoginThrottle.objects.filter(key="login-address:203.0.113.0").exists()


def test_logins_failures_lockouts_and_logouts_are_audited_without_passwords(personas):
    client = Client(REMOTE_ADDR="10.2.2.2")
    _login(client, "clerk_ta1", "secret-guess-1")
    _login(client, "no-such-person", "secret-guess-2")
    for _ in range(4):
        _login(client, "clerk_ta1", "secret-guess-3")
    _unlock_all()
    _login(client, "clerk_ta1", PASSWORD)
    client.post("/accounts/logout/")
    events = list(AuditEvent.objects.filter(action__startswith="accounts.").order_by("id"))
    actions_seen = [e.action for e in events]
    assert actions_seen.count("accounts.login_failed") == 6
    assert actions_seen.count("accounts.login_locked") == 1
    assert actions_seen[-2:] == ["accounts.login", "accounts.logout"]
    for e in events:
        assert "secret-guess" not in f"{e.before}{e.after}{e.object_repr}"
        assert e.after["address"] == "10.2.2.2"
    known = [e for e in events if e.object_id == str(personas.clerk.pk)]
    assert all(e.node_path == personas.tree.TA1.path for e in known)
    unknown = next(e for e in events if e.object_id == "")
    assert "no-such-person" not in f"{unknown.after}{unknown.object_repr}"
    assert unknown.object_repr.startswith("no")


def test_the_county_administrator_reads_the_failed_logins_of_their_county(personas):
    Client().post("/accounts/login/", {"username": "clerk_ta1", "password": "x"})
    b_admin = actions.do_create_user(
        None, username="admin_b", role="admin", node=personas.tree.B, password=PASSWORD
    )

    def trail(user):
        _t, raw = actions.do_create_token(user, user, "t")
        return Client().get(
            "/api/v1/audit?action=accounts.login_failed", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )

    rows = trail(personas.county_admin).json()["items"]
    assert [r["object_repr"] for r in rows] == ["clerk_ta1"]
    assert trail(b_admin).json()["items"] == []


def test_bad_tokens_from_one_address_get_429_with_retry_after(personas):
    _t, good = actions.do_create_token(personas.clerk, personas.clerk, "t")
    client = Client(REMOTE_ADDR="10.3.3.3")
    for _ in range(5):
        bad = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer jc_" + "x" * 40)
        assert bad.status_code == 401
    locked = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer jc_" + "y" * 40)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "重试" in locked.json()["detail"]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.3.3.4")
    assert elsewhere.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.token_address_locked").count() == 1


def test_stale_counters_are_forgotten_but_live_ones_kept(db):
    from jiceng.accounts import throttle

    now = timezone.now()
    LoginThrottle.objects.create(key="account:old", failures=2, window_start=now - dt.timedelta(1))
    LoginThrottle.objects.create(
        key="account:was-locked", locked_until=now - dt.timedelta(days=2), lockouts=1
    )
    LoginThrottle.objects.create(key="account:recent", failures=2, window_start=now)
    LoginThrottle.objects.create(
        key="account:locked", locked_until=now + dt.timedelta(minutes=5), lockouts=1
    )
    LoginThrottle.objects.create(
        key="account:locked-today", locked_until=now - dt.timedelta(hours=2), lockouts=2
    )
    throttle.forget_stale(now, dt.timedelta(seconds=900))
    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {
        "account:recent",
        "account:locked",
        "account:locked-today",
    }
