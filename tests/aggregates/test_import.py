"""A county's file of many units' values: all or nothing, problems by file, row and column."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from jiceng.aggregates.models import DataValue
from jiceng.core import xlsx

from .helpers import load_sample


def upload(client, name, data, dataset="SATISFACTION"):
    return client.post(
        reverse("aggregates:import"), {"dataset": dataset, "file": SimpleUploadedFile(name, data)}
    )


def test_a_county_imports_a_csv_of_many_units(personas, client_for):
    t = personas.tree
    load_sample("satisfaction", t.P)
    csv = (
        "org_code,period,element,option,value\n"
        f"{t.TA1.code},2025Q1,OUT_SURVEYED,,40\n"
        f"{t.TA2.code},2025Q1,OUT_SURVEYED,,50\n"
    ).encode("gb18030")
    response = upload(client_for(personas.county_admin), "values.csv", csv)
    assert response.status_code == 302
    assert DataValue.objects.count() == 2


def test_a_bad_file_saves_nothing_and_names_file_row_and_column(personas, client_for):
    t = personas.tree
    load_sample("satisfaction", t.P)
    wb = Workbook()
    ws = wb.active
    for row in [
        ["org_code", "period", "element", "option", "value"],
        [t.TA1.code, "2025Q1", "OUT_SURVEYED", "", "40"],
        [t.TA1.code, "2025Q1", "OUT_SATISFIED", "", "abc"],
        [t.TB1.code, "2025Q1", "OUT_SURVEYED", "", "1"],
    ]:
        xlsx.append(ws, row)
    response = upload(client_for(personas.county_admin), "values.xlsx", xlsx.to_bytes(wb))
    assert response.status_code == 422
    problems = response.context["problems"]
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("values.xlsx", 3, "value"),
        ("values.xlsx", 4, "org_code"),
    ]
    assert not DataValue.objects.exists()


def test_a_missing_column_is_named(personas, client_for):
    load_sample("satisfaction", personas.tree.P)
    response = upload(client_for(personas.county_admin), "v.csv", b"org_code,period\nX,2025Q1\n")
    assert response.status_code == 422
    assert "缺少列 element" in response.content.decode()


def test_staff_cannot_open_the_import(personas, client_for):
    assert client_for(personas.clerk).get(reverse("aggregates:import")).status_code == 403
