"""core/feedback.py and Problem.where(): one message for many problems, no internal names."""

from __future__ import annotations

from jiceng.core import feedback
from jiceng.core.errors import Problem, UserError, ValidationFailed


def test_a_problem_never_shows_its_internal_field_name():
    p = Problem("请选择要上传的文件。", field="evidence")
    assert p.where() == "" and str(p) == "请选择要上传的文件。"


def test_a_problem_shows_the_label_the_user_knows():
    p = Problem(
        "该单元格为空。", file="机构.xlsx", row=3, column="C", field="name", label="机构名称"
    )
    assert str(p) == "机构.xlsx，第3行，C列，机构名称：该单元格为空。"


def test_one_problem_is_one_sentence_without_a_list():
    fb = feedback.summarize(ValidationFailed([Problem("请说明理由。", field="reason")]))
    assert fb.summary == "请说明理由。" and fb.entries == []


def test_a_plain_user_error_is_its_message():
    assert feedback.summarize(UserError("此环节已锁定。")).summary == "此环节已锁定。"


def test_many_problems_are_counted_listed_and_the_items_named_are_flagged():
    exc = ValidationFailed(
        [Problem("条款 1.1 未评分。", field="1.1"), Problem("第2行：编码重复。", row=2)],
        summary="尚有 1 个条款未评分。",
    )
    fb = feedback.summarize(exc, items={"1.1": "1.1 功能定位明确"})
    assert fb.summary == "尚有 1 个条款未评分。" and fb.count == 2
    assert fb.entries[0] == feedback.Entry("1.1 功能定位明确", "条款 1.1 未评分。", "item-1.1")
    assert fb.entries[1].where == "第2行" and fb.flagged == ["1.1"]
    html = feedback.render(fb)
    assert "<details" in html and 'href="#item-1.1"' in html and "field" not in html


def test_without_a_summary_the_problems_are_counted():
    fb = feedback.summarize([Problem("甲"), Problem("乙"), Problem("丙")])
    assert fb.summary == "发现 3 个问题："
