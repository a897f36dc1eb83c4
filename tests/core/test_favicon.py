"""The site has an icon: linked from every page, and /favicon.ico does not 404."""

from __future__ import annotations

from django.contrib.staticfiles import finders


def test_every_page_links_the_svg_icon(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/jiceng/favicon.svg" type="image/svg+xml">' in html


def test_the_icon_is_an_svg_in_core_static():
    path = finders.find("jiceng/favicon.svg")
    assert path, "core/static/jiceng/favicon.svg is missing"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    assert text.lstrip().startswith("<svg") and 'viewBox="0 0 64 64"' in text


def test_the_default_favicon_request_finds_the_icon_without_logging_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/jiceng/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"]
    assert finders.find(response["Location"].removeprefix("/static/"))
