"""The tree import refuses a workbook past the Excel limits on the page and on the command line."""

from __future__ import annotations

import pytest
from core.test_xlsx_limits import HEADERS, bounded_memory, far_cell_workbook  # noqa: F401 (fixture)
from django.core.files.uploadedfile import SimpleUploadedFile

from .helpers import db_state
from .test_cli import run_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bounded_memory")]


def bomb() -> bytes:
    return far_cell_workbook("机构", HEADERS["orgs tree"])


def test_the_import_page_refuses_a_cell_at_XFD1048576_and_saves_nothing(personas, client_for):
    before = db_state()
    response = client_for(personas.county_admin).post(
        "/orgs/import/", {"file": SimpleUploadedFile("大.xlsx", bomb())}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "工作表“机构”在 XFD1048576 处有单元格" in html and "大.xlsx" in html
    assert db_state() == before


def test_the_import_command_refuses_a_cell_at_XFD1048576(tree, tmp_path):
    path = tmp_path / "大.xlsx"
    path.write_bytes(bomb())
    code, _out, err = run_command("orgs_import", str(path))
    assert code == 1 and "XFD1048576" in err and "最多 500000 行" in err


def test_an_old_xls_file_is_refused_with_a_hint_to_save_as_xlsx(tree, tmp_path):
    path = tmp_path / "旧.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    code, _out, err = run_command("orgs_import", str(path))
    assert code == 1 and ".xlsx" in err
