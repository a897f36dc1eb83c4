"""The interface is Chinese by default and English when the user switches."""

from __future__ import annotations

from django.test import Client


def test_the_login_page_is_chinese_by_default(db):
    html = Client().get("/accounts/login/").content.decode()
    assert "<title>登录 · 基层</title>" in html
    assert "优质服务基层行" in html
    assert "用户名" in html and "密码" in html


def test_switching_to_english_translates_the_shell(db):
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert "Quality Service at the Grassroots" in html and ">Log in<" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "优质服务基层行" in client.get("/accounts/login/").content.decode()


def test_role_labels_are_chinese_by_default_and_english_on_request(personas, client_for):
    client = client_for(personas.county_reviewer)
    assert "县级评审员" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "County reviewer" in client.get("/").content.decode()


def test_a_wrong_password_gives_a_chinese_error(personas):
    response = Client().post(
        "/accounts/login/", {"username": "clerk_ta1", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()


def test_the_error_pages_are_chinese(personas, client_for):
    client = client_for(personas.clerk)
    assert "无权操作" in client.get("/users/").content.decode()
    assert "不在您的管辖范围内" in client.get(f"/orgs/{personas.tree.TB1.code}/").content.decode()


def test_with_the_middleware_an_english_browser_still_opens_in_chinese(db, settings):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.middleware.locale.LocaleMiddleware"),
        "jiceng.core.middleware.ChosenLanguageOnlyMiddleware",
    )
    settings.MIDDLEWARE = middleware
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert ">登录<" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert ">Log in<" in client.get("/accounts/login/").content.decode()
