"""A record set whose .xlsx table has a cell at XFD1048576 fails with a clear problem."""

from __future__ import annotations

import pytest
from core.test_xlsx_limits import bounded_memory, far_cell_workbook  # noqa: F401 (fixture)
from django.test import override_settings

from jiceng.indicators.models import RecordSet

from .test_upload import IMMEDIATE, record_set_dir, upload, zip_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bounded_memory")]


@override_settings(TASKS=IMMEDIATE)
def test_an_upload_with_an_xlsx_table_past_the_limits_fails_with_its_sheet_named(
    personas, client_for, tmp_path
):
    tree = personas.tree
    folder = record_set_dir(tree, tmp_path)
    (folder / "orgs.csv").unlink(missing_ok=True)
    (folder / "population.csv").unlink()
    (folder / "population.xlsx").write_bytes(
        far_cell_workbook("population", ("org_code", "year", "permanent_residents"))
    )
    r = upload(client_for(personas.county_admin), tree, zip_of(folder))
    assert r.status_code == 302
    rs = RecordSet.objects.get()
    assert rs.status == RecordSet.Status.FAILED
    assert any(
        p["file"] == "population.xlsx" and "XFD1048576" in p["message"] for p in rs.problems
    ), rs.problems
