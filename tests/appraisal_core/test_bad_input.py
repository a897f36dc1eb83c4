"""Bad schemes and bad inputs: every problem at once, with file, line or row, field and reason
in Chinese, exit code 1 and no result written."""

from __future__ import annotations

import pytest

from jiceng.appraisal_core import load_scheme_file, parse_scheme
from jiceng.core.errors import ValidationFailed

from .helpers import csv_file, run, write
from .test_hand_worked import INPUTS, SCHEME

BAD = """
code: BAD
version: "1"
title: 错误样例
year: 2025
unit_kinds: [township_hc]
grades:
  - {label: 优秀, min: 80}
  - {label: 良好, min: 90}
  - {label: 不合格}
fund: {pool: -5, rule: score_population}
modules:
  - code: M
    name: 模块
    items:
      - {code: A, name: 分值为零, points: 0, source: manual, rule: manual}
      - {code: B, name: 未知来源, points: 5, source: "survey:X", rule: manual}
      - {code: C, name: 未知指标, points: 5, source: "indicator:no_such", rule: {ratio: {target: 80}}}
      - {code: D, name: 起点等于目标, points: 5, source: "indicator:hr_usage",
         rule: {linear: {floor: 80, target: 80}}}
      - {code: E, name: 缺少取值, points: 5, source: verdict, rule: {map: {recommended: 5, basic: 3}}}
      - {code: F, name: 负分值, points: -2, source: ledger_overdue, rule: {deduct: {per: 1}}}
"""


def problems_of(tmp_path, text: str) -> list:
    with pytest.raises(ValidationFailed) as exc:
        parse_scheme(text.lstrip("\n"), "bad.yaml")
    return exc.value.problems


def test_every_problem_of_a_scheme_is_reported_at_once_with_its_line_and_field(tmp_path):
    found = {(p.row, p.field): p.message for p in problems_of(tmp_path, BAD)}
    assert found == {
        (8, "grades[良好].min"): "等级应从高到低排列：最低分 90 不低于上一级的 80",
        (10, "fund.pool"): "资金总额（pool）不能为负数（-5）",
        (15, "modules[M].items[A].points"): "分值应大于 0，而不是 0",
        (16, "modules[M].items[B].source"): found[(16, "modules[M].items[B].source")],
        (17, "modules[M].items[C].source"): "未知的居民档案指标编码「no_such」：在已有的定义中找不到",
        (19, "modules[M].items[D].rule.linear"):
            "线性规则的起点与目标相同（80）：无法在两者之间计分",
        (20, "modules[M].items[E].rule.map"): found[(20, "modules[M].items[E].rule.map")],
        (21, "modules[M].items[F].points"): "分值应大于 0，而不是 -2",
    }  # fmt: skip
    assert found[16, "modules[M].items[B].source"].startswith("未知的数据来源「survey:X」")
    assert found[20, "modules[M].items[E].rule.map"].startswith("map 规则缺少可能的取值：none")


def test_the_command_prints_each_problem_with_file_and_line_and_exits_1(tmp_path):
    code, out, err = run("appraisal", "check", write(tmp_path / "bad.yaml", BAD))
    assert code == 1
    assert out == ""
    assert "bad.yaml，第15行，字段 modules[M].items[A].points：分值应大于 0，而不是 0" in err
    assert err.rstrip().endswith("共 8 个问题；未写出任何结果。")


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    problems = problems_of(tmp_path, "code: X\nmodules: [\n  - a\n")
    assert len(problems) == 1 and problems[0].row is not None
    assert problems[0].message.startswith("不是有效的 YAML")


def test_a_map_on_a_verdict_with_a_word_that_is_not_a_verdict_is_refused(tmp_path):
    text = SCHEME.replace(
        "{recommended: 10, basic: 6, none: 0}", "{recommended: 10, basic: 6, none: 0, good: 4}"
    )
    [p] = problems_of(tmp_path, text)
    assert p.field == "modules[M].items[D].rule.map.good"
    assert p.message.startswith("评价结论没有「good」")


def test_a_map_giving_more_than_the_items_points_is_refused(tmp_path):
    text = SCHEME.replace(
        "{recommended: 10, basic: 6, none: 0}", "{recommended: 12, basic: 6, none: 0}"
    )
    [p] = problems_of(tmp_path, text)
    assert p.message == "取值「recommended」的分值 12 超过项目分值 10"


def test_a_duplicate_item_code_names_the_first_line(tmp_path):
    text = SCHEME.replace("{code: E,", "{code: A,")
    [p] = problems_of(tmp_path, text)
    assert p.message.startswith("考核项目编码「A」重复（另见第 ")


def test_equal_grade_minimums_are_not_descending(tmp_path):
    text = SCHEME.replace("{label: 良好, min: 80}", "{label: 良好, min: 90}")
    [p] = problems_of(tmp_path, text)
    assert p.field == "grades[良好].min"


def test_unknown_keys_are_warnings_not_errors(tmp_path):
    scheme = parse_scheme(
        SCHEME.replace("peer_group: all", "peer_group: all\nowner: 科教科"), "s.yaml"
    )
    [w] = scheme.warnings
    assert w.message == "未知字段「owner」，已忽略；请检查拼写"


