"""Every API list that grows with the tree, the institutions or time is paged, walked from the
OpenAPI document: ``?page=&page_size=`` (bounded) and an answer ``{"items": [...], "count": N}``.
A list that stays small whatever the data (the indicators of one unit, the items of one
catalog) is named below with the reason it is bounded."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from django.test import Client

from jiceng.accounts import actions
from jiceng.accounts.models import User
from jiceng.api.main import api as ninja_api
from jiceng.api.pagination import MAX_PAGE_SIZE

# A GET whose answer is a plain JSON array: bounded, and why.
BOUNDED_LISTS = {
    "/api/v1/indicators/definitions": "the indicator definitions of the platform (a fixed set)",
    "/api/v1/orgs/{code}/years": "one row per calendar year in which figures were loaded",
}

# An array inside a GET's object answer (path, property): bounded, and why.
BOUNDED_PARTS = {
    ("/api/v1/indicators/values/{code}", "values"): "one per indicator definition",
    ("/api/v1/indicators/recordsets/{rs_id}", "problems"): "at most 100 per check of one load",
    ("/api/v1/rectification/entries/{entry_id}", "evidence"): "the files of one ledger entry",
    ("/api/v1/rectification/entries/{entry_id}", "history"): "the steps of one ledger entry",
    ("/api/v1/rectification/visits/{visit_id}", "entries"): "the findings of one visit",
    ("/api/v1/rectification/counts", "by_county"): "one count per county of one region",
    ("/api/v1/insights/data", "measures"): "at most 8 measures a view (insights.request)",
    (
        "/api/v1/insights/data",
        "periods",
    ): "the periods of one view: 12 months, 4 quarters or 5 years",
    ("/api/v1/rectification/counts", "by_source"): "one count per kind of source",
    ("/api/v1/standards/catalogs/{catalog_id}", "institution_kinds"): "the kinds of one catalog",
    ("/api/v1/standards/catalogs/{catalog_id}", "scale"): "the grade scale of one catalog",
    ("/api/v1/standards/catalogs/{catalog_id}", "items"): "the items of one catalog",
    ("/api/v1/evaluation/submissions/{pk}/grades", "grades"): "one per item of one catalog",
    ("/api/v1/evaluation/submissions/{pk}/grades", "missing"): "items of one catalog",
    ("/api/v1/evaluation/publications", "headline"): "one count per verdict",
    ("/api/v1/evaluation/publications", "by_county"): "one count per county of one region",
    ("/api/v1/evaluation/publications", "by_kind"): "one count per kind of institution",
    ("/api/v1/evaluation/progress", "stages"): "the stages of an evaluation",
    ("/api/v1/evaluation/progress", "rows"): "one row per county of one region",
}

# A GET whose JSON answer has no schema in the OpenAPI document: what it holds, and why its
# lists are bounded.
UNDESCRIBED = {
    "/api/v1/orgs/export": "an .xlsx download, not JSON",
    "/api/v1/evaluation/submissions/{pk}/verdict": "one submission's verdict and reasons",
    "/api/v1/evaluation/submissions/{pk}/consistency": "one submission's agreement figures",
    "/api/v1/evaluation/consistency": "one row per county and per county reviewer of a region",
}

# The ledger predates ``page``: its ``{items, count, overdue}`` is windowed by limit/offset.
PAGE_PARAMS = ({"page", "page_size"}, {"limit", "offset"})


@functools.cache
def _spec() -> dict:
    return ninja_api.get_openapi_schema()


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_array(schema: dict) -> bool:
    schema = _resolve(schema)
    return schema.get("type") == "array" or any(_is_array(o) for o in schema.get("anyOf", []))


def _get_answers() -> Iterator[tuple[str, dict, dict | None]]:
    """(path, operation, schema of the JSON 200 answer or None) of every GET."""
    for path, ops in _spec()["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        ok = op["responses"].get("200") or op["responses"].get(200) or {}
        media = ok.get("content", {}).get("application/json")
        yield path, op, _resolve(media["schema"]) if media else None


def _query_params(op: dict) -> dict[str, dict]:
    return {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}


def _paged(op: dict, schema: dict) -> bool:
    props = schema.get("properties", {})
    names = set(_query_params(op))
    return {"items", "count"} <= set(props) and any(ps <= names for ps in PAGE_PARAMS)


def _paged_operations() -> list[tuple[str, dict]]:
    return [(p, op) for p, op, schema in _get_answers() if schema and _paged(op, schema)]


def test_every_list_answer_is_paged_or_known_to_be_bounded():
    unpaged = []
    for path, op, schema in _get_answers():
        if schema is None:
            continue
        if schema.get("type") == "array":
            if path not in BOUNDED_LISTS:
                unpaged.append(f"GET {path}: a plain array")
            continue
        paged = _paged(op, schema)
        for name, prop in schema.get("properties", {}).items():
            if paged and name == "items":
                continue
            if _is_array(prop) and (path, name) not in BOUNDED_PARTS:
                unpaged.append(f"GET {path}: .{name} is an unpaged array")
    assert unpaged == []


def test_every_get_without_an_answer_schema_is_known():
    undescribed = {path for path, _op, schema in _get_answers() if schema is None}
    assert undescribed == set(UNDESCRIBED)


def test_the_allow_lists_name_only_operations_that_exist():
    paths = {path for path, _op, _s in _get_answers()}
    assert set(BOUNDED_LISTS) <= paths
    assert {path for path, _name in BOUNDED_PARTS} <= paths


def test_every_paged_list_bounds_its_page_and_page_size():
    paged = _paged_operations()
    assert len(paged) >= 12
    for path, op in paged:
        params = _query_params(op)
        for name in ("page", "page_size", "limit", "offset"):
            if name in params:
                schema = _resolve(params[name]["schema"])
                schema = next((o for o in schema.get("anyOf", []) if "maximum" in o), schema)
                assert schema.get("maximum"), f"{path} ?{name} has no maximum"
                assert schema.get("minimum") is not None, f"{path} ?{name} has no minimum"


@pytest.fixture
def token(tree):
    user = User.objects.create_user("paging_root", password="Jiceng-test-2025", role="admin")
    user.is_superuser = True
    user.save()
    _t, raw = actions.do_create_token(user, user, "paging")
    return raw


def _url(path: str, op: dict) -> str:
    for p in op.get("parameters", []):
        if p["in"] == "path":
            kind = _resolve(p["schema"]).get("type")
            path = path.replace("{" + p["name"] + "}", "1" if kind == "integer" else "330000000000")
    return path


def test_a_page_size_past_the_cap_is_a_json_422_on_every_paged_list(token):
    client = Client()
    for path, op in _paged_operations():
        size = "page_size" if "page_size" in _query_params(op) else "limit"
        url = f"{_url(path, op)}?{size}={MAX_PAGE_SIZE + 1}"
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 422, url
        assert response["Content-Type"].startswith("application/json"), url
        body = response.json()
        assert body["detail"], url
        assert any(e.get("field", "").endswith(size) for e in body["errors"]), (url, body)


# --- the pages themselves: sizes, counts, and a query count that does not grow with the data


def _grow_children(p, n, i):
    from jiceng.orgs.actions import do_create_node

    for k in range(n):
        code = f"3301011002{50 + 10 * i + k:02d}"
        do_create_node(
            None, code=code, name=f"新村{i}{k}", kind="village_clinic", parent=p.tree.TA1
        )


def _grow_history(p, n, i):
    from jiceng.orgs.actions import do_update_node

    for k in range(n):
        do_update_node(None, p.tree.VA2, name=f"西村卫生室{i}{k}")


def _grow_tokens(p, n, i):
    for k in range(n):
        actions.do_create_token(p.province_admin, p.province_admin, f"t{i}{k}")


def _grow_targets(p, n, i):
    from jiceng.indicators.models import Target

    nodes = [p.tree.A, p.tree.B, p.tree.TA1, p.tree.TA2, p.tree.TB1, p.tree.CA1]
    for k in range(n):
        Target.objects.create(indicator="htn_std_mgmt", node=nodes[k], year=2020 + i, threshold=0.6)


def _grow_record_sets(p, n, i):
    from django.utils import timezone

    from jiceng.indicators.models import RecordSet

    for k in range(n):
        node = [p.tree.A, p.tree.B, p.tree.TA1][k % 3]
        RecordSet.objects.create(
            name=f"rs{i}{k}", node=node, status=RecordSet.Status.READY, loaded_at=timezone.now()
        )


def _grow_visits(p, n, i):
    import datetime as dt

    from jiceng.rectification.actions import FindingInput, do_record_visit

    t = p.tree
    for k in range(n):
        region = [t.A, t.B][k % 2]
        places = [t.TA1, t.CA1] if region == t.A else [t.TB1]
        do_record_visit(
            p.county_reviewer if region == t.A else p.county_reviewer_b,
            region,
            visited_on=dt.date(2025, 3, 1 + k),
            team="督导组",
            findings=[FindingInput(x, f"问题{i}{k}", dt.date(2026, 1, 1)) for x in places],
        )


def _grow_catalogs(p, n, i):
    from jiceng.standards.models import Catalog

    for k in range(n):
        owner = [p.tree.A, p.tree.B, p.tree.C][k % 3]
        Catalog.objects.create(code=f"c{i}{k}", version="1", title="目录", owner=owner)


def _grow_bad_practice(p, n, i):
    """Points against institutions of both counties, each with two evidence file rows (the
    list reads their names and sizes, not the stored files)."""
    import datetime as dt

    from jiceng.appraisal.models import BadPractice, EvidenceFile

    for k in range(n):
        node = [p.tree.TA1, p.tree.TB1, p.tree.CA1][k % 3]
        bad = BadPractice.objects.create(
            institution=node, date=dt.date(2025, 1, 1 + k), rule=f"规则{i}{k}", points=1
        )
        for j in range(2):
            f = EvidenceFile.objects.create(
                node=node, file=f"appraisal/x/{i}{k}{j}.pdf", name="a.pdf", kind="pdf", size=1
            )
            bad.files.add(f)


GROWING = {
    "/orgs/330101100000/children": _grow_children,
    "/orgs/330101100202/history": _grow_history,
    "/tokens": _grow_tokens,
    "/indicators/targets": _grow_targets,
    "/indicators/recordsets": _grow_record_sets,
    "/rectification/visits": _grow_visits,
    "/standards/catalogs": _grow_catalogs,
    "/appraisal/bad-practice": _grow_bad_practice,
}


@pytest.mark.parametrize("path", list(GROWING))
def test_a_paged_list_answers_its_pages_in_queries_that_do_not_grow_with_the_data(
    personas, api, path
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grow = GROWING[path]
    call = api(personas.province_admin)

    def page(**params):
        with CaptureQueriesContext(connection) as queries:
            response = call("GET", path, data=params)
        assert response.status_code == 200, response.content
        return len(queries), response.json()

    grow(personas, 2, 0)
    page()  # the token's first use is recorded once
    few, small = page()
    grow(personas, 4, 1)
    many, big = page()
    assert big["count"] == small["count"] + 4 and len(big["items"]) == big["count"]
    assert many == few, f"{path}: {few} queries for {small['count']} rows, {many} for more"
    first, _ = page(page_size=2)
    _, second = page(page_size=2, page=2)
    _, beyond = page(page_size=2, page=1000)
    assert first == few
    assert len(second["items"]) == 2 and second["count"] == big["count"]
    assert second["items"] == big["items"][2:4]
    assert beyond == {"items": [], "count": big["count"]}
