"""Bad input to `datavalues aggregate|validate`: a Chinese message naming file, row, column
and reason, exit code 1, and no output file."""

from __future__ import annotations

import pytest

from .helpers import run, write

DATASET = """
code: Q
version: "1"
name: 季报
period_type: quarterly
institution_kinds: [township_hc]
sections:
  - name: 全部
    elements:
      - {code: N, name: 人次, value_type: non_negative_integer, aggregation: sum}
      - {code: I, name: 差额, value_type: integer, aggregation: sum}
      - {code: X, name: 金额, value_type: number, aggregation: sum}
      - {code: P, name: 比例, value_type: percentage, aggregation: average}
      - {code: Y, name: 是否, value_type: yes_no, aggregation: sum}
      - {code: S, name: 性别, value_type: non_negative_integer, aggregation: sum, options: [male, female]}
"""

ORGS = "org_code,name,parent_code,kind\nC,县,,county\nU,院,C,township_hc\n"
GOOD = "U,2025Q1,N,,1"

# (values row, column, words of the reason)
BAD_VALUES = [
    ("U,2025Q1,N,,abc", "value", "不是整数"),
    ("U,2025Q1,N,,-1", "value", "负数"),
    ("U,2025Q1,I,,1.5", "value", "不是整数"),
    ("U,2025Q1,X,,12,5", "", "比表头多"),
    ("U,2025Q1,X,", "", "比表头少"),
    ("U,2025Q1,X,,十二", "value", "不是数字"),
    ("U,2025Q1,P,,100.5", "value", "超出 0–100"),
    ("U,2025Q1,P,,-1", "value", "超出 0–100"),
    ("U,2025Q1,Y,,maybe", "value", "不是是/否值"),
    ("ZZ,2025Q1,N,,1", "org_code", "不在机构表中"),
    ("C,2025Q1,N,,1", "org_code", "不填报数据集"),
    ("U,2025Q1,NOPE,,1", "element", "没有数据元「NOPE」"),
    ("U,2025Q1,S,other,1", "option", "没有分类「other」"),
    ("U,2025Q1,S,,1", "option", "须填写分类"),
    ("U,2025Q1,N,male,1", "option", "没有分类"),
    ("U,2025Q5,N,,1", "period", "季度只能是 Q1 至 Q4"),
    ("U,2025-13,N,,1", "period", "月份只能是 01 至 12"),
    ("U,last year,N,,1", "period", "应写作年份"),
    ("U,2025-04,N,,1", "period", "按季度填报"),
    ("U,2025,N,,1", "period", "按季度填报"),
    (GOOD, "value", "重复"),  # the same cell twice
]


def _run(tmp_path, values_rows, orgs=ORGS, period="2025", completions=None, verb="aggregate"):
    ds = write(tmp_path / "q.yaml", DATASET)
    (tmp_path / "orgs.csv").write_text(orgs, encoding="utf-8")
    values = tmp_path / "values.csv"
    values.write_text("org_code,period,element,option,value\n" + "\n".join(values_rows) + "\n")
    out = tmp_path / "out.csv"
    args = [verb, "--dataset", ds, "--orgs", str(tmp_path / "orgs.csv"), "--values", str(values)]
    args += ["--period", period, "--out", str(out)]
    if completions is not None:
        c = tmp_path / "c.csv"
        c.write_text(completions, encoding="utf-8")
        args += ["--completions", str(c)]
    code, _stdout, err = run("datavalues", *args)
    return code, err, out


@pytest.mark.parametrize("verb", ["aggregate", "validate"])
@pytest.mark.parametrize(("row", "column", "reason"), BAD_VALUES)
def test_a_bad_value_row_is_named_by_file_row_column_and_reason(
    tmp_path, verb, row, column, reason
):
    code, err, out = _run(tmp_path, [GOOD, row], verb=verb)
    assert code == 1
    where = "values.csv，第3行" + (f"，{column}列" if column else "")
    assert where in err and reason in err, err
    assert not out.exists()


def test_every_bad_row_is_reported_at_once(tmp_path):
    code, err, _out = _run(tmp_path, [row for row, _c, _r in BAD_VALUES[:6]])
    assert code == 1
    for n in range(2, 8):
        assert f"values.csv，第{n}行" in err
    assert "共 6 个问题" in err


@pytest.mark.parametrize(
    ("orgs", "where", "reason"),
    [
        (
            "org_code,name,kind\nU,院,township_hc\n",
            "orgs.csv，第1行",
            "缺少列「parent_code」；表头应为 org_code,name,parent_code,kind[,open_date,close_date]",
        ),
        (ORGS + "U,重复,C,township_hc\n", "orgs.csv，第4行，org_code列", "重复"),
        (ORGS + "V,村,NOWHERE,township_hc\n", "orgs.csv，第4行，parent_code列", "不在机构表中"),
        (
            "org_code,name,parent_code,kind,open_date\nC,县,,county,\nU,院,C,township_hc,2025/01/01\n",
            "orgs.csv，第3行，open_date列",
            "YYYY-MM-DD",
        ),
        (
            "org_code,name,parent_code,kind,open_date,close_date\nC,县,,county,,\n"
            "U,院,C,township_hc,2025-03-01,2025-02-01\n",
            "orgs.csv，第3行，close_date列",
            "早于成立日期",
        ),
        ("org_code,name,parent_code,kind\nA,甲,B,county\nB,乙,A,county\n", "orgs.csv", "环"),
        ("", "orgs.csv", "文件是空的"),
    ],
)
def test_a_bad_org_tree_is_named_by_file_row_column_and_reason(tmp_path, orgs, where, reason):
    code, err, out = _run(tmp_path, [GOOD], orgs=orgs)
    assert code == 1
    assert where in err and reason in err, err
    assert not out.exists()


