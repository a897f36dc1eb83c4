"""A login on a shared office computer ends: 8 hours after signing in at the latest, and
after two hours without a request (JICENG_SESSION_HOURS, JICENG_SESSION_IDLE_MINUTES)."""

from __future__ import annotations

import time

import pytest

LOGIN_AT = "_jiceng_login_at"
SEEN_AT = "_jiceng_seen_at"


@pytest.fixture
def signed_in(client, personas, persona_password):
    response = client.post(
        "/accounts/login/", {"username": personas.analyst.username, "password": persona_password}
    )
    assert response.status_code == 302
    return client


def shift(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_signing_in_records_when_the_login_began(signed_in):
    started = signed_in.session[LOGIN_AT]

    assert abs(started - time.time()) < 60


def test_a_login_of_seven_hours_still_works(signed_in):
    shift(signed_in, _jiceng_login_at=7 * 3600, _jiceng_seen_at=60)

    assert signed_in.get("/").status_code == 200


def test_a_login_ends_eight_hours_after_signing_in_even_when_in_use(signed_in):
    shift(signed_in, _jiceng_login_at=8 * 3600 + 60, _jiceng_seen_at=10)

    response = signed_in.get("/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "_auth_user_id" not in signed_in.session


def test_a_login_ends_after_two_idle_hours(signed_in):
    shift(signed_in, _jiceng_login_at=3 * 3600, _jiceng_seen_at=2 * 3600 + 60)

    response = signed_in.get("/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_each_request_counts_as_activity_without_writing_the_session_every_time(signed_in):
    shift(signed_in, _jiceng_login_at=3600, _jiceng_seen_at=90 * 60)
    assert signed_in.get("/").status_code == 200
    seen = signed_in.session[SEEN_AT]
    assert abs(seen - time.time()) < 60  # refreshed

    shift(signed_in, _jiceng_seen_at=20)
    before = signed_in.session[SEEN_AT]
    assert signed_in.get("/").status_code == 200
    assert signed_in.session[SEEN_AT] == before  # less than a minute: left alone


def test_the_limits_come_from_the_settings(signed_in, settings):
    settings.SESSION_COOKIE_AGE = 3600
    settings.JICENG_SESSION_IDLE_SECONDS = 0  # no idle limit
    shift(signed_in, _jiceng_login_at=50 * 60, _jiceng_seen_at=45 * 60)
    assert signed_in.get("/").status_code == 200

    shift(signed_in, _jiceng_login_at=61 * 60, _jiceng_seen_at=0)
    assert signed_in.get("/").status_code == 302
