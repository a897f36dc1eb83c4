"""Excel exports and pages show counts as whole numbers and estimates as 估算 (issue 8, 8).

"#,##0.##" made Excel show 1473 as "1,473."; an estimated denominator (patients estimated
from a prevalence) was shown with decimals and no word that it is an estimate. LibreOffice
is not installed here, so the formats are read back with openpyxl.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from .conftest import make_record_set, put

pytestmark = pytest.mark.django_db

BROKEN = ("#,##0.##", "0.##", "#.##")


@pytest.fixture
def estimated(tree):
    rs = make_record_set(node=tree.A)
    put(rs, tree.A, "2025", "htn_mgmt_rate", 1100, 1472.8)  # estimated patients
    put(rs, tree.A, "2025", "htn_std_mgmt", 1473, 2000)
    put(rs, tree.TA1, "2025", "htn_std_mgmt", 600, 1000)
    return rs


def formats(ws) -> set[str]:
    return {c.number_format for row in ws.iter_rows() for c in row}


def test_the_region_table_export_formats_counts_whole_and_rates_with_two_decimals(
    personas, estimated, client_for, tree
):
    r = client_for(personas.county_admin).get(
        reverse("indicators:table_export", args=[tree.A.code]) + "?period=2025"
    )
    ws = load_workbook(BytesIO(r.content)).active
    header = [c.value for c in ws[2]]
    total = {h: c for h, c in zip(header, ws[ws.max_row], strict=True)}
    assert total["高血压患者规范管理率 分子"].value == 1473
    assert total["高血压患者规范管理率 分子"].number_format == "#,##0"
    assert total["高血压患者规范管理率 分母"].number_format == "#,##0"
    assert total["高血压患者规范管理率"].number_format == "0.00%"
    den = total["高血压患者健康管理率 分母（估算）"]
    assert den.value == pytest.approx(1472.8)  # the exact estimate, shown whole
    assert den.number_format == "#,##0"
    assert not formats(ws) & set(BROKEN)


def test_an_estimated_denominator_is_shown_whole_and_marked_as_an_estimate(
    personas, estimated, client_for, tree
):
    client = client_for(personas.county_admin)
    html = client.get(reverse("indicators:node", args=[tree.A.code]) + "?period=2025").content
    html = html.decode()
    assert "1,473（估算）" in html
    assert "1,472.80" not in html
    body = client.get(f"/api/v1/indicators/values/{tree.A.code}?period=2025").json()
    v = next(x for x in body["values"] if x["indicator"] == "htn_mgmt_rate")
    assert v["denominator"] == pytest.approx(1472.8) and v["denominator_estimated"] is True


def test_the_publication_export_formats_counts_whole_and_percentages_with_one_decimal(tree):
    from jiceng.assessments.excel import publication_workbook

    group = {"name": "甲县", "total": 1473, "counts": [1000, 473], "percents": [67.9, 32.1]}
    table = {
        "year": 2025,
        "region": tree.C,
        "total": 1473,
        "headline": [],
        "rows": [],
        "verdict_labels": ["达到基本标准", "未达到基本标准"],
        "by_county": [group],
        "by_kind": [group],
    }
    wb = load_workbook(BytesIO(publication_workbook(table)))
    for ws in wb.worksheets:
        assert not formats(ws) & set(BROKEN), ws.title
    for ws in wb.worksheets[1:]:
        row = list(ws[2])
        assert [c.number_format for c in row[1:]] == ["#,##0", "#,##0", "0.0", "#,##0", "0.0"]
