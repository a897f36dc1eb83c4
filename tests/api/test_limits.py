"""API limits, walked from the OpenAPI document: every string a request body carries has a
length limit, over-long strings and absurd numbers get a 4xx JSON answer (never a 500, never
stored silently), and every API error is JSON ``{"detail": ...}``."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import pytest
from django.test import Client

from jiceng.accounts import actions
from jiceng.accounts.models import User
from jiceng.api.main import api as ninja_api

HUGE = 10**25
BODY_TYPES = ("application/json", "multipart/form-data")
NOT_TEXT_FORMATS = {"date", "date-time", "binary", "time", "duration", "uuid"}


@functools.cache
def _spec() -> dict:
    return ninja_api.get_openapi_schema()


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _operations(spec: dict) -> Iterator[tuple[str, str, dict]]:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, op


def _strings(spec: dict, schema: dict, loc: str) -> Iterator[tuple[str, dict]]:
    """Every text leaf of a schema: (location, its schema)."""
    schema = _resolve(spec, schema)
    options = [_resolve(spec, o) for o in schema.get("anyOf", [])]
    if any(o.get("type") in {"number", "integer"} for o in options):
        return  # a number that also comes as text (Decimal): bounded as a number
    for option in options + schema.get("allOf", []):
        yield from _strings(spec, option, loc)
    kind = schema.get("type")
    if kind == "string" and schema.get("format") not in NOT_TEXT_FORMATS and "enum" not in schema:
        yield loc, schema
    elif kind == "object":
        for name, prop in schema.get("properties", {}).items():
            yield from _strings(spec, prop, f"{loc}.{name}" if loc else name)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield from _strings(spec, extra, f"{loc}.*")
    elif kind == "array":
        yield from _strings(spec, schema.get("items", {}), f"{loc}[]")


def _sample(spec: dict, schema: dict, long: bool) -> object:
    """A value of the schema's shape; with ``long`` every text is one past its limit."""
    schema = _resolve(spec, schema)
    options = [_resolve(spec, o) for o in schema.get("anyOf", [])]
    if options:
        schema = next((o for o in options if o.get("type") != "null"), options[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2025-06-30"
        if fmt == "date-time":
            return "2025-06-30T08:00:00+08:00"
        if fmt == "binary":
            return None
        return "x" * ((schema.get("maxLength", 10_000) + 1) if long else 1)
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return [_sample(spec, schema.get("items", {}), long)]
    if kind == "object" or "properties" in schema:
        out = {
            name: _sample(spec, prop, long) for name, prop in schema.get("properties", {}).items()
        }
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            out["k" * (1 if not long else 300)] = _sample(spec, extra, long)
        return {k: v for k, v in out.items() if v is not None}
    return "x"


def _url(path: str, op: dict, value_for_int: int = 1, value_for_str: str = "x") -> str:
    for p in op.get("parameters", []):
        if p["in"] == "path":
            typ = _resolve(_spec(), p["schema"]).get("type")
            value = value_for_int if typ == "integer" else value_for_str
            path = path.replace("{" + p["name"] + "}", str(value))
    return path


@pytest.fixture
def caller(tree):
    """A system administrator (superuser without a unit: sees and may do everything)."""
    user = User.objects.create_user("root_admin", password="Jiceng-test-2025", role="admin")
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    _t, raw = actions.do_create_token(user, user, "limits")
    return {"session": client, "token": raw}


def _send(client: Client, method: str, url: str, op: dict, body: object, token: str):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    content = op.get("requestBody", {}).get("content", {})
    call = getattr(client, method)
    if "multipart/form-data" in content:
        data = {k: v for k, v in (body or {}).items() if not isinstance(v, list | dict)}
        return call(url, data=data, **headers)
    if body is None:
        return call(url, **headers)
    return call(url, data=body, content_type="application/json", **headers)


def _assert_json_4xx(response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code}"
    assert response["Content-Type"].startswith("application/json"), what
    assert response.json()["detail"], what


def test_every_string_in_a_request_body_has_a_length_limit():
    spec = _spec()
    missing = []
    for path, method, op in _operations(spec):
        for ctype, media in op.get("requestBody", {}).get("content", {}).items():
            for loc, schema in _strings(spec, media["schema"], ""):
                if "maxLength" not in schema:
                    missing.append(f"{method.upper()} {path} {ctype} {loc}")
    assert missing == []


def _numbers(spec: dict, schema: dict, loc: str) -> Iterator[tuple[str, dict]]:
    """Every number leaf of a schema: (location, its schema)."""
    schema = _resolve(spec, schema)
    for option in schema.get("anyOf", []):
        yield from _numbers(spec, option, loc)
    kind = schema.get("type")
    if kind in {"integer", "number"}:
        yield loc, schema
    elif kind == "object":
        for name, prop in schema.get("properties", {}).items():
            yield from _numbers(spec, prop, f"{loc}.{name}" if loc else name)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield from _numbers(spec, extra, f"{loc}.*")
    elif kind == "array":
        yield from _numbers(spec, schema.get("items", {}), f"{loc}[]")


# Numbers whose range the action checks together with the other fields (one Chinese message
# each); their type (Decimal) cannot overflow a column on the way.
CHECKED_BY_THE_ACTION = {"POST /api/v1/indicators/targets application/json threshold_percent"}


def test_every_number_in_a_request_body_has_bounds():
    spec = _spec()
    unbounded = []
    for path, method, op in _operations(spec):
        for ctype, media in op.get("requestBody", {}).get("content", {}).items():
            for loc, schema in _numbers(spec, media["schema"], ""):
                if "maximum" not in schema or "minimum" not in schema:
                    unbounded.append(f"{method.upper()} {path} {ctype} {loc}")
    assert set(unbounded) == CHECKED_BY_THE_ACTION


def test_a_year_out_of_its_column_range_is_a_422_on_every_database(personas, caller):
    response = Client().post(
        "/api/v1/indicators/targets",
        {
            "indicator": "htn_std_mgmt",
            "node": personas.tree.A.code,
            "year": 40000,
            "threshold_percent": 60,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {caller['token']}",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("year")


def test_over_length_strings_in_every_body_get_422_naming_the_field(caller):
    spec = _spec()
    tried = 0
    for path, method, op in _operations(spec):
        content = op.get("requestBody", {}).get("content", {})
        ctype = next((c for c in BODY_TYPES if c in content), None)
        if ctype is None:
            continue
        schema = content[ctype]["schema"]
        if not list(_strings(spec, schema, "")):
            continue
        body = _sample(spec, schema, long=True)
        response = _send(caller["session"], method, _url(path, op), op, body, token="")
        what = f"{method.upper()} {path}"
        assert response.status_code == 422, f"{what}: {response.status_code} {response.content}"
        fields = " ".join(e.get("field", "") for e in response.json().get("errors", []))
        assert re.search(r"\w", fields), what
        tried += 1
    assert tried >= 15


def test_huge_numbers_in_paths_and_queries_get_4xx_json(caller):
    spec = _spec()
    tried = 0
    client = Client()
    for path, method, op in _operations(spec):
        ints = [
            p
            for p in op.get("parameters", [])
            if _resolve(spec, p["schema"]).get("type") == "integer"
            or any(o.get("type") == "integer" for o in p["schema"].get("anyOf", []))
        ]
        if not ints:
            continue
        query = {p["name"]: HUGE for p in ints if p["in"] == "query"}
        url = _url(path, op, value_for_int=HUGE)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        body = None
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = _sample(spec, content["application/json"]["schema"], long=False)
        response = _send(client, method, url, op, body, caller["token"])
        what = f"{method.upper()} {url}"
        if set(query) & {"page", "page_size", "limit", "offset"} or method != "get":
            _assert_json_4xx(response, what)
        else:  # e.g. ?year=10**25 finds nothing: any answer but a crash
            assert response.status_code < 500, what
        tried += 1
    assert tried >= 20


def test_page_sizes_and_page_numbers_past_their_bounds_get_422(caller):
    spec = _spec()
    bounded = 0
    client = Client()
    for path, method, op in _operations(spec):
        for p in op.get("parameters", []):
            schema = _resolve(spec, p["schema"])
            schema = next((o for o in schema.get("anyOf", []) if "maximum" in o), schema)
            if p["in"] != "query" or p["name"] not in {"page", "page_size", "limit", "offset"}:
                continue
            assert "maximum" in schema, f"{path} ?{p['name']} has no maximum"
            url = f"{_url(path, op)}?{p['name']}={schema['maximum'] + 1}"
            response = _send(client, method, url, op, None, caller["token"])
            assert response.status_code == 422, url
            bounded += 1
    assert bounded >= 5


def test_over_length_strings_in_paths_and_queries_never_give_a_500(caller):
    spec = _spec()
    client = Client()
    long = "字" * 3000
    for path, method, op in _operations(spec):
        if method != "get":
            continue
        strings = [
            p
            for p in op.get("parameters", [])
            if p["in"] == "query" and _resolve(spec, p["schema"]).get("type") != "integer"
        ]
        url = _url(path, op, value_for_str=long)
        query = "&".join(f"{p['name']}={long}" for p in strings if "format" not in p["schema"])
        response = _send(client, method, f"{url}?{query}", op, None, caller["token"])
        assert response.status_code < 500, url[:120]
        assert response["Content-Type"].startswith(("application/json", "application/vnd")), url


def test_an_over_long_ledger_description_is_refused_not_stored(personas, caller):
    response = Client().post(
        "/api/v1/rectification/entries",
        {
            "institution": personas.tree.TA1.code,
            "description": "问" * 5001,
            "deadline": "2030-01-01",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {caller['token']}",
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"].endswith("description")
    assert error["message"] == "最多 5000 个字符。"
    from jiceng.rectification.models import LedgerEntry

    assert not LedgerEntry.objects.exists()


class TestErrorsAreJson:
    def test_an_unknown_api_address_is_a_json_404(self, caller):
        response = Client().get(
            "/api/v1/no/such/thing", HTTP_AUTHORIZATION=f"Bearer {caller['token']}"
        )
        assert response.status_code == 404
        assert "API" in response.json()["detail"]

    def test_a_wrong_method_is_a_json_405_with_allow(self, caller):
        response = Client().put("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {caller['token']}")
        assert response.status_code == 405
        assert response.json()["detail"]
        assert "GET" in response["Allow"]

    def test_a_failed_csrf_check_is_json_in_chinese(self, caller, db):
        user = User.objects.get(username="root_admin")
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"] and "令牌" in response.json()["detail"]

    def test_a_crash_is_a_json_500_without_a_traceback(self, caller, monkeypatch):
        def boom(self):
            raise RuntimeError("secret internals")

        monkeypatch.setattr(User, "__str__", boom)
        monkeypatch.setattr("jiceng.accounts.api.MeOut", None)
        response = Client(raise_request_exception=False).get(
            "/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {caller['token']}"
        )
        assert response.status_code == 500
        assert "secret" not in response.content.decode()
        assert "稍后" in response.json()["detail"]

    def test_a_malformed_json_body_is_a_json_400(self, caller):
        response = Client().post(
            "/api/v1/rectification/entries",
            "{not json",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {caller['token']}",
        )
        assert 400 <= response.status_code < 500
        assert response.json()["detail"]
