"""A county's file of many units' values: all or nothing, problems by file, row and column."""

import base64
import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from jiceng.aggregates.models import DataValue
from jiceng.core import xlsx

from .helpers import load_sample


def upload(client, name, data, dataset="SATISFACTION", **extra):
    return client.post(
        reverse("aggregates:import"),
        {"dataset": dataset, "file": SimpleUploadedFile(name, data), **extra},
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
    saved = DataValue.objects.get(node=t.TA1)  # written in bulk: the number and the text
    assert (saved.value, saved.number, saved.period, saved.updated_at is not None) == (
        "40",
        40,
        "2025Q1",
        True,
    )


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


def _rejects(response) -> bytes:
    url = response.context["rejects_url"]
    assert url in response.content.decode().replace("&amp;", "&")
    return base64.b64decode(url.split(",", 1)[1])


def test_bad_rows_may_be_set_aside_and_come_back_as_a_rejects_file(personas, client_for):
    t = personas.tree
    load_sample("satisfaction", t.P)
    csv_text = (
        "org_code,period,element,option,value,remark\n"
        f"{t.TA1.code},2025Q1,OUT_SURVEYED,,40,ok\n"  # row 2: saved
        f"{t.TA1.code},2025Q1,OUT_SATISFIED,,abc,typo\n"  # row 3: not a number
        f"{t.TB1.code},2025Q1,OUT_SURVEYED,,1,other county\n"  # row 4: out of sight
        f"{t.TA2.code},2025-01,OUT_SURVEYED,,5,month\n"  # row 5: wrong period type
        f"{t.TA2.code},2025Q1,OUT_SURVEYED,,50,ok\n"  # row 6: saved
    )
    response = upload(
        client_for(personas.county_admin),
        "values.csv",
        csv_text.encode("gb18030"),
        bad_rows="set_aside",
    )
    assert response.status_code == 200
    done = response.context["done"]
    assert (done["values"], done["forms"], done["rejected"]) == (2, 2, 3)
    assert set(DataValue.objects.values_list("node__code", "value")) == {
        (t.TA1.code, "40"),
        (t.TA2.code, "50"),
    }
    rejects = list(csv.reader(io.StringIO(_rejects(response).decode("utf-8-sig"))))
    assert response.context["rejects_name"] == "values-rejects.csv"
    assert rejects[0] == ["org_code", "period", "element", "option", "value", "remark", "问题"]
    assert [r[:6] for r in rejects[1:]] == [
        [t.TA1.code, "2025Q1", "OUT_SATISFIED", "", "abc", "typo"],
        [t.TB1.code, "2025Q1", "OUT_SURVEYED", "", "1", "other county"],
        [t.TA2.code, "2025-01", "OUT_SURVEYED", "", "5", "month"],
    ]
    problems = [r[6] for r in rejects[1:]]
    assert problems[0].startswith("第3行，value列：")
    assert problems[1].startswith("第4行，org_code列：未知的机构")
    assert problems[2].startswith("第5行，period列：")


def test_a_workbook_with_rows_set_aside_gets_a_workbook_back(personas, client_for):
    t = personas.tree
    load_sample("satisfaction", t.P)
    wb = Workbook()
    for row in [
        ["org_code", "period", "element", "option", "value"],
        [t.TA1.code, "2025Q1", "OUT_SURVEYED", "", "40"],
        [t.TA1.code, "2025Q1", "NOPE", "", "4"],
    ]:
        xlsx.append(wb.active, row)
    response = upload(
        client_for(personas.county_admin), "v.xlsx", xlsx.to_bytes(wb), bad_rows="set_aside"
    )
    back = load_workbook(io.BytesIO(_rejects(response))).active
    rows = list(back.iter_rows(values_only=True))
    assert rows[1][:5] == (t.TA1.code, "2025Q1", "NOPE", None, "4")
    assert rows[1][5].startswith("第3行，element列：未知的数据元")
    assert DataValue.objects.get().value == "40"


def test_without_the_option_one_bad_row_still_saves_nothing(personas, client_for):
    t = personas.tree
    load_sample("satisfaction", t.P)
    csv_text = (
        "org_code,period,element,option,value\n"
        f"{t.TA1.code},2025Q1,OUT_SURVEYED,,40\n"
        f"{t.TA1.code},2025Q1,OUT_SATISFIED,,abc\n"
    )
    response = upload(client_for(personas.county_admin), "v.csv", csv_text.encode())
    assert response.status_code == 422
    assert not DataValue.objects.exists()
