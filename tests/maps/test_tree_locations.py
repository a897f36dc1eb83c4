"""Longitude and latitude of institutions in the tree template: read, checked, stored,
written back; a sheet without the columns leaves the locations as they are."""

from __future__ import annotations

from decimal import Decimal

import pytest
from orgs.helpers import NODE_HEADER, db_state, workbook

from jiceng.core.errors import ValidationFailed
from jiceng.orgs.actions import do_import_tree
from jiceng.orgs.excel import write_workbook
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import Node

HEADER = [*NODE_HEADER, "经度", "纬度"]
A = "330101000000"
TA1 = "330101100000"


def _run(rows, header=HEADER):
    return do_import_tree(None, plan_import(workbook(rows, node_header=header), "t.xlsx"))


def _problems(rows):
    before = db_state()
    with pytest.raises(ValidationFailed) as info:
        _run(rows)
    assert db_state() == before
    return info.value.problems


def test_a_location_is_stored_to_six_decimals(tree):
    _run([[TA1, "甲一镇卫生院", "乡镇卫生院", A, None, None, None, 120.1550712, "30.27408"]])
    node = Node.objects.get(code=TA1)
    assert (node.longitude, node.latitude) == (Decimal("120.155071"), Decimal("30.274080"))


def test_a_sheet_without_the_columns_leaves_the_location_unchanged(tree):
    Node.objects.filter(code=TA1).update(longitude=Decimal("120.5"), latitude=Decimal("30.5"))
    _run([[TA1, "甲一镇卫生院（新）", "乡镇卫生院", A, None, None, None]], header=NODE_HEADER)
    node = Node.objects.get(code=TA1)
    assert node.name == "甲一镇卫生院（新）" and node.longitude == Decimal("120.5")


def test_empty_cells_clear_the_location(tree):
    Node.objects.filter(code=TA1).update(longitude=Decimal("120.5"), latitude=Decimal("30.5"))
    _run([[TA1, "甲一镇卫生院", "乡镇卫生院", A, None, None, None, None, None]])
    assert Node.objects.get(code=TA1).longitude is None


@pytest.mark.parametrize(
    "lon, lat, column, words",
    [
        (13375000, 3500000, "机构!H", "超出 -180 至 180"),  # Web Mercator metres
        ("东经120度", 30, "机构!H", "应为十进制度数值"),
        (120, 95, "机构!I", "超出 -90 至 90"),
        (120, None, "机构!I", "同时填写"),
    ],
)
def test_a_bad_location_is_named_by_row_and_column_and_nothing_changes(
    tree, lon, lat, column, words
):
    found = _problems([[TA1, "甲一镇卫生院", "乡镇卫生院", A, None, None, None, lon, lat]])
    p = found[0]
    assert (p.row, p.column) == (2, column) and words in p.message
    # projected metres put both cells out of range: both are named
    assert len(found) == (2 if lon == 13375000 else 1)


def test_the_export_writes_the_location_back_in_the_same_columns(tree):
    Node.objects.filter(code=TA1).update(longitude=Decimal("120.5"), latitude=Decimal("30.25"))
    data = write_workbook(Node.objects.filter(code=TA1).select_related("parent"), [])
    plan = plan_import(data, "back.xlsx")
    assert [r.point for r in plan.nodes] == [(Decimal("120.500000"), Decimal("30.250000"))]
