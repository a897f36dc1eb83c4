"""In a real browser: a locked login says so in Chinese; a token can be given an expiry."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _try(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state("domcontentloaded")


def test_after_five_wrong_passwords_the_login_page_says_it_is_locked(
    personas, page, persona_password, screenshot
):
    for _ in range(5):
        _try(page, "clerk_ta1", "wrong-password-1")
    _try(page, "clerk_ta1", persona_password)
    screenshot(page, "login-locked")
    assert "/accounts/login/" in page.url
    text = page.locator("main").inner_text()
    assert "登录已锁定" in text and "分钟" in text


def test_a_token_created_for_30_days_shows_its_expiry(personas, login, screenshot):
    page = login(None, "analyst_a")
    page.goto("/account/tokens/")
    page.fill("input[name=name]", "月报脚本")
    page.fill("input[name=days]", "30")
    page.click("form:has(input[name=days]) button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    screenshot(page, "token-with-expiry")
    assert page.locator("[data-testid=new-token]").is_visible()
    row = page.locator("[data-testid=tokens] tbody tr").first.inner_text()
    assert "月报脚本" in row and "永不过期" not in row
