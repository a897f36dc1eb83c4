"""Importing the organisation tree from Excel: upserts, moves, and all-or-nothing validation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.orgs.actions import do_import_tree
from jiceng.orgs.importer import plan_import
from jiceng.orgs.models import Node, NodeEvent, NodeYear

from .helpers import db_state, workbook

A = "330101000000"
TA1 = "330101100000"
TA2 = "330101200000"
VA2 = "330101100202"
B = "330102000000"


def run(data: bytes, actor=None, name="tree.xlsx"):
    return do_import_tree(actor, plan_import(data, name, actor=actor))


def problems_of(data: bytes, actor=None, name="tree.xlsx"):
    before = db_state()
    with pytest.raises(ValidationFailed) as info:
        run(data, actor, name)
    assert db_state() == before, "a failed import must leave the database unchanged"
    return info.value.problems


def test_it_creates_new_units_with_parents_later_in_the_file(tree):
    data = workbook(
        [
            ["330101400201", "新村卫生室", "村卫生室", "330101400000", "2024-01-01", None, "新村"],
            ["330101400000", "甲四镇卫生院", "township_hc", A, dt.date(2020, 5, 1), None, None],
        ],
        years=[["330101400201", 2025, 700, 100, 40, 500, 200, None, 2, 1, 1, 1]],
    )
    result = run(data)
    assert (result.created, result.updated) == (2, 0)
    clinic = Node.objects.get(code="330101400201")
    assert clinic.parent.code == "330101400000"
    assert clinic.is_within(tree.A)
    assert clinic.opened == dt.date(2024, 1, 1) and clinic.address == "新村"
    assert Node.objects.get(code="330101400000").opened == dt.date(2020, 5, 1)
    year = NodeYear.objects.get(node=clinic, year=2025)
    assert (year.permanent_residents, year.beds, year.general_practitioners) == (700, None, 1)


def test_a_changed_parent_is_a_move_recorded_in_history(tree):
    result = run(workbook([[VA2, "西村卫生室", "村卫生室", TA2, None, None, None]]))
    assert (result.moved, result.updated, result.created) == (1, 1, 0)
    tree.VA2.refresh_from_db()
    assert tree.VA2.is_within(tree.TA2)
    event = NodeEvent.objects.get(node=tree.VA2, kind="moved")
    assert (event.old_parent.code, event.new_parent.code) == (TA1, TA2)


def test_a_changed_name_is_a_rename_recorded_in_history(tree):
    result = run(workbook([[VA2, "西村新卫生室", "村卫生室", TA1, None, None, None]]))
    assert (result.renamed, result.moved) == (1, 0)
    event = NodeEvent.objects.get(node=tree.VA2, kind="renamed")
    assert (event.old_name, event.new_name) == ("西村卫生室", "西村新卫生室")


def test_a_closing_date_closes_the_unit_with_history(tree):
    run(workbook([[VA2, "西村卫生室", "村卫生室", TA1, None, "2025-06-30", None]]))
    tree.VA2.refresh_from_db()
    assert tree.VA2.closed == dt.date(2025, 6, 30)
    assert NodeEvent.objects.filter(node=tree.VA2, kind="closed").exists()


def test_a_swap_of_parent_and_child_is_written_in_a_workable_order(tree):
    # TA1 leaves county A for county B, and VA1 moves from TA1 to TA2 in the same file.
    data = workbook(
        [
            ["330101100201", "东村卫生室", "村卫生室", TA2, None, None, None],
            [TA1, "甲一镇卫生院", "乡镇卫生院", B, None, None, None],
        ]
    )
    run(data)
    tree.VA1.refresh_from_db()
    tree.TA1.refresh_from_db()
    assert tree.VA1.is_within(tree.TA2)
    assert tree.TA1.is_within(tree.B)
    tree.VA2.refresh_from_db()
    assert tree.VA2.is_within(tree.B)


def test_yearly_rows_are_upserted(tree):
    data = workbook(
        [],
        years=[
            ["330101100201", 2025, 1300, 200, 80, 1000, 400, None, None, None, None, None],
            ["330101100201", 2026, 1350, 210, 80, 1000, 400, None, None, None, None, None],
        ],
    )
    result = run(data)
    assert result.years_written == 2
    rows = NodeYear.objects.filter(node=tree.VA1).order_by("year")
    assert [r.permanent_residents for r in rows] == [1300, 1350]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tree):
    data = workbook(
        [["330101400000", "甲四镇卫生院", "乡镇卫生院", A, None, None, None]],
        years=[["330101400000", 2025, 10, 1, 1, 5, 1, 1, 1, 1, 1, 1]],
    )
    run(data)
    before = db_state()
    result = run(data)
    assert not result.changed_anything
    assert db_state() == before


def test_every_write_is_audited(tree):
    from jiceng.core.models import AuditEvent

    before = AuditEvent.objects.count()
    run(
        workbook(
            [["330101400000", "甲四镇卫生院", "乡镇卫生院", A, None, None, None]],
            years=[["330101400000", 2025, 10, 1, 1, 5, 1, 1, 1, 1, 1, 1]],
        )
    )
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[before:])
    assert actions == ["orgs.create_node", "orgs.set_year"]


# ------------------------------------------------------------------ bad input


def test_it_rejects_a_duplicate_code_naming_both_rows(tree):
    problems = problems_of(
        workbook(
            [
                ["330101400000", "甲四镇卫生院", "乡镇卫生院", A, None, None, None],
                ["330101400000", "甲五镇卫生院", "乡镇卫生院", A, None, None, None],
            ]
        )
    )
    assert len(problems) == 1
    assert problems[0].row == 3
    assert "第2行" in problems[0].message or "2" in problems[0].message
    assert "3" in problems[0].message and "330101400000" in problems[0].message


def test_it_rejects_a_parent_that_exists_nowhere(tree):
    (p,) = problems_of(
        workbook([["330101400000", "甲四镇", "乡镇卫生院", "999", None, None, None]])
    )
    assert p.row == 2 and p.column == "机构!D" and p.field == "上级代码"
    assert "999" in p.message


def test_it_rejects_a_cycle_naming_the_codes(tree):
    problems = problems_of(
        workbook(
            [
                ["X1", "一", "乡镇卫生院", "X2", None, None, None],
                ["X2", "二", "乡镇卫生院", "X1", None, None, None],
            ]
        )
    )
    assert any("X1" in p.message and "X2" in p.message and "→" in p.message for p in problems)


def test_it_rejects_a_move_under_an_own_descendant(tree):
    problems = problems_of(workbook([[TA1, "甲一镇卫生院", "乡镇卫生院", VA2, None, None, None]]))
    assert any(TA1 in p.message and VA2 in p.message for p in problems)


def test_it_rejects_a_bad_date_saying_the_expected_format(tree):
    (p,) = problems_of(workbook([["X1", "一", "乡镇卫生院", A, "2025/13/01", None, None]]))
    assert "YYYY-MM-DD" in p.message and "2025/13/01" in p.message
    assert (p.row, p.column) == (2, "机构!E")


def test_it_accepts_real_excel_dates_and_iso_text(tree):
    run(workbook([["X1", "一", "乡镇卫生院", A, dt.datetime(2021, 3, 4), "2024-12-31", None]]))
    node = Node.objects.get(code="X1")
    assert (node.opened, node.closed) == (dt.date(2021, 3, 4), dt.date(2024, 12, 31))


@pytest.mark.parametrize("value", [-5, 12.5, "很多", "1.5"])
def test_it_rejects_a_negative_or_fractional_population(tree, value):
    (p,) = problems_of(workbook([], years=[["330101100201", 2025, value, None, None, None, None]]))
    assert (p.row, p.column, p.field) == (2, "年度数据!C", "常住人口")


@pytest.mark.parametrize(
    "figures, field",
    [
        ([100, 101, None, None, None], "65岁及以上人口"),
        ([100, None, 101, None, None], "0-6岁儿童"),
        ([100, None, None, 101, None], "18岁及以上人口"),
        ([100, None, None, None, 101], "重点人群"),
        ([100, 30, 20, 90, None], "0-6岁儿童"),
    ],
)
def test_it_rejects_a_part_above_its_whole(tree, figures, field):
    (p,) = problems_of(workbook([], years=[["330101100201", 2025, *figures]]))
    assert p.field == field


def test_it_rejects_more_general_practitioners_than_doctors(tree):
    (p,) = problems_of(
        workbook([], years=[["330101100201", 2025, None, None, None, None, None, 5, 2, 3]])
    )
    assert p.field == "全科医生数" and "医生数" in p.message


def test_it_rejects_an_unknown_type_listing_the_known_ones(tree):
    (p,) = problems_of(workbook([["X1", "一", "卫生所", A, None, None, None]]))
    assert "卫生所" in p.message and "乡镇卫生院" in p.message
    assert p.field == "类型"


def test_it_rejects_a_type_not_allowed_under_its_parent(tree):
    (p,) = problems_of(workbook([["X1", "一", "乡镇卫生院", "330101100201", None, None, None]]))
    assert p.field == "类型" and "330101100201" in p.message


def test_it_rejects_a_retype_that_strands_the_children(tree):
    problems = problems_of(workbook([[TA1, "甲一镇卫生院", "村卫生室", A, None, None, None]]))
    assert any("330101100201" in p.message for p in problems)


@pytest.mark.parametrize("column", [0, 1, 2])
def test_it_rejects_a_missing_required_cell(tree, column):
    row = ["X1", "一", "乡镇卫生院", A, None, None, None]
    row[column] = None
    problems = problems_of(workbook([row]))
    assert [p.field for p in problems] == [["代码", "名称", "类型"][column]]


def test_it_rejects_a_workbook_without_the_units_sheet_naming_its_sheets(tree):
    (p,) = problems_of(workbook([["X1"]], node_sheet="Sheet1"))
    assert "机构" in p.message and "Sheet1" in p.message


def test_it_rejects_a_sheet_without_the_required_columns(tree):
    problems = problems_of(workbook([["X1", "一"]], node_header=["代码", "名字"]))
    assert {p.field for p in problems} == {"名称", "类型"}


@pytest.mark.parametrize(
    "content, what",
    [
        (b"code,name\n330101,x\n", "CSV"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (b"PK\x03\x04garbage", "ZIP"),
    ],
)
def test_it_rejects_a_file_that_is_not_excel_by_its_content(tree, content, what):
    (p,) = problems_of(content, name="tree.xlsx")
    assert "Excel" in p.message and what in p.message
    assert p.file == "tree.xlsx"


def test_it_rejects_an_empty_file(tree):
    (p,) = problems_of(b"")
    assert "空" in p.message


def test_it_collects_every_problem_of_the_file_at_once(tree):
    problems = problems_of(
        workbook(
            [
                ["X1", "一", "卫生所", A, None, None, None],
                ["X2", "二", "乡镇卫生院", A, "昨天", None, None],
            ],
            years=[["X2", 2025, -1, None, None, None, None]],
        )
    )
    assert [(p.row, p.field) for p in problems] == [
        (2, "类型"),
        (3, "成立日期"),
        (2, "常住人口"),
    ]


def test_a_county_admin_cannot_import_into_another_county(personas):
    tree = personas.tree
    problems = problems_of(
        workbook([["X1", "一", "乡镇卫生院", B, None, None, None]]), actor=personas.county_admin
    )
    assert problems and "X1" not in [n.code for n in Node.objects.all()]
    problems = problems_of(
        workbook([["330102100201", "北村卫生室", "村卫生室", TA1, None, None, None]]),
        actor=personas.county_admin,
    )
    assert any("330102100201" in p.message for p in problems)
    problems = problems_of(
        workbook([], years=[["330102100201", 2025, 1, None, None, None, None]]),
        actor=personas.county_admin,
    )
    assert problems[0].column == "年度数据!A"
    assert tree.B.code not in problems[0].message


def test_a_county_admin_can_import_inside_their_county(personas):
    result = run(
        workbook([["X1", "一", "乡镇卫生院", A, None, None, None]]), actor=personas.county_admin
    )
    assert result.created == 1


def test_only_administrators_can_import(personas):
    with pytest.raises(UserError):
        plan_import(workbook([]), "t.xlsx", actor=personas.county_reviewer)


def test_a_dry_run_counts_but_saves_nothing(tree):
    before = db_state()
    data = workbook([["X1", "一", "乡镇卫生院", A, None, None, None]])
    result = do_import_tree(None, plan_import(data, "t.xlsx"), dry_run=True)
    assert result.created == 1
    assert db_state() == before


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(min_value=0, max_value=10_000),
    part=st.integers(min_value=0, max_value=10_000),
)
def test_a_part_is_accepted_exactly_when_it_is_not_above_the_whole(tree, total, part):
    data = workbook([], years=[["330101100201", 2030, total, part, None, None, None]])
    if part <= total:
        plan = plan_import(data, "t.xlsx")
        assert plan.years[0].figures["residents_65_plus"] == part
    else:
        with pytest.raises(ValidationFailed):
            plan_import(data, "t.xlsx")


def test_a_new_unit_with_a_closing_date_has_both_events(tree):
    run(workbook([["X1", "旧院", "乡镇卫生院", A, "1990-01-01", "2001-12-31", None]]))
    node = Node.objects.get(code="X1")
    assert node.closed == dt.date(2001, 12, 31)
    kinds = list(NodeEvent.objects.filter(node=node).values_list("kind", flat=True))
    assert kinds == ["created", "closed"]


def test_clearing_the_closing_date_reopens_the_unit_with_history(tree):
    run(workbook([[VA2, "西村卫生室", "村卫生室", TA1, None, "2025-06-30", None]]))
    run(workbook([[VA2, "西村卫生室", "村卫生室", TA1, None, None, None]]))
    tree.VA2.refresh_from_db()
    assert tree.VA2.closed is None
    assert NodeEvent.objects.filter(node=tree.VA2, kind="reopened").exists()
