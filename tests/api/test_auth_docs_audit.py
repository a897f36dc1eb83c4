"""API authentication, the OpenAPI document and docs page, and the audit endpoint."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from jiceng.accounts.models import ApiToken
from jiceng.orgs.actions import do_update_node

from .conftest import make_token


def test_a_malformed_token_is_401_with_a_chinese_reason(personas, client):
    r = client.get("/api/v1/orgs", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"]), r.json()


def test_a_header_without_bearer_is_401(personas, client):
    r = client.get("/api/v1/orgs", headers={"Authorization": "Token abc"})
    assert r.status_code == 401 and re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


def test_an_unknown_token_is_401(personas, client):
    r = client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {ApiToken.generate()}"})
    assert r.status_code == 401 and re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


def test_a_revoked_token_is_401(personas, client):
    raw = make_token(personas.county_admin)
    ApiToken.objects.update(revoked=True)
    assert client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_no_credentials_is_401(personas, client):
    r = client.get("/api/v1/orgs")
    assert r.status_code == 401 and re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


def test_a_valid_token_is_accepted_and_marked_used(personas, client):
    raw = make_token(personas.county_reviewer)
    r = client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_the_session_of_a_logged_in_browser_works(personas, client_for):
    c = client_for(personas.county_reviewer)
    r = c.get(f"/api/v1/orgs/{personas.tree.TA1.code}")
    assert r.status_code == 200 and r.json()["code"] == personas.tree.TA1.code


def test_session_writes_need_the_csrf_token(personas, client):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(personas.county_admin)
    r = c.patch(
        f"/api/v1/orgs/{personas.tree.TA1.code}",
        data={"name": "x"},
        content_type="application/json",
    )
    assert r.status_code in (401, 403)
    personas.tree.TA1.refresh_from_db()
    assert personas.tree.TA1.name == "甲一镇卫生院"


def test_openapi_lists_the_orgs_and_audit_endpoints(db, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in [
        "/api/v1/orgs",
        "/api/v1/orgs/{code}",
        "/api/v1/orgs/{code}/children",
        "/api/v1/orgs/{code}/years",
        "/api/v1/orgs/{code}/history",
        "/api/v1/orgs/{code}/years/{year}",
        "/api/v1/orgs/import",
        "/api/v1/orgs/export",
        "/api/v1/audit",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/orgs"]) == {"get", "post"}
    assert set(paths["/api/v1/orgs/{code}"]) == {"get", "patch"}


def test_the_docs_page_uses_only_local_static_files(db, client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    # Every referenced file is served by us: no scheme, no protocol-relative URL.
    # (A substring check on "cdn" once failed on a random CSRF token.)
    references = re.findall(r'(?:src|href|url)\s*[=:]\s*"([^"]+)"', html)
    assert references
    assert [ref for ref in references if not ref.startswith("/") or ref.startswith("//")] == []
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert {"vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css"} <= set(
        assets
    )
    for asset in assets:
        assert finders.find(asset), asset


# ------------------------------------------------------------------ audit


@pytest.fixture
def moved(personas):
    tree = personas.tree
    do_update_node(personas.province_admin, tree.VA2, name="西村新卫生室")
    do_update_node(personas.province_admin, tree.VB1, name="北村新卫生室")
    return tree


def test_an_admin_reads_the_audit_trail_of_an_object(personas, api, moved):
    r = api(personas.county_admin)(
        "GET", "/audit", data={"object_type": "orgs.node", "object_id": str(moved.VA2.pk)}
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["action"] for i in items] == ["orgs.update_node", "orgs.create_node"]
    assert (
        items[0]["before"]["name"] == "西村卫生室" and items[0]["after"]["name"] == "西村新卫生室"
    )
    assert items[0]["actor"] == "admin_p"


def test_the_audit_trail_is_limited_to_the_admins_area(personas, api, moved):
    r = api(personas.county_admin)(
        "GET", "/audit", data={"object_type": "orgs.node", "object_id": str(moved.VB1.pk)}
    )
    assert r.status_code == 200 and r.json()["items"] == []
    everything = api(personas.county_admin)("GET", "/audit", data={"page_size": 500}).json()
    assert all("北村" not in i["object_repr"] for i in everything["items"])


def test_a_non_admin_cannot_read_the_audit_trail(personas, api):
    assert api(personas.county_reviewer)("GET", "/audit").status_code == 403


def test_answers_keep_chinese_readable_in_the_raw_json(personas, api):
    r = api(personas.county_reviewer)("GET", f"/orgs/{personas.tree.TA1.code}")
    assert r["Content-Type"] == "application/json; charset=utf-8"
    assert "甲一镇卫生院" in r.content.decode("utf-8")
