"""Every answer carries a strict Content-Security-Policy and the other protective headers;
no template holds what that policy would block (inline script, event handlers, style attributes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import jiceng

PACKAGE = Path(jiceng.__file__).resolve().parent
TEMPLATES = sorted(PACKAGE.rglob("templates/**/*.html"))


def directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/api/v1/docs"])
def test_every_answer_sends_a_content_security_policy_without_inline_script(client, db, url):
    response = client.get(url)

    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    # Only style attributes may be inline (ECharts sets them); never script.
    assert [d for d, v in policy.items() if "'unsafe-inline'" in v] == ["style-src-attr"]


def test_pages_forbid_framing_sniffing_and_leaking_the_address_to_other_sites(client, db):
    response = client.get("/accounts/login/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_templates_are_found():
    assert len(TEMPLATES) > 50
    assert PACKAGE / "templates" / "base.html" in TEMPLATES


SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"""\s(on[a-z]+)\s*=\s*["']""", re.I)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_template_holds_what_the_content_security_policy_blocks(path):
    text = path.read_text(encoding="utf-8")
    problems = []
    for match in SCRIPT.finditer(text):
        attributes = match.group(1)
        if "src=" not in attributes and 'type="application/json"' not in attributes:
            problems.append(f"inline <script>: {match.group(0)}")
    problems += [f"event handler {m.group(1)}=" for m in EVENT_HANDLER.finditer(text)]
    problems += ["style= attribute" for _ in STYLE_ATTRIBUTE.finditer(text)]
    problems += ["<style> element" for _ in STYLE_ELEMENT.finditer(text)]
    problems += ["javascript: URL" for _ in JAVASCRIPT_URL.finditer(text)]
    assert not problems, problems


def test_htmx_is_told_not_to_inject_styles_nor_evaluate_code(client, personas):
    client.force_login(personas.county_admin)

    html = client.get("/").content.decode()

    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


def test_a_login_ends_with_the_browser_and_after_eight_hours_at_the_latest(
    client, personas, settings, persona_password
):
    response = client.post(
        "/accounts/login/", {"username": personas.clerk.username, "password": persona_password}
    )

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.session.get_expire_at_browser_close()
