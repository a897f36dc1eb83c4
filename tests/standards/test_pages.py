"""The /standards/ pages: list, upload with problems, detail with filters, downloads, deactivate."""

from __future__ import annotations

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from jiceng.standards.actions import do_load_samples
from jiceng.standards.catalog import load_catalog_file, sample_catalog_paths
from jiceng.standards.excel import write_catalog_excel
from jiceng.standards.models import Catalog


def sample_upload(kind="village_clinic", text=None, name=None):
    path = sample_catalog_paths()[kind]
    data = (text if text is not None else path.read_text(encoding="utf-8")).encode("utf-8")
    return SimpleUploadedFile(name or path.name, data, content_type="application/yaml")


def test_every_logged_in_user_reads_the_catalog_list_in_chinese(personas, client_for):
    do_load_samples(None)
    page = client_for(personas.clerk).get("/standards/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "服务能力标准" in html
    assert "乡镇卫生院服务能力标准（示例）" in html
    assert 'data-testid="upload-link"' not in html


def test_anonymous_visitors_are_sent_to_the_login_page(db, client):
    assert client.get("/standards/").status_code == 302


def test_an_admin_uploads_a_yaml_catalog_and_lands_on_its_page(personas, client_for):
    client = client_for(personas.county_admin)
    response = client.post("/standards/upload/", {"file": sample_upload()})
    catalog = Catalog.objects.get(code="village_clinic")
    assert response.status_code == 302
    assert response["Location"] == f"/standards/{catalog.pk}/"
    assert catalog.items.count() == 30


def test_an_upload_with_problems_shows_line_field_and_reason_and_loads_nothing(
    personas, client_for
):
    text = sample_catalog_paths()["village_clinic"].read_text(encoding="utf-8")
    bad = text.replace("basic_threshold: 0.80", "basic_threshold: 2").replace(
        "[village_clinic, community_station]", "[village_clinic, clinic]"
    )
    response = client_for(personas.province_admin).post(
        "/standards/upload/", {"file": sample_upload(text=bad)}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="catalog-problems"' in html
    assert "basic_threshold" in html and "institution_kinds" in html
    assert "clinic" in html
    assert '<td class="num">8</td>' in html and '<td class="num">12</td>' in html
    assert not Catalog.objects.exists()


def test_an_excel_catalog_can_be_uploaded(personas, client_for):
    spec = load_catalog_file(sample_catalog_paths()["community_hc"])
    upload = SimpleUploadedFile("official.xlsx", write_catalog_excel(spec))
    response = client_for(personas.province_admin).post("/standards/upload/", {"file": upload})
    assert response.status_code == 302
    assert Catalog.objects.get(code="community_hc").items.count() == len(spec.items)


def test_loading_the_same_version_again_is_refused_on_the_form(personas, client_for):
    client = client_for(personas.province_admin)
    client.post("/standards/upload/", {"file": sample_upload()})
    response = client.post("/standards/upload/", {"file": sample_upload()})
    assert response.status_code == 400
    assert "已加载" in response.content.decode()
    assert Catalog.objects.count() == 1


def test_non_administrators_cannot_upload_or_deactivate(personas, client_for):
    do_load_samples(None)
    catalog = Catalog.objects.first()
    for who in (personas.clerk, personas.county_reviewer, personas.analyst):
        client = client_for(who)
        assert client.get("/standards/upload/").status_code == 403
        assert client.post("/standards/upload/", {"file": sample_upload()}).status_code == 403
        assert client.post(f"/standards/{catalog.pk}/active/", {"active": "0"}).status_code == 403
    catalog.refresh_from_db()
    assert catalog.active


def test_the_detail_page_lists_items_and_filters_them(personas, client_for):
    do_load_samples(None)
    catalog = Catalog.objects.get(code="township_hc")
    client = client_for(personas.clerk)
    html = client.get(f"/standards/{catalog.pk}/").content.decode()
    assert html.count('data-item="') == 89
    assert "★" in html and "资料查阅" in html
    core = client.get(f"/standards/{catalog.pk}/?core=1&tier=basic").content.decode()
    assert core.count('data-item="') == catalog.items.filter(core=True, tier="basic").count()
    chapter = client.get(f"/standards/{catalog.pk}/?chapter=3&na=").content.decode()
    assert chapter.count('data-item="') == catalog.items.filter(chapter="3").count()
    found = client.get(f"/standards/{catalog.pk}/?q=冷链").content.decode()
    assert 'data-item="2.5.2"' in found


def test_the_grading_template_has_one_row_per_item(personas, client_for):
    do_load_samples(None)
    catalog = Catalog.objects.get(code="community_hc")
    response = client_for(personas.county_reviewer).get(
        f"/standards/{catalog.pk}/grading-template.xlsx"
    )
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content))["评分"]
    assert ws["A1"].value == "条款编号" and ws["I1"].value == "等级"
    assert ws.max_row == catalog.items.count() + 1


def test_an_admin_deactivates_and_reactivates_a_version(personas, client_for):
    do_load_samples(None)
    catalog = Catalog.objects.get(code="township_hc")
    client = client_for(personas.province_admin)
    response = client.post(f"/standards/{catalog.pk}/active/", {"active": "0", "reason": "新版"})
    assert response.status_code == 302
    catalog.refresh_from_db()
    assert not catalog.active
    client.post(f"/standards/{catalog.pk}/active/", {"active": "1"})
    catalog.refresh_from_db()
    assert catalog.active
