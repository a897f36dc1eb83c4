"""The web shell in a real browser: login, scope of the tree, language, password, users."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _codes(page) -> set[str]:
    return set(page.locator("[data-code]").evaluate_all("els => els.map(e => e.dataset.code)"))


def test_a_township_clerk_sees_their_institution_and_villages_but_no_other_township(
    personas, login, screenshot
):
    t = personas.tree
    page = login(None, "clerk_ta1")
    screenshot(page, "home-clerk")
    page.goto("/orgs/")
    codes = _codes(page)
    assert {t.TA1.code, t.VA1.code, t.VA2.code} <= codes
    assert not codes & {t.TA2.code, t.VA3.code, t.TB1.code, t.CA1.code, t.B.code}


def test_the_county_reviewer_sees_every_township_of_the_county_but_not_the_other_county(
    personas, login, screenshot
):
    t = personas.tree
    page = login(None, "reviewer_a")
    screenshot(page, "home-county-reviewer")
    page.goto("/orgs/")
    screenshot(page, "tree-county-reviewer")
    codes = _codes(page)
    assert {t.A.code, t.TA1.code, t.TA2.code, t.CA1.code, t.VA3.code} <= codes
    assert not codes & {t.B.code, t.TB1.code, t.VB1.code, t.C.code}


def test_the_interface_is_chinese_by_default_and_switches_to_english(page):
    page.goto("/accounts/login/")
    assert page.locator("[data-testid=login-submit]").inner_text() == "登录"
    assert "优质服务基层行" in page.locator(".brand").inner_text()
    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=login-submit]").inner_text() == "Log in"
    assert "Quality Service at the Grassroots" in page.locator(".brand").inner_text()
    assert page.url.endswith("/accounts/login/")
    page.click(".lang-switch button[value=zh-hans]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=login-submit]").inner_text() == "登录"


def test_a_wrong_password_shows_a_chinese_error(personas, page):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "clerk_ta1")
    page.fill("input[name=password]", "not-the-password")
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state("domcontentloaded")
    error = page.locator("[role=alert]").inner_text()
    assert "请输入一个正确的用户名和密码" in error
    assert "/accounts/login/" in page.url


def test_a_user_changes_their_password_and_logs_in_with_the_new_one(
    personas, login, persona_password
):
    new = "Brand-new-pass-2026"
    page = login(None, "analyst_a")
    page.click("text=修改密码")
    page.fill("input[name=old_password]", persona_password)
    page.fill("input[name=new_password1]", new)
    page.fill("input[name=new_password2]", new)
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "/accounts/password/done/" in page.url
    assert page.locator("h1").inner_text() == "密码已修改"
    page.click("text=退出登录")
    page.wait_for_load_state("domcontentloaded")
    assert "/accounts/login/" in page.url
    login(page, "analyst_a", new)
    assert page.locator("[data-testid=who]").inner_text().startswith("analyst_a")


def test_an_admin_creates_a_user_who_then_logs_in(personas, login, screenshot):
    t = personas.tree
    password = "Fresh-user-pass-2026"
    page = login(None, "admin_a")
    screenshot(page, "home-county-admin")
    page.click("nav.mainnav >> text=用户管理")
    page.click("text=新建用户")
    page.fill("input[name=username]", "li_clerk")
    page.fill("input[name=display_name]", "李填报")
    page.select_option("select[name=role]", "institution_staff")
    page.fill("input[name=node]", t.TA2.code)
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    screenshot(page, "user-create-form")
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.url.endswith("/users/")
    assert "已创建用户 li_clerk" in page.locator(".messages").inner_text()
    row = page.locator("tr[data-username=li_clerk]")
    assert "甲二镇卫生院" in row.inner_text() and "机构填报员" in row.inner_text()
    screenshot(page, "users-list")
    other = login(None, "li_clerk", password)
    assert "甲二镇卫生院" in other.locator("[data-testid=who]").inner_text()


def test_an_admin_is_told_when_the_unit_lies_outside_their_county(personas, login):
    page = login(None, "admin_a")
    page.goto("/users/new/")
    page.fill("input[name=username]", "outsider")
    page.select_option("select[name=role]", "analyst")
    page.fill("input[name=node]", personas.tree.B.code)
    page.fill("input[name=password1]", "Fresh-user-pass-2026")
    page.fill("input[name=password2]", "Fresh-user-pass-2026")
    page.click("main button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "您的管辖范围内没有编码为" in page.locator(".field-error").inner_text()


def test_a_new_api_token_is_shown_once(personas, login):
    page = login(None, "reviewer_a")
    page.click("text=API 令牌")
    page.fill("input[name=name]", "每月上报")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    raw = page.locator("#raw-token").inner_text()
    assert raw.startswith("jc_")
    page.reload()
    assert page.locator("#raw-token").count() == 0
    assert raw not in page.content()
    assert "每月上报" in page.locator("[data-testid=tokens]").inner_text()


def test_the_layout_holds_on_a_phone_screen(personas, new_page, login, screenshot):
    page = login(new_page(viewport={"width": 390, "height": 844}), "reviewer_a")
    screenshot(page, "home-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_an_admin_follows_a_user_change_in_the_audit_trail(personas, login, screenshot):
    from jiceng.accounts.actions import do_update_user

    do_update_user(
        personas.county_admin, personas.analyst, display_name="李分析", reason="更正姓名"
    )
    page = login(None, "admin_a")
    page.click("nav.mainnav >> text=审计日志")
    page.select_option("select[name=type]", label="用户")
    page.select_option("select[name=action]", label="修改用户")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    screenshot(page, "audit-list")
    event = page.locator("[data-testid=audit-events] tbody tr", has_text="李分析")
    assert "修改用户" in event.inner_text() and "accounts." not in event.inner_text()
    event.locator("a", has_text="历史").click()
    page.wait_for_load_state("domcontentloaded")
    screenshot(page, "audit-object")
    row = page.locator("tr[data-field=display_name]")
    assert row.locator("th").inner_text() == "姓名"
    assert row.locator("td.after").inner_text() == "李分析"
    assert "更正姓名" in page.locator("main").inner_text()


def test_the_login_page_looks_right(page, screenshot):
    page.goto("/accounts/login/")
    screenshot(page, "login")
    assert page.locator("label[for=id_username]").inner_text() == "用户名"
