"""The API refuses workbooks past the Excel limits with a 422 naming file and sheet."""

from __future__ import annotations

import pytest
from core.test_xlsx_limits import HEADERS, bounded_memory, far_cell_workbook  # noqa: F401 (fixture)
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bounded_memory")]


def test_the_tree_import_answers_422_for_a_cell_at_XFD1048576(personas, api):
    data = far_cell_workbook("机构", HEADERS["orgs tree"])
    r = api(personas.county_admin)(
        "POST", "/orgs/import", data={"file": SimpleUploadedFile("大.xlsx", data)}
    )
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    assert errors[0]["file"] == "大.xlsx" and "XFD1048576" in errors[0]["message"]


def test_the_catalog_upload_answers_422_for_a_cell_at_XFD1048576(personas, api):
    data = far_cell_workbook("条款", HEADERS["standards catalog"])
    r = api(personas.province_admin)(
        "POST", "/standards/catalogs", data={"file": SimpleUploadedFile("目录.xlsx", data)}
    )
    assert r.status_code == 422, r.content
    assert "XFD1048576" in r.json()["errors"][0]["message"]
