"""The downloadable record set template."""

import csv
import io
import zipfile

from jiceng.analytics import check_recordset
from jiceng.analytics.schema import TABLES
from jiceng.analytics.template import template_zip


def test_the_template_has_a_csv_for_every_table_with_the_contracts_columns():
    zf = zipfile.ZipFile(io.BytesIO(template_zip()))
    for table in TABLES:
        header = next(csv.reader(io.StringIO(zf.read(f"{table.name}.csv").decode())))
        assert header == [c.name for c in table.columns]
    description = zf.read("说明.csv").decode("utf-8-sig")
    assert "身份证号" in description and "followups" in description
    assert "pregnancies （可选）" in description and "vaccinations （可选）" in description
    assert "HepB" in description and "prenatal_first 按 prenatal_check" in description


def test_the_unzipped_template_passes_the_record_set_check(tmp_path):
    zipfile.ZipFile(io.BytesIO(template_zip())).extractall(tmp_path)
    result = check_recordset(tmp_path)
    assert result.problems == []
    assert result.counts["residents"] == 4  # two adults, a mother and her child
    assert result.counts["pregnancies"] == 1
    assert result.counts["vaccinations"] == 3


def test_the_template_page_downloads_the_zip(personas, client_for):
    response = client_for(personas.clerk).get("/indicators/recordsets/template.zip")
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()[0] == "orgs.csv"


def test_the_template_command_writes_the_same_zip(tmp_path, db):
    from django.core.management import call_command

    out = tmp_path / "t.zip"
    call_command("records_template", str(out), stdout=io.StringIO())
    assert out.read_bytes() == template_zip()
