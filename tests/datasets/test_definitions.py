"""Data set definitions: every problem at once, by file, line, field and reason."""

from __future__ import annotations

import json

import pytest

from jiceng.core.errors import ValidationFailed
from jiceng.datasets import load_dataset_file, parse_dataset

from .helpers import run, write

BAD = """
code: BAD
version: "1"
name: 坏定义
period_type: weekly
institution_kinds: [township_hc]
sections:
  - name: 一
    elements:
      - {code: A, name: 甲, value_type: integer, aggregation: sum}
      - {code: A, name: 甲又一次, value_type: integer, aggregation: sum}
      - {code: B, name: 乙, value_type: float, aggregation: sum}
      - {code: C, name: 丙, value_type: integer, aggregation: median}
      - {code: D, name: 丁, value_type: integer, aggregation: sum, options: [m, m]}
      - {code: E, name: 戊, value_type: text, aggregation: sum}
      - {code: F, name: 己, value_type: integer, aggregation: sum, options: [m, f]}
indicators:
  - {code: I1, name: 未知数据元, numerator: "#{NOPE}", denominator: "1"}
  - {code: I2, name: 未知分类, numerator: "#{F.x}", denominator: "#{F}"}
  - {code: A, name: 与数据元重名, numerator: "#{A}"}
  - {code: I3, name: 坏表达式, numerator: "#{A} +", denominator: "(#{A}"}
validation_rules:
  - {code: R1, name: 坏运算符, left: "#{A}", operator: "=<", right: "1"}
  - {code: R1, name: 重复编码, left: "#{A}", operator: "<=", right: "1"}
  - {code: R2, name: 坏策略, left: "#{A}", operator: "<=", right: "1", missing: sometimes}
  - {code: R3, name: 坏字符, left: "#{F.m} * 2", operator: "<=", right: "#{A} % 2"}
"""

EXPECTED = [  # (line, field, words of the reason)
    (4, "period_type", "未知的报告周期「weekly」"),
    (10, "sections[1].elements[A].code", "数据元编码「A」重复（另见第 9 行）"),
    (11, "sections[1].elements[B].value_type", "未知的值类型「float」"),
    (12, "sections[1].elements[C].aggregation", "未知的汇总方式「median」"),
    (13, "sections[1].elements[D].options[2]", "分类编码「m」重复"),
    (14, "sections[1].elements[E].aggregation", "文本（text）数据元不能汇总"),
    (17, "indicators[I1].numerator", "未定义的数据元「NOPE」"),
    (18, "indicators[I2].numerator", "没有分类「x」"),
    (19, "indicators[A].code", "与数据元编码重复"),
    (20, "indicators[I3].numerator", "不完整"),
    (20, "indicators[I3].denominator", "缺少右括号"),
    (22, "validation_rules[R1].operator", "未知的运算符「=<」"),
    (23, "validation_rules[R1].code", "校验规则编码「R1」重复"),
    (24, "validation_rules[R2].missing", "未知的缺失值策略「sometimes」"),
    (25, "validation_rules[R3].right", "「%」无法识别"),
]


def test_every_problem_of_a_definition_is_reported_with_its_line_and_field(tmp_path):
    path = write(tmp_path / "bad.yaml", BAD)
    with pytest.raises(ValidationFailed) as caught:
        load_dataset_file(path)
    problems = caught.value.problems
    found = [(p.row, p.field, p.message) for p in problems]
    for line, field, reason in EXPECTED:
        assert any(r == line and f == field and reason in m for r, f, m in found), (
            line,
            field,
            reason,
            found,
        )
    assert len(problems) == len(EXPECTED), found
    assert all(p.file == "bad.yaml" for p in problems)
    assert (
        str(problems[0])
        == "bad.yaml，第4行，字段 period_type：未知的报告周期「weekly」：应为 monthly、quarterly、yearly 之一"
    )


def test_the_check_command_prints_every_problem_and_exits_1(tmp_path):
    path = write(tmp_path / "bad.yaml", BAD)
    code, out, err = run("datasets", "check", path)
    assert code == 1 and out == ""
    assert err.count("bad.yaml，第") == len(EXPECTED)
    assert f"共 {len(EXPECTED)} 个问题" in err


GOOD = """
code: 101
version: 2025
name: 好定义
period_type: quarterly
institution_kinds: township_hc、village_clinic
sections:
  - code: S1
    name: 一
    elements:
      - {code: A, name: 甲, value_type: non_negative_integer, aggregation: sum}
      - code: B
        name: 乙
        value_type: number
        aggregation: last
        options: [{code: m, name: 男}, {code: f, name: 女}]
        zero_is_significant: true
indicators:
  - {code: I, name: 比, numerator: "#{B.m}", denominator: "#{A}", factor: 100}
validation_rules:
  - {code: R, name: 规则, left: "#{B}", operator: ">=", right: "#{A} * 0.5", message: 过小}
"""


