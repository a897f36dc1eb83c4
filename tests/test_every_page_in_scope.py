"""Every page and API endpoint, for every persona: nothing out of sight, nothing breaks.

The URL map and the OpenAPI document are walked, so a page or endpoint added later is
covered without touching this file:
- anonymous visitors are sent to the login page (pages) or get 401 (API);
- a page or endpoint taking an organisation code answers 404 for a unit out of the
  persona's sight, and neither 404 nor 5xx for the persona's own unit;
- every page without parameters answers every persona without a server error.
Pages keyed by object ids are covered by each app's own scope tests.
"""

import functools
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from persona_names import PERSONAS

PUBLIC = {"login", "logout", "set_language", "password_change_done", "favicon"}
# A unit out of sight for each persona (None: the persona sees the whole tree).
OUT_OF_SIGHT = {
    "clerk": "TB1",
    "village_clerk": "VA2",
    "county_reviewer": "VB1",
    "county_reviewer_b": "TA1",
    "city_reviewer": "P",
    "province_reviewer": None,
    "analyst": "TB1",
    "county_admin": "B",
    "province_admin": None,
}


def _pages():
    def walk(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith(("admin/", "api/")):
                    continue
                yield from walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield "/" + prefix + str(p.pattern), p.name

    return sorted(set(walk(get_resolver())))


PAGES = _pages()
CODE_PAGES = [path for path, _ in PAGES if re.fullmatch(r"[^<]*<str:code>[^<]*", path)]
PLAIN_PAGES = [path for path, name in PAGES if "<" not in path and name not in PUBLIC]
POSTS_ONLY = {"/accounts/logout/"}


def _fill(path: str, code: str) -> str:
    path = path.replace("<str:code>", code)
    return re.sub(r"<int:\w+>", "1", re.sub(r"<str:\w+>", "x", path))


def test_the_url_map_was_found():
    assert "/orgs/<str:code>/" in CODE_PAGES and "/" in PLAIN_PAGES


# One test a persona, not one a page: each test builds the tree and the personas, which costs
# more than asking for a page. Every failing page is listed, not only the first.


def test_anonymous_visitors_are_sent_to_the_login_page(client, tree):
    wrong = []
    for path in [p for p, n in PAGES if n not in PUBLIC]:
        response = client.get(_fill(path, tree.TA1.code))
        if response.status_code not in (302, 405) or (
            response.status_code == 302 and not response["Location"].startswith("/accounts/login/")
        ):
            wrong.append((path, response.status_code, response.get("Location")))
    assert not wrong, wrong


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_keyed_by_a_code_hide_units_out_of_sight(personas, client_for, persona):
    user = getattr(personas, persona)
    client = client_for(user)
    other = OUT_OF_SIGHT[persona]
    wrong = []
    for path in CODE_PAGES:
        if other is not None:
            response = client.get(_fill(path, getattr(personas.tree, other).code))
            if response.status_code != 404:
                wrong.append((path, other, response.status_code))
        own = client.get(_fill(path, user.node.code))
        if own.status_code == 404 or own.status_code >= 500:
            wrong.append((path, user.node.code, own.status_code))
    assert not wrong, wrong


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_answers_every_persona_without_a_server_error(personas, client_for, persona):
    client = client_for(getattr(personas, persona))
    wrong = []
    for path in PLAIN_PAGES:
        response = client.get(path)
        if response.status_code >= 500 or (response.status_code == 404 and path not in POSTS_ONLY):
            wrong.append((path, response.status_code))
    assert not wrong, wrong


@functools.cache  # building the OpenAPI document takes about a second
def _api_code_paths():
    from jiceng.api.main import api

    schema = api.get_openapi_schema()
    paths = []
    for path, ops in schema["paths"].items():
        if "get" in ops and re.fullmatch(r"[^{]*\{code\}[^{]*", path):
            paths.append(path)
    return sorted(paths)


def test_the_api_has_endpoints_keyed_by_a_code():
    assert "/api/v1/orgs/{code}" in _api_code_paths()


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_endpoints_keyed_by_a_code_hide_units_out_of_sight(personas, client_for, persona):
    user = getattr(personas, persona)
    client = client_for(user)
    other = OUT_OF_SIGHT[persona]
    for path in _api_code_paths():
        if other is not None:
            response = client.get(path.replace("{code}", getattr(personas.tree, other).code))
            assert response.status_code == 404, (path, response.status_code)
        own = client.get(path.replace("{code}", user.node.code))
        assert own.status_code not in (401, 404) and own.status_code < 500, (path, own.status_code)


def test_anonymous_api_calls_get_401(client, tree):
    for path in _api_code_paths():
        response = client.get(path.replace("{code}", tree.TA1.code))
        assert response.status_code == 401, path
