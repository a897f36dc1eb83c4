"""Questionnaire files: every problem at once by file, line and field; loading is audited and
scoped like the standards catalogs."""

import pytest
from django.core.exceptions import PermissionDenied

from jiceng.core.errors import UserError, ValidationFailed
from jiceng.core.models import AuditEvent
from jiceng.surveys.actions import do_load_questionnaire
from jiceng.surveys.models import Questionnaire
from jiceng.surveys.questionnaire import (
    load_questionnaire_file,
    parse_questionnaire,
    sample_questionnaire_paths,
)

from .helpers import SMALL, load_small


def test_the_four_sample_questionnaires_cover_the_four_kinds_without_warnings():
    loaded = [load_questionnaire_file(p) for p in sample_questionnaire_paths()]
    assert sorted(q.kind for q in loaded) == [
        "contracted",
        "inpatient",
        "outpatient",
        "public_health",
    ]
    assert all(q.warnings == () for q in loaded)
    assert all(q.question(q.overall).satisfied_codes == {"1", "2"} for q in loaded)


def test_a_small_file_reads_its_questions_options_and_overall_question():
    q = parse_questionnaire(SMALL, "small.yaml")
    assert (q.code, q.kind, q.overall) == ("small", "outpatient", "Q1")
    assert [x.code for x in q.choices] == ["Q1", "Q2"] and [x.code for x in q.comments] == ["Q9"]
    assert q.question("Q1").option("基本满意").code == "2"


BAD = """\
code: bad code
version: "1"
name: 坏问卷
kind: 急诊
overall: Q7
colour: red
questions:
  - code: Q1
    text: 满意吗？
    options:
      - {code: "1", text: 满意, satisfied: true}
      - {code: "2", text: 满意}
  - code: Q1
    text: 重复的题
    options:
      - {code: "1", text: 满意, satisfied: yes please}
      - {code: "2", text: 不满意}
  - code: Q3
    text: 全都满意
    options:
      - {code: "1", text: 很满意, satisfied: true}
      - {code: "2", text: 满意, satisfied: true}
"""


def test_a_bad_file_reports_every_problem_with_its_line_and_field():
    with pytest.raises(ValidationFailed) as caught:
        parse_questionnaire(BAD, "bad.yaml")
    got = {(p.row, p.label): p.message for p in caught.value.problems}
    assert got[(1, "字段 code")].startswith("问卷编码「bad code」含有不允许的字符")
    assert got[(4, "字段 kind")].startswith("未知的问卷类别「急诊」")
    assert got[(5, "字段 overall")] == "总体满意度题「Q7」不是本问卷的题目"
    assert "与前面的选项重复" in got[(12, "字段 questions[1].options[2]")]
    assert got[(13, "字段 questions[2].code")] == "题目编码「Q1」重复（另见第 1 题）"
    assert got[(16, "字段 questions[2].options[1].satisfied")] == "应为 true 或 false"
    assert "恒为100%" in got[(20, "字段 questions[3].options")]
    assert all(p.file == "bad.yaml" for p in caught.value.problems)


def test_unknown_keys_are_warnings_and_a_comment_question_cannot_be_the_overall_one():
    text = SMALL.replace("overall: Q1", "overall: Q9\ncolour: red")
    with pytest.raises(ValidationFailed) as caught:
        parse_questionnaire(text, "small.yaml")
    assert [p.message for p in caught.value.problems] == [
        "总体满意度题「Q9」应为选择题，不能是意见题"
    ]
    warned = parse_questionnaire(SMALL + "colour: red\n", "small.yaml")
    assert [p.message for p in warned.warnings] == ["未知字段「colour」，已忽略；请检查拼写"]


def test_a_json_syntax_error_names_its_line():
    with pytest.raises(ValidationFailed) as caught:
        parse_questionnaire('{\n"code": "x",\n}', "q.json")
    assert caught.value.problems[0].row == 3


def test_loading_is_audited_and_a_version_loads_once_per_region(personas):
    t = personas.tree
    q = load_small(t.A, personas.county_admin)
    event = AuditEvent.objects.get(action="surveys.load_questionnaire")
    assert (event.object_id, event.node_path, event.after["questions"]) == (str(q.pk), t.A.path, 3)
    with pytest.raises(UserError):
        load_small(t.A, personas.county_admin)
    assert Questionnaire.objects.count() == 1


def test_only_administrators_of_the_owner_region_load_a_questionnaire(personas):
    t = personas.tree
    with pytest.raises(PermissionDenied):
        load_small(t.A, personas.county_reviewer)
    with pytest.raises(PermissionDenied):
        load_small(t.P, personas.county_admin)  # a county admin cannot load for the province
    d = parse_questionnaire(SMALL, "small.yaml")
    q = do_load_questionnaire(personas.county_admin, d, SMALL, "small.yaml")  # default: own county
    assert q.owner == t.A