def test_a_good_definition_is_read_with_its_defaults():
    ds = parse_dataset(GOOD, "good.yaml")
    assert (ds.code, ds.version, ds.due_days) == ("101", "2025", 10)
    assert ds.institution_kinds == ("township_hc", "village_clinic")
    assert list(ds.elements) == ["A", "B"]
    assert ds.elements["B"].option_codes == ("m", "f")
    assert ds.elements["B"].zero_is_significant is True
    assert ds.elements["B"].section == "S1"
    assert ds.indicators[0].factor == 100
    rule = ds.rules[0]
    assert (rule.importance, rule.missing, rule.message) == (
        "medium",
        "skip_if_any_missing",
        "过小",
    )


def test_the_check_command_summarises_a_good_definition(tmp_path):
    code, out, err = run("datasets", "check", write(tmp_path / "good.yaml", GOOD))
    assert code == 0, err
    assert "数据集定义有效：好定义（编码 101，版本 2025），按季度填报" in out
    assert "数据元 2 个（分类 2 个），指标 1 个，校验规则 1 条" in out


def test_elements_may_be_listed_apart_and_placed_in_sections_by_code():
    text = GOOD.replace(
        "sections:\n  - code: S1\n    name: 一\n    elements:\n",
        "sections:\n  - {code: S1, name: 一, elements: [B, A]}\ndata_elements:\n",
    )
    ds = parse_dataset(text, "apart.yaml")
    assert ds.sections[0].elements == ("B", "A")
    assert ds.elements["A"].section == "S1"
    assert list(ds.elements) == ["B", "A"]  # the form's order, which the output follows


def test_options_may_be_plain_codes_or_a_mapping_of_code_to_name():
    text = GOOD.replace("[{code: m, name: 男}, {code: f, name: 女}]", "{m: 男, f: 女}")
    assert parse_dataset(text, "map.yaml").elements["B"].options[1].name == "女"
    text = GOOD.replace("[{code: m, name: 男}, {code: f, name: 女}]", "[m, f]")
    assert parse_dataset(text, "list.yaml").elements["B"].option_codes == ("m", "f")


def test_unknown_keys_are_warnings_not_errors(tmp_path):
    text = GOOD.replace("period_type: quarterly", "period_type: quarterly\nowner: 县卫健委")
    ds = parse_dataset(text, "extra.yaml")
    assert [w.field for w in ds.warnings] == ["owner"]
    code, _out, err = run("datasets", "check", write(tmp_path / "extra.yaml", text))
    assert code == 0 and "提示：extra.yaml，第5行，字段 owner：未知字段「owner」" in err


def test_a_json_definition_reports_lines_too():
    data = {
        "code": "J",
        "version": "1",
        "name": "JSON",
        "period_type": "monthly",
        "institution_kinds": ["township_hc"],
        "sections": [
            {
                "name": "一",
                "elements": [
                    {"code": "A", "name": "甲", "value_type": "yes_no", "aggregation": "sum"}
                ],
            }
        ],
        "validation_rules": [{"code": "R", "left": "#{Z}", "operator": "<", "right": "1"}],
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    with pytest.raises(ValidationFailed) as caught:
        parse_dataset(text, "j.json")
    (p,) = caught.value.problems
    assert p.row == text.splitlines().index('      "left": "#{Z}",') + 1
    assert "未定义的数据元「Z」" in p.message


@pytest.mark.parametrize(
    ("text", "name", "words"),
    [
        ("code: [unclosed\n", "x.yaml", "不是有效的 YAML"),
        ('{"code": }', "x.json", "不是有效的 JSON"),
        ("", "x.yaml", "是空的"),
        ("- just\n- a list\n", "x.yaml", "应为字段映射"),
    ],
)
def test_unreadable_files_are_reported(text, name, words):
    with pytest.raises(ValidationFailed) as caught:
        parse_dataset(text, name)
    assert words in str(caught.value)


def test_a_missing_file_is_reported(tmp_path):
    code, _out, err = run("datasets", "check", str(tmp_path / "nope.yaml"))
    assert code == 1 and "nope.yaml" in err and "文件不存在" in err


def test_required_fields_and_a_dataset_without_elements():
    with pytest.raises(ValidationFailed) as caught:
        parse_dataset("code: X\nsections: []\n", "min.yaml")
    fields = {p.field for p in caught.value.problems}
    assert {"version", "name", "period_type", "institution_kinds"} <= fields