@pytest.mark.parametrize(
    ("completions", "where", "reason"),
    [
        ("org_code,period,completed_at\nU,2025Q1,2025-13-01\n", "第2行，completed_at列", "无效"),
        ("org_code,period,completed_at\nU,2025-01,2025-02-01\n", "第2行，period列", "按季度填报"),
        (
            "org_code,period,completed_at\nZZ,2025Q1,2025-04-01\n",
            "第2行，org_code列",
            "不在机构表中",
        ),
        (
            "org_code,period,completed_at\nU,2025Q1,2025-04-01\nU,2025Q1,2025-04-02\n",
            "第3行，period列",
            "重复",
        ),
        ("org_code,period\nU,2025Q1\n", "第1行", "缺少列「completed_at」"),
    ],
)
def test_bad_completions_are_named_by_file_row_column_and_reason(
    tmp_path, completions, where, reason
):
    code, err, out = _run(tmp_path, [GOOD], completions=completions)
    assert code == 1
    assert f"c.csv，{where}" in err and reason in err, err
    assert not out.exists()


@pytest.mark.parametrize(
    ("period", "reason"),
    [
        ("2025-04", "比数据集的报告周期（季度）短"),
        ("2025Q9", "季度只能是 Q1 至 Q4"),
        ("25", "应写作年份"),
    ],
)
def test_a_period_shorter_than_the_data_sets_or_malformed_is_refused(tmp_path, period, reason):
    code, err, out = _run(tmp_path, [GOOD], period=period)
    assert code == 1
    assert "--period列" in err and reason in err, err
    assert not out.exists()


def test_an_existing_output_file_is_left_as_it_was_on_bad_input(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("earlier\n", encoding="utf-8")
    code, _err, out = _run(tmp_path, ["U,2025Q1,N,,-5"])
    assert code == 1
    assert out.read_text(encoding="utf-8") == "earlier\n"


def _values_file(tmp_path, data: bytes):
    ds = write(tmp_path / "q.yaml", DATASET)
    (tmp_path / "orgs.csv").write_text(ORGS, encoding="utf-8")
    values = tmp_path / "values.csv"
    values.write_bytes(data)
    return run(
        "datavalues", "validate", "--dataset", ds, "--orgs", str(tmp_path / "orgs.csv"),
        "--values", str(values), "--period", "2025", "--out", str(tmp_path / "o.csv"),
    )  # fmt: skip


def test_values_saved_as_gbk_by_a_chinese_excel_are_read(tmp_path):
    data = "org_code,period,element,option,value\nU,2025Q1,N,,无效数据\n".encode("gbk")
    code, _out, err = _values_file(tmp_path, data)
    # read as GBK: the value itself is then the problem, named as the user wrote it
    assert code == 1 and "「无效数据」不是整数" in err


def test_values_in_no_known_encoding_are_refused(tmp_path):
    code, _out, err = _values_file(tmp_path, b"org_code,period,element,option,value\n\xff\xff\n")
    assert code == 1 and "values.csv" in err and "既不是 UTF-8 也不是 GBK" in err


def test_the_option_column_may_be_left_out_when_no_element_has_options(tmp_path):
    code, _out, err = _values_file(tmp_path, b"org_code,period,element,value\nU,2025Q1,N,3\n")
    assert code == 0, err


def test_an_output_in_a_missing_directory_is_a_message_not_a_traceback(tmp_path):
    ds = write(tmp_path / "q.yaml", DATASET)
    (tmp_path / "orgs.csv").write_text(ORGS, encoding="utf-8")
    (tmp_path / "v.csv").write_text("org_code,period,element,option,value\n" + GOOD + "\n")
    code, _out, err = run(
        "datavalues", "aggregate", "--dataset", ds, "--orgs", str(tmp_path / "orgs.csv"),
        "--values", str(tmp_path / "v.csv"), "--period", "2025",
        "--out", str(tmp_path / "no" / "out.csv"),
    )  # fmt: skip
    assert code == 1 and "无法写出结果文件" in err


def test_trailing_optional_cells_may_be_left_out_of_a_row(tmp_path):
    orgs = (
        "org_code,name,parent_code,kind,open_date,close_date\nC,县,,county\nU,院,C,township_hc,,\n"
    )
    code, err, out = _run(tmp_path, [GOOD], orgs=orgs)
    assert code == 0, err
    assert out.exists()


def test_a_missing_argument_is_a_usage_error(tmp_path):
    code, _out, _err = run("datavalues", "aggregate", "--dataset", "x.yaml")
    assert code == 2
