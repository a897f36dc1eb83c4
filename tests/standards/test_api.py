"""The /api/v1/standards endpoints."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.standards.actions import do_load_samples
from jiceng.standards.catalog import sample_catalog_paths
from jiceng.standards.models import Catalog


def test_the_catalog_list_and_detail_are_readable_by_everyone(personas, client_for):
    do_load_samples(None)
    client = client_for(personas.village_clerk)
    listing = client.get("/api/v1/standards/catalogs").json()["items"]
    assert {c["code"] for c in listing} == {"township_hc", "community_hc", "village_clinic"}
    village = next(c for c in listing if c["code"] == "village_clinic")
    assert village["items_count"] == 30
    detail = client.get(f"/api/v1/standards/catalogs/{village['id']}").json()
    assert len(detail["items"]) == 30
    assert detail["items"][0]["code"] == "1.1.1" and detail["items"][0]["core"] is True
    assert detail["items"][0]["chapter_title"] == "功能任务与资源配置"


def test_the_verdict_endpoint_applies_the_rules(personas, client_for):
    do_load_samples(None)
    catalog = Catalog.objects.get(code="village_clinic")
    grades = {i.code: "达标" for i in catalog.items.all()}
    grades["1.3.1"] = "不达标"
    response = client_for(personas.county_reviewer).post(
        "/api/v1/standards/verdict",
        {"catalog_id": catalog.pk, "grades": grades},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["verdict"] == "none"
    assert body["tiers"]["basic"]["failed_core"] == ["1.3.1"]
    assert body["next_tier_gap"] == ["1.3.1"]


def test_a_bad_grading_is_422_naming_each_item(personas, client_for):
    do_load_samples(None)
    catalog = Catalog.objects.get(code="village_clinic")
    grades = {i.code: "达标" for i in catalog.items.all()}
    grades.pop("2.1.1")
    grades["1.1.1"] = "NA"
    grades["4.1.4"] = "优"
    grades["X"] = "达标"
    response = client_for(personas.county_reviewer).post(
        "/api/v1/standards/verdict",
        {"catalog_id": catalog.pk, "grades": grades},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"2.1.1", "1.1.1", "4.1.4", "X"}


def test_an_admin_uploads_a_catalog_through_the_api(personas, client_for):
    path = sample_catalog_paths()["village_clinic"]
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client_for(personas.province_admin).post(
        "/api/v1/standards/catalogs", {"file": upload}
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "village_clinic"


def test_an_invalid_upload_is_422_with_lines_and_nothing_is_loaded(personas, client_for):
    upload = SimpleUploadedFile("bad.yaml", b"code: x\nversion: 1\nscale: []\n")
    response = client_for(personas.province_admin).post(
        "/api/v1/standards/catalogs", {"file": upload}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"] == "scale" and e["row"] == 3 for e in errors)
    assert any(e["field"] == "title" for e in errors)
    assert not Catalog.objects.exists()


def test_only_administrators_upload_through_the_api(personas, client_for):
    path = sample_catalog_paths()["village_clinic"]
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client_for(personas.county_reviewer).post(
        "/api/v1/standards/catalogs", {"file": upload}
    )
    assert response.status_code == 403
    assert not Catalog.objects.exists()
