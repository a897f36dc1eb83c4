"""The region table: rows below a node, server-side sorting, levels, Excel export."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.indicators import queries
from jiceng.indicators.actions import do_set_target

pytestmark = pytest.mark.django_db


def table_url(node, **params):
    from urllib.parse import urlencode

    return f"{reverse('indicators:table', args=[node.code])}?{urlencode(params)}"


def codes_in_order(html: str, candidates) -> list[str]:
    found = [(html.find(f'data-code="{c.code}"'), c.code) for c in candidates]
    return [code for pos, code in sorted(found) if pos >= 0]


def test_rows_are_the_children_by_default_with_the_region_total(personas, values, tree):
    table = queries.region_table(tree.A, "2025")
    assert [r.node for r in table.rows] == [tree.TA1, tree.TA2]
    assert table.hidden == 1  # CA1 has no values
    assert table.total.cells["htn_std_mgmt"].value == pytest.approx(0.7)


def test_a_level_lists_the_villages_of_the_county(personas, values, tree):
    table = queries.region_table(tree.A, "2025", level="village")
    assert [r.node for r in table.rows] == [tree.VA1, tree.VA2, tree.VA3]


def test_it_sorts_by_an_indicator_in_both_directions(personas, values, tree):
    asc = queries.region_table(tree.A, "2025", level="village", sort="htn_std_mgmt")
    assert [r.node for r in asc.rows] == [tree.VA2, tree.VA1, tree.VA3]  # 50%, 75%, 90%
    desc = queries.region_table(tree.A, "2025", level="village", sort="-htn_std_mgmt")
    assert [r.node for r in desc.rows] == [tree.VA3, tree.VA1, tree.VA2]


def test_sorting_works_through_the_url_without_javascript(personas, values, client_for, tree):
    client = client_for(personas.county_admin)
    villages = [tree.VA1, tree.VA2, tree.VA3]
    html = client.get(table_url(tree.A, period="2025", level="village", sort="-htn_std_mgmt"))
    assert codes_in_order(html.content.decode(), villages) == [
        tree.VA3.code,
        tree.VA1.code,
        tree.VA2.code,
    ]
    html = client.get(table_url(tree.A, period="2025", level="village", sort="name")).content
    names = sorted(villages, key=lambda n: n.name)
    assert codes_in_order(html.decode(), villages) == [n.code for n in names]


def test_an_unknown_sort_key_falls_back_to_the_code(personas, values, tree):
    table = queries.region_table(tree.A, "2025", level="village", sort="drop table")
    assert table.sort == "code"
    assert [r.node for r in table.rows] == [tree.VA1, tree.VA2, tree.VA3]


def test_missed_targets_are_marked_in_the_table(personas, values, client_for, tree):
    do_set_target(None, indicator="htn_std_mgmt", node=tree.A, year=2025, threshold_percent=80)
    html = client_for(personas.county_admin).get(table_url(tree.A, period="2025")).content.decode()
    assert html.count('class="num miss"') == 2  # TA1 60% and the county 70%; TA2 90% meets it


def test_the_excel_export_has_chinese_headers_and_formatted_rates(
    personas, values, client_for, tree
):
    client = client_for(personas.county_admin)
    r = client.get(
        reverse("indicators:table_export", args=[tree.A.code])
        + "?period=2025&level=village&sort=-htn_std_mgmt"
    )
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(r.content)).active
    header = [c.value for c in ws[2]]
    assert header[:2] == ["编码", "名称"]
    i = header.index("高血压患者规范管理率")
    assert header[i - 2] == "高血压患者规范管理率 分子"
    assert header[i - 1] == "高血压患者规范管理率 分母"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in rows] == [tree.VA3.code, tree.VA1.code, tree.VA2.code, tree.A.code]
    assert rows[0][i - 2] == 45 and rows[0][i - 1] == 50
    assert rows[0][i] == pytest.approx(0.9)
    assert ws.cell(3, i + 1).number_format == "0.00%"


def test_the_export_names_the_service_groups_over_their_columns_as_the_page_does(
    personas, values, client_for, tree
):
    from jiceng.analytics.definitions import registry

    reg = registry()
    client = client_for(personas.county_admin)
    r = client.get(reverse("indicators:table_export", args=[tree.A.code]) + "?period=2025")
    ws = load_workbook(BytesIO(r.content)).active
    header = [c.value for c in ws[2]]
    # Each merged range of row 1 spans exactly the numerator, denominator and rate columns
    # of the indicators of its group.
    spans = sorted(
        (m.min_col, m.max_col, ws.cell(1, m.min_col).value)
        for m in ws.merged_cells.ranges
        if m.min_row == 1
    )
    group_of = {d.name_zh: reg.groups[d.group] for d in reg.indicators}
    order = list(reg.groups.values())
    assert len(spans) >= 2  # the fixture has values in two groups
    assert [name for _, _, name in spans] == sorted({name for _, _, name in spans}, key=order.index)
    assert spans[0][0] == 3 and spans[-1][1] == len(header)
    for (first, last, name), (nxt, _, _) in zip(
        spans, spans[1:] + [(len(header) + 1, 0, 0)], strict=True
    ):
        assert last + 1 == nxt and (last - first + 1) % 3 == 0
        for c in range(first, last + 1):
            assert group_of[header[c - 1].split(" ")[0]] == name


def test_the_table_and_export_are_404_outside_the_users_sight(personas, values, client_for, tree):
    client = client_for(personas.county_reviewer_b)
    assert client.get(table_url(tree.A, period="2025")).status_code == 404
    assert client.get(reverse("indicators:table_export", args=[tree.A.code])).status_code == 404


def test_the_table_page_does_not_query_per_row(
    personas, values, client_for, tree, django_assert_max_num_queries
):
    from .conftest import make_record_set, put

    rs = make_record_set(name="更多", node=tree.A)
    for node in (tree.VA1, tree.VA2, tree.VA3, tree.SA1):
        for code in ("hr_coverage", "fd_sign_rate", "elderly_mgmt"):
            put(rs, node, "2025", code, 50, 100)
    client = client_for(personas.county_admin)
    # 12, and one for the data sets whose indicators are listed below the table (none here)
    with django_assert_max_num_queries(13):
        r = client.get(table_url(tree.A, period="2025", level="village"))
    assert r.status_code == 200 and r.content.decode().count("50.00%") == 12