@pytest.fixture
def scheme_path(tmp_path):
    return write(tmp_path / "hand.yaml", SCHEME)


def compute_bad(tmp_path, scheme_path, rows, pop_rows=None):
    inputs = csv_file(tmp_path / "inputs.csv", "unit_code,item_code,value", rows)
    out = tmp_path / "result.json"
    args = ["appraisal", "compute", scheme_path, "--inputs", inputs, "--out", str(out)]
    if pop_rows is not None:
        args += ["--population", csv_file(tmp_path / "pop.csv", "unit_code,population", pop_rows)]
    code, _out, err = run(*args)
    assert code == 1
    assert not out.exists()
    return err


def test_a_manual_score_above_the_items_points_names_row_and_column(tmp_path, scheme_path):
    err = compute_bad(tmp_path, scheme_path, [["U1", "F", "10.5"]])
    assert (
        "inputs.csv，第2行，value列：项目 F（现场核查否决）：人工评分 10.5 应在 0 到项目分值 10 之间"
        in err
    )


def test_every_bad_input_row_is_reported_at_once(tmp_path, scheme_path):
    rows = [
        ["U1", "Z", "1"],  # row 2: no such item
        ["U1", "A", "七十"],  # row 3: not a number
        ["U1", "D", "good"],  # row 4: not a verdict
        ["U1", "A", "70"],  # row 5: A twice
        ["U1", "E", "-1"],  # row 6: a negative count
        ["", "A", "1"],  # row 7: no unit
    ]
    err = compute_bad(tmp_path, scheme_path, rows, [["U1", "many"]])
    lines = err.strip().splitlines()
    assert lines[0] == "inputs.csv，第2行，item_code列：方案 HAND 没有考核项目「Z」"
    assert lines[1] == "inputs.csv，第3行，value列：项目 A（越高越好）：应为数字，而不是「七十」"
    assert lines[2].startswith("inputs.csv，第4行，value列：项目 D（评价结论）：评价结论应为")
    assert lines[3] == "inputs.csv，第5行，item_code列：单位 U1 的项目 A 写了两次（另见第 3 行）"
    assert lines[4] == "inputs.csv，第6行，value列：项目 E（逾期扣分）：数值不能为负数（-1）"
    assert lines[5] == "inputs.csv，第7行，unit_code列：单位编码为空"
    assert lines[6] == "pop.csv，第2行，population列：常住人口应为不小于 0 的整数，而不是「many」"
    assert lines[7] == "共 7 个问题；未写出任何结果。"


def test_a_pool_nobody_can_share_is_an_error(tmp_path, scheme_path):
    err = compute_bad(tmp_path, scheme_path, INPUTS, [["U3", 0]])
    assert "无法分配：没有单位同时有得分和常住人口（Σ 人口 × 得分 = 0）" in err


def test_a_missing_header_column_is_named(tmp_path, scheme_path):
    (tmp_path / "inputs.csv").write_text("unit,item_code,value\nU1,A,1\n", encoding="utf-8")
    out = tmp_path / "r.json"
    code, _o, err = run(
        "appraisal",
        "compute",
        scheme_path,
        "--inputs",
        str(tmp_path / "inputs.csv"),
        "--out",
        str(out),
    )
    assert code == 1 and not out.exists()
    assert "inputs.csv，第1行：表头缺少列：unit_code（应为 unit_code,item_code,value）" in err


def test_wrong_arguments_exit_2_with_a_chinese_message(tmp_path, scheme_path):
    code, _out, _err = run("appraisal", "compute", scheme_path)
    assert code == 2


def test_a_scheme_file_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(ValidationFailed) as exc:
        load_scheme_file(tmp_path / "nope.yaml")
    assert exc.value.problems[0].message == "文件不存在"


def test_other_usual_spellings_of_grades_kinds_and_funds_read_the_same(tmp_path):
    plain = parse_scheme(SCHEME, "a.yaml")
    other = SCHEME.replace("unit_kinds: [township_hc]", "unit_kinds: [乡镇卫生院]")
    other = other.replace("{label: 优秀, min: 90}", "[优秀, 90]").replace(
        "{label: 良好, min: 80}", "{name: 良好, minimum: 80}"
    )
    assert parse_scheme(other, "b.yaml") == plain
    by_rates = SCHEME.replace(
        "fund: {pool: 1000, rule: score_population}",
        "fund: {rule: grade_per_capita, grade_per_capita: {优秀: 3}}",
    )
    assert parse_scheme(by_rates, "c.yaml").fund.rate("优秀") == 3


def test_a_weight_is_refused_rather_than_ignored_because_points_are_the_weights(tmp_path):
    text = SCHEME.replace("    name: 全部\n", "    name: 全部\n    weight: 0\n")
    [p] = problems_of(tmp_path, text)
    assert p.field == "modules[M].weight"
    assert p.message.startswith("考核方案不用权重（weight，这里写了「0」）")
