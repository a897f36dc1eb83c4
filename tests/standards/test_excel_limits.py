"""Catalog and grading workbooks past the Excel limits are refused on the page and the CLI."""

from __future__ import annotations

import pytest
from core.test_xlsx_limits import HEADERS, bounded_memory, far_cell_workbook  # noqa: F401 (fixture)
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.standards.models import Catalog

from .test_cli import VILLAGE, run

pytestmark = pytest.mark.usefixtures("bounded_memory")


@pytest.mark.django_db
def test_the_upload_page_refuses_a_catalog_with_a_cell_at_XFD1048576(personas, client_for):
    data = far_cell_workbook("条款", HEADERS["standards catalog"])
    response = client_for(personas.province_admin).post(
        "/standards/upload/", {"file": SimpleUploadedFile("目录.xlsx", data)}
    )
    assert response.status_code != 302
    assert "XFD1048576" in response.content.decode()
    assert not Catalog.objects.exists()


@pytest.mark.django_db
def test_the_load_command_refuses_a_catalog_with_a_cell_at_XFD1048576(tmp_path):
    path = tmp_path / "目录.xlsx"
    path.write_bytes(far_cell_workbook("条款", HEADERS["standards catalog"]))
    code, _out, err = run("standards_load", str(path))
    assert code == 1 and "XFD1048576" in err
    assert not Catalog.objects.exists()


def test_the_verdict_command_refuses_grades_with_a_cell_at_XFD1048576(tmp_path):
    path = tmp_path / "评分.xlsx"
    path.write_bytes(far_cell_workbook("评分", HEADERS["grades"]))
    code, _out, err = run("standards_verdict", VILLAGE, str(path))
    assert code == 1 and "XFD1048576" in err
