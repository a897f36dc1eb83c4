"""A grading workbook past the Excel limits is refused on the page and by the import command."""

from __future__ import annotations

import io

import pytest
from core.test_xlsx_limits import HEADERS, bounded_memory, far_cell_workbook  # noqa: F401 (fixture)
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from .conftest import fresh, submit
from .test_pages import url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bounded_memory")]


def bomb() -> bytes:
    return far_cell_workbook("评分", HEADERS["grades"])


def test_the_import_page_refuses_grades_with_a_cell_at_XFD1048576(cyc, client_for):
    sub = submit(cyc.p, cyc.sub)
    r = client_for(cyc.p.county_reviewer).post(
        url(sub, "import/"),
        {"file": SimpleUploadedFile("评分.xlsx", bomb()), "version": sub.version},
    )
    page = r.content.decode() if r.status_code != 302 else ""
    if r.status_code == 302:
        page = client_for(cyc.p.county_reviewer).get(r["Location"]).content.decode()
    assert "XFD1048576" in page
    assert fresh(sub).grades_at("county") == {}


def test_the_import_command_refuses_grades_with_a_cell_at_XFD1048576(cyc, tmp_path):
    path = tmp_path / "评分.xlsx"
    path.write_bytes(bomb())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "evaluation_import",
            str(path),
            institution=cyc.t.TA1.code,
            cycle=cyc.cycle.pk,
            level="self",
            user="clerk_ta1",
            stderr=err,
        )
    assert "XFD1048576" in err.getvalue()
    assert fresh(cyc.sub).grades_at("self") == {}
