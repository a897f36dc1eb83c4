"""Catalog files: every problem is reported with its line and field; the samples are valid."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

import pytest

from jiceng.core.errors import ValidationFailed
from jiceng.standards.catalog import load_catalog_file, parse_catalog, sample_catalog_paths
from jiceng.standards.excel import read_catalog_excel, write_catalog_excel

GOOD = textwrap.dedent(
    """\
    code: demo
    version: "1"
    title: 示例目录
    edition: "2022"
    institution_kinds: [township_hc]
    scale:
      - {grade: A, label: 优秀, meets: true}
      - {grade: D, label: 不合格, meets: false}
    basic_threshold: 0.80
    recommended_threshold: 0.80
    chapters:
      - code: "1"
        title: 功能任务与资源配置
        sections:
          - code: "1.1"
            title: 功能任务
            items:
              - code: "1.1.1"
                text: 功能定位明确
                tier: basic
                core: true
              - code: "1.1.2"
                text: 承担公共卫生管理
                tier: recommended
                na_allowed: true
                method: 资料查阅、人员访谈
    """
)


def problems_of(text: str, filename: str = "demo.yaml"):
    with pytest.raises(ValidationFailed) as exc:
        parse_catalog(text, filename)
    return exc.value.problems


def only(problems):
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_good_catalog_is_valid_and_keeps_its_order_and_places():
    spec = parse_catalog(GOOD, "demo.yaml")
    assert [i.code for i in spec.items] == ["1.1.1", "1.1.2"]
    first = spec.items[0]
    assert (first.chapter, first.chapter_title, first.section, first.section_title) == (
        "1",
        "功能任务与资源配置",
        "1.1",
        "功能任务",
    )
    assert first.core and not first.na_allowed
    assert spec.items[1].method == "资料查阅、人员访谈"


@pytest.mark.parametrize("kind", ["township_hc", "community_hc", "village_clinic"])
def test_each_sample_catalog_validates(kind):
    spec = load_catalog_file(sample_catalog_paths()[kind])
    assert kind in spec.institution_kinds
    chapters = [c.title for c in spec.chapters]
    assert chapters == ["功能任务与资源配置", "基本医疗和公共卫生服务", "业务管理", "综合管理"]
    tiers = {i.tier for i in spec.items}
    assert tiers == {"basic", "recommended"}
    assert any(i.core for i in spec.items) and any(i.na_allowed for i in spec.items)
    low, high = (25, 35) if kind == "village_clinic" else (60, 90)
    assert low <= len(spec.items) <= high
    assert spec.basic_threshold == Decimal("0.8")


def test_a_duplicate_item_code_names_both_lines():
    text = GOOD.replace('code: "1.1.2"', 'code: "1.1.1"')
    p = only(problems_of(text))
    assert p.row == 22
    assert "1.1.1" in p.message and "18" in p.message and "22" in p.message
    assert p.field.endswith(".code")
    assert p.file == "demo.yaml"


def test_an_unknown_tier_names_its_line_and_field():
    p = only(problems_of(GOOD.replace("tier: recommended", "tier: advanced")))
    assert (p.row, p.field) == (24, "chapters[1].sections[1.1].items[1.1.2].tier")
    assert "advanced" in p.message


def test_a_threshold_outside_zero_to_one_is_refused():
    p = only(problems_of(GOOD.replace("basic_threshold: 0.80", "basic_threshold: 80")))
    assert (p.row, p.field) == (9, "basic_threshold")
    assert "80" in p.message


def test_an_empty_scale_is_refused():
    text = GOOD.replace(
        "scale:\n  - {grade: A, label: 优秀, meets: true}\n  - {grade: D, label: 不合格, meets: false}",
        "scale: []",
    )
    p = only(problems_of(text))
    assert (p.row, p.field) == (6, "scale")


def test_a_scale_where_no_grade_meets_is_refused():
    p = only(problems_of(GOOD.replace("meets: true", "meets: false")))
    assert (p.row, p.field) == (6, "scale")


def test_an_unknown_institution_kind_is_refused():
    p = only(problems_of(GOOD.replace("[township_hc]", "[township_hc, hospital]")))
    assert (p.row, p.field) == (5, "institution_kinds")
    assert "hospital" in p.message


def test_a_missing_item_text_names_the_item():
    p = only(problems_of(GOOD.replace("            text: 功能定位明确\n", "")))
    assert p.row == 18
    assert p.field == "chapters[1].sections[1.1].items[1.1.1].text"


def test_an_empty_item_text_is_refused():
    p = only(problems_of(GOOD.replace("text: 功能定位明确", 'text: ""')))
    assert (p.row, p.field) == (19, "chapters[1].sections[1.1].items[1.1.1].text")


def test_an_unknown_field_and_an_unknown_method_are_reported():
    text = GOOD.replace("core: true", "core: true\n            colour: red").replace(
        "资料查阅、人员访谈", "资料查阅、电话抽查"
    )
    problems = problems_of(text)
    fields = {p.field: p for p in problems}
    assert fields["chapters[1].sections[1.1].items[1.1.1].colour"].row == 22
    assert "电话抽查" in fields["chapters[1].sections[1.1].items[1.1.2].method"].message


def test_every_problem_is_collected_not_only_the_first():
    text = (
        GOOD.replace("[township_hc]", "[nowhere]")
        .replace("recommended_threshold: 0.80", "recommended_threshold: -1")
        .replace("tier: basic", "tier: 基础")
        .replace('code: "1.1.2"', 'code: "1.1.1"')
    )
    rows = [p.row for p in problems_of(text)]
    assert rows == [5, 10, 20, 22]


def test_a_key_written_twice_is_reported_with_both_lines():
    p = only(problems_of(GOOD.replace('version: "1"', 'version: "1"\nversion: "2"')))
    assert p.row == 3 and "2" in p.message and p.field == "version"


def test_a_yaml_syntax_error_names_its_line():
    p = only(problems_of(GOOD.replace("title: 功能任务\n", "title: [功能任务\n")))
    assert p.row is not None and p.row >= 15


def test_json_catalogs_are_read_and_their_errors_have_lines():
    data = parse_catalog(GOOD, "demo.yaml").to_source()
    text = json.dumps(data, ensure_ascii=False, indent=2)
    spec = parse_catalog(text, "demo.json")
    assert len(spec.items) == 2
    bad = text.replace('"tier": "basic"', '"tier": "core"')
    p = only(problems_of(bad, "demo.json"))
    assert p.field.endswith(".tier")
    assert text.splitlines()[p.row - 1].strip().startswith('"tier"')
    p = only(problems_of(text.replace('"title": "示例目录",', '"title": "示例目录"'), "demo.json"))
    assert p.row == 5


def test_yaml_round_trips_through_to_yaml():
    spec = load_catalog_file(sample_catalog_paths()["township_hc"])
    assert parse_catalog(spec.to_yaml(), "again.yaml") == spec


def test_the_excel_layout_round_trips_every_sample():
    for path in set(sample_catalog_paths().values()):
        spec = load_catalog_file(path)
        again = read_catalog_excel(write_catalog_excel(spec), "catalog.xlsx")
        assert again == spec
        assert again.items == spec.items


def test_excel_problems_name_row_and_column():
    from io import BytesIO

    from openpyxl import load_workbook

    spec = parse_catalog(GOOD, "demo.yaml")
    wb = load_workbook(BytesIO(write_catalog_excel(spec)))
    ws = wb["条款"]
    ws["E3"] = "高级"  # tier of the second item
    ws["C3"] = "1.1.1"  # duplicate code
    ws["D2"] = None  # empty text of the first item
    wb["目录信息"]["B7"] = 1.2  # basic threshold
    buf = BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed) as exc:
        read_catalog_excel(buf.getvalue(), "catalog.xlsx")
    where = {(p.row, p.column) for p in exc.value.problems}
    assert where == {(7, "目录信息表B"), (2, "条款表D"), (3, "条款表C"), (3, "条款表E")}


def test_merged_chapter_cells_are_carried_down_in_excel():
    from io import BytesIO

    from openpyxl import load_workbook

    spec = load_catalog_file(sample_catalog_paths()["village_clinic"])
    wb = load_workbook(BytesIO(write_catalog_excel(spec)))
    ws = wb["条款"]
    # blank every repeated chapter/section cell, as a merged-cell sheet reads
    previous = {1: None, 2: None}
    for row in range(2, ws.max_row + 1):
        for col in (1, 2):
            value = ws.cell(row, col).value
            if value == previous[col]:
                ws.cell(row, col).value = None
            else:
                previous[col] = value
    buf = BytesIO()
    wb.save(buf)
    assert read_catalog_excel(buf.getvalue(), "merged.xlsx") == spec


def test_codes_written_as_bare_numbers_keep_their_text():
    text = GOOD.replace('code: "1.1.2"', "code: 1.10").replace('version: "1"', "version: 2022.0")
    spec = parse_catalog(text, "demo.yaml")
    assert spec.items[1].code == "1.10"
    assert spec.version == "2022.0"


def test_a_json_file_indented_with_tabs_is_read():
    data = parse_catalog(GOOD, "demo.yaml").to_source()
    text = json.dumps(data, ensure_ascii=False, indent="\t")
    assert "\t" in text
    assert parse_catalog(text, "tabs.json") == parse_catalog(GOOD, "demo.yaml")
